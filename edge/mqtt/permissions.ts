// What an authenticated MQTT user may do: the topic filters of mqtt.authentication.users
// it may publish to and subscribe within. {username} and {clientId} in a filter stand for
// the connection's own, so one line gives every device its own topics:
//   publish: ['sensors/{username}/#']    subscribe: ['commands/{username}']
import { TopicFilter } from './topic-filter.ts';

const SEPARATOR = '/';
const SINGLE_LEVEL_WILDCARD = '+';
const MULTI_LEVEL_WILDCARD = '#';

/** Undefined on a side: anything is allowed there. */
export interface UserPermissionsConfig {
  publish: string[] | undefined;
  subscribe: string[] | undefined;
}

/**
 * Fills {username} and {clientId} in. A value holding '/', '+' or '#' would widen the
 * filter beyond the connection's own topics, so such a filter is dropped (it grants nothing).
 */
function personalise(filters: string[], identity: { username: string; clientId: string }): string[] {
  const unsafe = (value: string) => value.includes(SEPARATOR) || value.includes(SINGLE_LEVEL_WILDCARD) || value.includes(MULTI_LEVEL_WILDCARD);
  const result: string[] = [];
  for (const filter of filters) {
    if (filter.includes('{username}') && unsafe(identity.username)) continue;
    if (filter.includes('{clientId}') && unsafe(identity.clientId)) continue;
    result.push(filter.replaceAll('{username}', identity.username).replaceAll('{clientId}', identity.clientId));
  }
  return result;
}

/** Whether every topic that `requested` matches is also matched by `allowed` (section 4.7). */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split(SEPARATOR);
  const f = requested.split(SEPARATOR);
  // [MQTT-4.7.2-1] A filter starting with a wildcard matches no topic starting with '$'.
  if ((a[0] === SINGLE_LEVEL_WILDCARD || a[0] === MULTI_LEVEL_WILDCARD) && requested.startsWith('$')) return false;
  for (let index = 0; ; index++) {
    if (a[index] === MULTI_LEVEL_WILDCARD) return true;
    if (index === a.length || index === f.length) return index === a.length && index === f.length;
    if (f[index] === MULTI_LEVEL_WILDCARD) return false;
    if (a[index] === SINGLE_LEVEL_WILDCARD) continue;
    if (f[index] === SINGLE_LEVEL_WILDCARD || a[index] !== f[index]) return false;
  }
}

/** What a connection may do, whichever form (YAML filters, ACLs) the permissions take. */
export interface MqttPermissions {
  mayPublish(topic: string): boolean;
  /** `filter` without a shared-subscription prefix. */
  maySubscribe(filter: string): boolean;
}

export class TopicPermissions implements MqttPermissions {
  readonly #publish: TopicFilter[] | undefined;
  readonly #subscribe: string[] | undefined;

  constructor(config: UserPermissionsConfig, identity: { username: string; clientId: string }) {
    this.#publish = config.publish && personalise(config.publish, identity).map((filter) => new TopicFilter(filter));
    this.#subscribe = config.subscribe && personalise(config.subscribe, identity);
  }

  mayPublish(topic: string): boolean {
    if (this.#publish === undefined) return true;
    const levels = topic.split(SEPARATOR);
    return this.#publish.some((filter) => filter.matchesLevels(topic, levels));
  }

  maySubscribe(filter: string): boolean {
    return this.#subscribe === undefined || this.#subscribe.some((allowed) => filterCovers(allowed, filter));
  }
}

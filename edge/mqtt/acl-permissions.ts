// MQTT permissions as Kafka ACLs (mqtt.permissions: acls): the same ACLs, principals and
// authorizer as the Kafka listeners, with an MQTT topic or filter as the TOPIC resource's
// name, compared as written (Kafka topic names cannot hold '/', so per-device MQTT names do not
// meet the log's topic names; a name without '/', or the wildcard '*', is shared by both).
//   publish to T, and a will on T:  WRITE on TOPIC T       (PREFIXED "sensors/device-2/" covers sensors/device-2/temp)
//   subscribe to F:                READ  on TOPIC F       (the filter's text, so PREFIXED "sensors/device-2/" covers sensors/device-2/#)
// A DENY is honoured for a subscription whose filter reaches any topic it names, not only for
// a filter that starts with its name: a DENY on "sensors/device-9/" refuses "sensors/#", which
// would otherwise deliver device-9's readings. The ACLs are read at every check, so
// CreateAcls and DeleteAcls apply to the next publish and subscription at once.
import type { Principal } from '../auth/principal.ts';
import type { Authorizer } from '../auth/acls/authorizer.ts';
import { AclOperation, operationMatches, PatternType, PermissionType, ResourceType, WILDCARD, WILDCARD_PRINCIPAL } from '../auth/acls/acl.ts';
import { formatPrincipal } from '../auth/principal.ts';
import type { MqttPermissions } from './permissions.ts';
import { TopicFilter } from './topic-filter.ts';

const SEPARATOR = '/';

/** Whether `filter` matches some topic that starts with `prefix` (a PREFIXED ACL's name). */
export function filterReachesPrefix(filter: string, prefix: string): boolean {
  const filterLevels = filter.split(SEPARATOR);
  const prefixLevels = prefix.split(SEPARATOR);
  // The prefix's last level may be cut short ("sensors/dev" covers "sensors/device-2").
  const last = prefixLevels.length - 1;
  for (let index = 0; index < prefixLevels.length; index++) {
    const level = filterLevels[index];
    if (level === undefined) return false;
    if (level === '#') return !(index === 0 && prefix.startsWith('$'));
    if (level === '+') {
      if (index === 0 && prefix.startsWith('$')) return false;
      continue;
    }
    if (index === last ? !level.startsWith(prefixLevels[index]!) : level !== prefixLevels[index]) return false;
  }
  return true;
}

export class AclTopicPermissions implements MqttPermissions {
  readonly #authorizer: Authorizer;
  readonly #principal: Principal;
  readonly #host: string;

  constructor(authorizer: Authorizer, principal: Principal, host: string) {
    this.#authorizer = authorizer;
    this.#principal = principal;
    this.#host = host;
  }

  mayPublish(topic: string): boolean {
    return this.#authorizer.authorize({ principal: this.#principal, host: this.#host, operation: AclOperation.WRITE, resourceType: ResourceType.TOPIC, resourceName: topic });
  }

  maySubscribe(filter: string): boolean {
    if (!this.#authorizer.authorize({ principal: this.#principal, host: this.#host, operation: AclOperation.READ, resourceType: ResourceType.TOPIC, resourceName: filter })) return false;
    if (!filter.includes('+') && !filter.includes('#')) return true;
    return !this.#deniedWithin(filter);
  }

  /** A DENY of READ to this principal on a topic the wildcard filter reaches. */
  #deniedWithin(filter: string): boolean {
    const principal = formatPrincipal(this.#principal);
    if (this.#authorizer.settings.superUsers.includes(principal)) return false;
    const denials = this.#authorizer.describe({ resourceType: ResourceType.TOPIC, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: PermissionType.DENY });
    const compiled = new TopicFilter(filter);
    return denials.some((binding) => (binding.principal === principal || binding.principal === WILDCARD_PRINCIPAL)
      && (binding.host === WILDCARD || binding.host === this.#host)
      && operationMatches(binding, AclOperation.READ)
      && (binding.resourceName === WILDCARD || (binding.patternType === PatternType.PREFIXED ? filterReachesPrefix(filter, binding.resourceName) : compiled.matches(binding.resourceName))));
  }
}

// Who may connect, publish and subscribe: mqtt.authentication (user names, scrypt
// password hashes, per-user topic permissions) and mqtt.denySubscribe. The decisions
// are the same for MQTT 3.1.1 and 5; only the codes that carry them differ.
import type { Logger } from '../../shared/logger.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';
import type { MqttConfig } from '../../shared/config/schema.ts';
import type { MqttMetrics } from './metrics.ts';
import type { MqttPermissions } from './permissions.ts';
import { AclTopicPermissions } from './acl-permissions.ts';
import { aclHost } from '../auth/acls/acl.ts';
import type { Authorizer } from '../auth/acls/authorizer.ts';
import { ANONYMOUS, userPrincipal } from '../auth/principal.ts';
import type { MqttUsers } from './users.ts';
import { TopicFilter } from './topic-filter.ts';
import { parseSharedFilter } from './broker/subscription-index.ts';

/** Why a connection is refused: a metrics label, with the codes of both versions. */
export type RefusalReason = 'max-connections' | 'memory-pressure' | 'client-id' | 'bad-credentials' | 'anonymous' | 'not-authorized' | 'bad-authentication-method' | 'unsupported-protocol' | 'certificate-subject';

export interface Admission {
  /** Undefined: let in. */
  refused?: RefusalReason;
  message?: string;
  permissions?: MqttPermissions;
}

export class MqttAccess {
  /** Replaced as a whole when a reload changes mqtt.authentication (replaceUsers). */
  #users: MqttUsers;
  readonly #metrics: MqttMetrics;
  readonly #logger: Logger;
  readonly #busyWarnings: RepeatedWarnings;
  readonly #deniedFilters: TopicFilter[];
  /** With mqtt.permissions: acls, the authorizer the Kafka listeners ask; undefined: the YAML permissions. */
  readonly #authorizer: Authorizer | undefined;

  constructor(config: MqttConfig, users: MqttUsers, metrics: MqttMetrics, logger: Logger, authorizer?: Authorizer) {
    this.#users = users;
    this.#authorizer = authorizer;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#busyWarnings = new RepeatedWarnings(logger);
    this.#deniedFilters = config.denySubscribe.map((filter) => new TopicFilter(filter));
  }

  get users(): MqttUsers {
    return this.#users;
  }

  /** CONNECTs from now on are checked against `users`; see edge/mqtt/live-users.ts for the connections already in. */
  replaceUsers(users: MqttUsers): void {
    this.#users = users;
  }

  /**
   * Checks a CONNECT's user name and password, and its will topic against the user's
   * publish permissions. The log names the user, never the password.
   */
  async admit(username: string | undefined, password: Buffer | undefined, clientId: string, remote: string | undefined, willTopic: string | undefined): Promise<Admission> {
    if (username === undefined) {
      if (this.#users.allowAnonymous) return this.#withWill(undefined, clientId, remote, willTopic);
      return { refused: 'anonymous', message: 'no user name, and mqtt.authentication.allowAnonymous is false' };
    }
    let valid: boolean;
    try {
      valid = await this.#users.check(username, password ?? Buffer.alloc(0));
    } catch (error) {
      return { refused: 'bad-credentials', message: `password check failed: ${(error as Error).message}` };
    }
    if (!valid) return { refused: 'bad-credentials', message: `unknown user "${username}" or wrong password` };
    return this.admitAuthenticated(username, clientId, remote, willTopic);
  }

  /** A user who has proved who it is (a password, or an enhanced-authentication exchange): its permissions, and its will topic checked against them. */
  admitAuthenticated(username: string, clientId: string, remote: string | undefined, willTopic: string | undefined): Admission {
    return this.#withWill(username, clientId, remote, willTopic);
  }

  #withWill(username: string | undefined, clientId: string, remote: string | undefined, willTopic: string | undefined): Admission {
    const permissions = this.permissionsOf(username, clientId, remote);
    if (permissions !== undefined && willTopic !== undefined && !permissions.mayPublish(willTopic)) {
      return { refused: 'not-authorized', message: `${username === undefined ? 'an anonymous client' : `user "${username}"`} may not publish its will to ${willTopic}` };
    }
    return permissions === undefined ? {} : { permissions };
  }

  /**
   * What a connection of `username` (undefined: anonymous) may do, through its principal:
   * the ACLs of User:name (User:ANONYMOUS) with mqtt.permissions: acls, else the user's YAML
   * filters. Undefined: not restricted.
   */
  permissionsOf(username: string | undefined, clientId: string, remote: string | undefined): MqttPermissions | undefined {
    if (this.#authorizer !== undefined) return new AclTopicPermissions(this.#authorizer, username === undefined ? ANONYMOUS : userPrincipal(username), aclHost(remote ?? ''));
    return username === undefined ? undefined : this.#users.permissionsFor(username, clientId);
  }

  refused(reason: RefusalReason, clientId: string, remote: string | undefined, code: number, message: string): void {
    this.#metrics.refusedConnections.labels(reason).inc();
    // The memory guard logs its refusals itself, one line per interval (edge/daemon/memory-guard.ts).
    if (reason === 'memory-pressure') return;
    const details = { clientId, returnCode: code, remote };
    // A fleet reconnecting past the connection limit is refused thousands of times a second:
    // one line per interval, with the count. Any other refusal names its client and is written whole.
    if (reason === 'max-connections') this.#busyWarnings.warn(reason, details, `MQTT connection refused: ${message}`);
    else this.#logger.warn(details, `MQTT connection refused: ${message}`);
  }

  /** Why a client may not publish to `topic`, or undefined when it may. */
  publishRefusal(topic: string, clientId: string, permissions: MqttPermissions | undefined): { reason: 'reserved-topic' | 'not-authorized'; message: string } | undefined {
    // $SYS is the broker's own namespace.
    if (topic.startsWith('$SYS/')) return { reason: 'reserved-topic', message: `client "${clientId}" may not publish to ${topic}: $SYS/ is reserved` };
    if (permissions !== undefined && !permissions.mayPublish(topic)) return { reason: 'not-authorized', message: `client "${clientId}" may not publish to ${topic}: outside the user's publish permissions` };
    return undefined;
  }

  /**
   * Whether a subscription to `filter` is allowed: 'denied' by mqtt.denySubscribe (a filter
   * nobody may use), 'not-authorized' outside the user's subscribe permissions.
   */
  subscriptionRefusal(filter: string, clientId: string, permissions: MqttPermissions | undefined): 'denied' | 'not-authorized' | undefined {
    // A shared subscription is judged by the filter it shares.
    const { topicFilter } = parseSharedFilter(filter);
    // A filter that, read as a topic, falls under a denied filter is refused.
    if (this.#deniedFilters.some((denied) => denied.matches(topicFilter))) {
      this.#metrics.refusedSubscriptions.inc();
      this.#logger.info({ clientId, filter }, 'MQTT subscription refused (mqtt.denySubscribe)');
      return 'denied';
    }
    if (permissions?.maySubscribe(topicFilter) === false) {
      this.#metrics.refusedSubscriptions.inc();
      this.#logger.info({ clientId, filter }, 'MQTT subscription refused: outside the user\'s subscribe permissions');
      return 'not-authorized';
    }
    return undefined;
  }
}


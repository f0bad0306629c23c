// The users of mqtt.authentication: checked at start, then asked at every CONNECT (is
// this the password?) and for every publish and subscription of a connection (may it?).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import { parsePasswordHash, verifyPassword, type ParsedHash } from './passwords.ts';
import { TopicPermissions, type UserPermissionsConfig } from './permissions.ts';
import { topicFilterProblem } from './topic-filter.ts';

type AuthenticationConfig = MqttConfig['authentication'];

interface User {
  hash: ParsedHash;
  /** Undefined: no restriction on that side. */
  publish: string[] | undefined;
  subscribe: string[] | undefined;
}

/** Stands in for {username} and {clientId} when a filter's syntax is checked at start. */
const PLACEHOLDER_LEVEL = 'x';

export class MqttUsers {
  readonly #users: Map<string, User>;
  /** Key of the in-memory HMACs of passwords that passed; it never leaves this process. */
  readonly #memoKey = randomBytes(32);
  readonly #verified = new Map<string, Buffer>();

  private constructor(users: Map<string, User>) {
    this.#users = users;
  }

  /** Refuses, naming the key, a hash it cannot use, a user listed twice, a malformed filter, and a listener no one could connect to. */
  static fromConfig(authentication: AuthenticationConfig, maxTopicLevels: number): MqttUsers {
    const users = new Map<string, User>();
    for (const [index, user] of authentication.users.entries()) {
      const key = `mqtt.authentication.users[${index}]`;
      const hash = parsePasswordHash(user.passwordHash);
      if (typeof hash === 'string') throw new TributaryError('CONFIG_INVALID', `${key}.passwordHash: the hash of "${user.username}" is not usable: ${hash}`, { key });
      if (users.has(user.username)) throw new TributaryError('CONFIG_INVALID', `${key}.username: "${user.username}" is listed twice`, { key });
      for (const side of ['publish', 'subscribe'] as const) {
        for (const [position, filter] of (user[side] ?? []).entries()) {
          const problem = topicFilterProblem(filter.replaceAll('{username}', PLACEHOLDER_LEVEL).replaceAll('{clientId}', PLACEHOLDER_LEVEL), maxTopicLevels);
          if (problem !== null) throw new TributaryError('CONFIG_INVALID', `${key}.${side}[${position}]: ${problem}`, { key });
        }
      }
      users.set(user.username, { hash, publish: user.publish, subscribe: user.subscribe });
    }
    if (!authentication.allowAnonymous && users.size === 0) {
      throw new TributaryError('CONFIG_INVALID', 'mqtt.authentication: allowAnonymous is false and no users are listed, so no client could connect', { key: 'mqtt.authentication' });
    }
    return new MqttUsers(users);
  }

  /**
   * Whether `password` is the user's. A password that passed once is remembered as an HMAC,
   * so that a thousand devices reconnecting after an outage cost one scrypt each, not one
   * per attempt.
   */
  async check(username: string, password: Buffer): Promise<boolean> {
    const user = this.#users.get(username);
    if (user === undefined) return false;
    const memo = createHmac('sha256', this.#memoKey).update(username).update('\u0000').update(password).digest();
    const known = this.#verified.get(username);
    if (known !== undefined && timingSafeEqual(known, memo)) return true;
    if (!(await verifyPassword(password, user.hash))) return false;
    this.#verified.set(username, memo);
    return true;
  }

  /** What a connection of `username` may do; undefined when the user is not restricted. */
  permissionsFor(username: string, clientId: string): TopicPermissions | undefined {
    const user = this.#users.get(username);
    if (user === undefined || (user.publish === undefined && user.subscribe === undefined)) return undefined;
    const config: UserPermissionsConfig = { publish: user.publish, subscribe: user.subscribe };
    return new TopicPermissions(config, { username, clientId });
  }
}

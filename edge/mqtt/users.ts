// The users of mqtt.authentication: checked at start, then asked at every CONNECT (is
// this the password?) and for every publish and subscription of a connection (may it?).
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import { PasswordBook } from '../auth/password-book.ts';
import { TopicPermissions } from './permissions.ts';
import { topicFilterProblem } from './topic-filter.ts';

type AuthenticationConfig = MqttConfig['authentication'];

/** Undefined on a side: no restriction there. */
interface UserPermissions {
  publish: string[] | undefined;
  subscribe: string[] | undefined;
}

/** Stands in for {username} and {clientId} when a filter's syntax is checked at start. */
const PLACEHOLDER_LEVEL = 'x';

export class MqttUsers {
  /** mqtt.authentication.allowAnonymous: whether a CONNECT without a user name is let in. */
  readonly allowAnonymous: boolean;
  readonly #passwords: PasswordBook;
  readonly #permissions: Map<string, UserPermissions>;
  readonly #names: ReadonlySet<string>;

  private constructor(allowAnonymous: boolean, passwords: PasswordBook, permissions: Map<string, UserPermissions>, names: ReadonlySet<string>) {
    this.allowAnonymous = allowAnonymous;
    this.#passwords = passwords;
    this.#permissions = permissions;
    this.#names = names;
  }

  /** Refuses, naming the key, a hash it cannot use, a user listed twice, a malformed filter, and a listener no one could connect to. */
  static fromConfig(authentication: AuthenticationConfig, maxTopicLevels: number): MqttUsers {
    const passwords = PasswordBook.fromUsers(authentication.users, 'mqtt.authentication.users');
    const permissions = new Map<string, UserPermissions>();
    for (const [index, user] of authentication.users.entries()) {
      for (const side of ['publish', 'subscribe'] as const) {
        for (const [position, filter] of (user[side] ?? []).entries()) {
          const problem = topicFilterProblem(filter.replaceAll('{username}', PLACEHOLDER_LEVEL).replaceAll('{clientId}', PLACEHOLDER_LEVEL), maxTopicLevels);
          if (problem !== null) throw new TributaryError('CONFIG_INVALID', `mqtt.authentication.users[${index}].${side}[${position}]: ${problem}`, { key: `mqtt.authentication.users[${index}]` });
        }
      }
      if (user.publish !== undefined || user.subscribe !== undefined) permissions.set(user.username, { publish: user.publish, subscribe: user.subscribe });
    }
    if (!authentication.allowAnonymous && passwords.size === 0) {
      throw new TributaryError('CONFIG_INVALID', 'mqtt.authentication: allowAnonymous is false and no users are listed, so no client could connect', { key: 'mqtt.authentication' });
    }
    return new MqttUsers(authentication.allowAnonymous, passwords, permissions, new Set(authentication.users.map((user) => user.username)));
  }

  /** Whether `username` is listed. */
  has(username: string): boolean {
    return this.#names.has(username);
  }

  /** Whether `password` is the user's (see PasswordBook.check). */
  check(username: string, password: Buffer): Promise<boolean> {
    return this.#passwords.check(username, password);
  }

  /** What a connection of `username` may do; undefined when the user is not restricted. */
  permissionsFor(username: string, clientId: string): TopicPermissions | undefined {
    const permissions = this.#permissions.get(username);
    return permissions === undefined ? undefined : new TopicPermissions(permissions, { username, clientId });
  }
}

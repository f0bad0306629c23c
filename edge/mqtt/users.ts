// The users of mqtt.authentication: checked at start, then asked at every CONNECT (is
// this the password?) and for every publish and subscription of a connection (may it?).
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import { PasswordBook } from '../auth/password-book.ts';
import type { SaslMechanism } from '../auth/sasl-mechanism.ts';
import { scramMechanismsOf } from '../auth/scram-mechanism.ts';
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
  /** MQTT 5 enhanced authentication (section 4.12): the SCRAM mechanisms, by Authentication Method. */
  readonly #mechanisms: ReadonlyMap<string, SaslMechanism>;

  private constructor(allowAnonymous: boolean, passwords: PasswordBook, mechanisms: readonly SaslMechanism[], permissions: Map<string, UserPermissions>, names: ReadonlySet<string>) {
    this.allowAnonymous = allowAnonymous;
    this.#passwords = passwords;
    this.#mechanisms = new Map(mechanisms.map((mechanism) => [mechanism.name, mechanism]));
    this.#permissions = permissions;
    this.#names = names;
  }

  /**
   * Refuses, naming the key, a hash it cannot use, a user listed twice, a malformed filter,
   * and a listener no one could connect to. With `certificatesAsked` (listeners.mqtts asks
   * devices for certificates), a user without any credential is listed for its permissions:
   * it signs in with a certificate naming it. With `permissions` 'acls' (mqtt.permissions),
   * a user's publish and subscribe filters would be ignored, so they are refused.
   */
  static fromConfig(authentication: AuthenticationConfig, maxTopicLevels: number, options: { certificatesAsked?: boolean; permissions?: 'yaml' | 'acls' } = {}): MqttUsers {
    const certificatesAsked = options.certificatesAsked ?? false;
    const passwords = PasswordBook.fromUsers(authentication.users, 'mqtt.authentication.users');
    const mechanisms = scramMechanismsOf(authentication.users, 'mqtt.authentication.users');
    const permissions = new Map<string, UserPermissions>();
    for (const [index, user] of authentication.users.entries()) {
      if (!certificatesAsked && user.passwordHash === undefined && user.scramSha256 === undefined && user.scramSha512 === undefined) {
        const key = `mqtt.authentication.users[${index}]`;
        throw new TributaryError('CONFIG_INVALID', `${key}: "${user.username}" has none of passwordHash, scramSha256, scramSha512, and listeners.mqtts asks for no client certificate, so it could never connect`, { key });
      }
      for (const side of ['publish', 'subscribe'] as const) {
        if (options.permissions === 'acls' && user[side] !== undefined) {
          const key = `mqtt.authentication.users[${index}].${side}`;
          throw new TributaryError('CONFIG_INVALID', `${key}: mqtt.permissions is acls, so these filters would not be read; grant "${user.username}" ACLs on TOPIC resources named by MQTT topics instead (README: MQTT permissions as ACLs)`, { key });
        }
        for (const [position, filter] of (user[side] ?? []).entries()) {
          const problem = topicFilterProblem(filter.replaceAll('{username}', PLACEHOLDER_LEVEL).replaceAll('{clientId}', PLACEHOLDER_LEVEL), maxTopicLevels);
          if (problem !== null) throw new TributaryError('CONFIG_INVALID', `mqtt.authentication.users[${index}].${side}[${position}]: ${problem}`, { key: `mqtt.authentication.users[${index}]` });
        }
      }
      if (user.publish !== undefined || user.subscribe !== undefined) permissions.set(user.username, { publish: user.publish, subscribe: user.subscribe });
    }
    if (!certificatesAsked && !authentication.allowAnonymous && authentication.users.length === 0) {
      throw new TributaryError('CONFIG_INVALID', 'mqtt.authentication: allowAnonymous is false and no users are listed, and listeners.mqtts asks for no client certificate, so no client could connect', { key: 'mqtt.authentication' });
    }
    return new MqttUsers(authentication.allowAnonymous, passwords, mechanisms, permissions, new Set(authentication.users.map((user) => user.username)));
  }

  /** The enhanced-authentication mechanism a CONNECT names as its Authentication Method, if some user can pass it. */
  mechanism(method: string): SaslMechanism | undefined {
    return this.#mechanisms.get(method);
  }

  /** The Authentication Methods served, for the refusal of another. */
  get methods(): string[] {
    return [...this.#mechanisms.keys()];
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

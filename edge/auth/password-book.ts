// Users with passwords (mqtt.authentication.users, kafka.sasl.users): checked at start,
// then asked at every connection whether this is the user's password.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../shared/errors.ts';
import { parsePasswordHash, verifyPassword, type ParsedHash } from './password-hash.ts';

export interface PasswordUser {
  username: string;
  /** Absent for a Kafka user who signs in only with SCRAM (edge/kafka/sasl/users.ts). */
  passwordHash?: string | undefined;
}

export class PasswordBook {
  readonly #hashes: Map<string, ParsedHash>;
  /** Key of the in-memory HMACs of passwords that passed; it never leaves this process. */
  readonly #memoKey = randomBytes(32);
  readonly #verified = new Map<string, Buffer>();

  private constructor(hashes: Map<string, ParsedHash>) {
    this.#hashes = hashes;
  }

  /** Refuses, naming the key (`${section}[i]`), a hash it cannot use and a user listed twice. */
  static fromUsers(users: readonly PasswordUser[], section: string): PasswordBook {
    const hashes = new Map<string, ParsedHash>();
    const listed = new Set<string>();
    for (const [index, user] of users.entries()) {
      const key = `${section}[${index}]`;
      if (listed.has(user.username)) throw new TributaryError('CONFIG_INVALID', `${key}.username: "${user.username}" is listed twice`, { key });
      listed.add(user.username);
      if (user.passwordHash === undefined) continue;
      const hash = parsePasswordHash(user.passwordHash);
      if (typeof hash === 'string') throw new TributaryError('CONFIG_INVALID', `${key}.passwordHash: the hash of "${user.username}" is not usable: ${hash}`, { key });
      hashes.set(user.username, hash);
    }
    return new PasswordBook(hashes);
  }

  get size(): number {
    return this.#hashes.size;
  }

  /**
   * Whether `password` is the user's. A password that passed once is remembered as an HMAC,
   * so that a thousand clients reconnecting after an outage cost one scrypt each, not one
   * per attempt.
   */
  async check(username: string, password: Buffer): Promise<boolean> {
    const hash = this.#hashes.get(username);
    if (hash === undefined) return false;
    const memo = createHmac('sha256', this.#memoKey).update(username).update('\u0000').update(password).digest();
    const known = this.#verified.get(username);
    if (known !== undefined && timingSafeEqual(known, memo)) return true;
    if (!(await verifyPassword(password, hash))) return false;
    this.#verified.set(username, memo);
    return true;
  }
}

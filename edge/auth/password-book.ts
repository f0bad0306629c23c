// Users with passwords (mqtt.authentication.users, kafka.sasl.users): checked at start,
// then asked at every connection whether this is the user's password.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../shared/errors.ts';
import { parsePasswordHash, verifyPassword, type ParsedHash } from './password-hash.ts';
import { parseScramCredential, scramPasswordMatches, SCRAM_MECHANISMS, type ScramCredential } from './scram-credential.ts';

export interface PasswordUser {
  username: string;
  /** Absent for a user who signs in only with SCRAM (edge/kafka/sasl/users.ts). */
  passwordHash?: string | undefined;
  scramSha256?: string | undefined;
  scramSha512?: string | undefined;
}

export interface PasswordBookOptions {
  /**
   * Also take the password of a user who holds a SCRAM credential and no passwordHash,
   * checked against its StoredKey (the admin port's Basic authentication). Off for SASL
   * PLAIN, which Kafka serves to its PLAIN users only.
   */
  acceptScram?: boolean;
}

export class PasswordBook {
  readonly #hashes: Map<string, ParsedHash | ScramCredential>;
  /** Key of the in-memory HMACs of passwords that passed; it never leaves this process. */
  readonly #memoKey = randomBytes(32);
  readonly #verified = new Map<string, Buffer>();

  private constructor(hashes: Map<string, ParsedHash | ScramCredential>) {
    this.#hashes = hashes;
  }

  /** Refuses, naming the key (`${section}[i]`), a hash it cannot use and a user listed twice. */
  static fromUsers(users: readonly PasswordUser[], section: string, options: PasswordBookOptions = {}): PasswordBook {
    const hashes = new Map<string, ParsedHash | ScramCredential>();
    const listed = new Set<string>();
    for (const [index, user] of users.entries()) {
      const key = `${section}[${index}]`;
      if (listed.has(user.username)) throw new TributaryError('CONFIG_INVALID', `${key}.username: "${user.username}" is listed twice`, { key });
      listed.add(user.username);
      if (user.passwordHash === undefined) {
        const scram = options.acceptScram === true ? scramCredentialOf(user) : undefined;
        if (scram !== undefined) hashes.set(user.username, scram);
        continue;
      }
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
    if (!(await ('storedKey' in hash ? scramPasswordMatches(hash, password) : verifyPassword(password, hash)))) return false;
    this.#verified.set(username, memo);
    return true;
  }
}

/** The user's first usable SCRAM credential; the mechanisms' own checks (edge/kafka/sasl/users.ts) name an unusable one. */
function scramCredentialOf(user: PasswordUser): ScramCredential | undefined {
  for (const hash of ['sha256', 'sha512'] as const) {
    const text = user[SCRAM_MECHANISMS[hash].configKey];
    const credential = text === undefined ? undefined : parseScramCredential(hash, text);
    if (credential !== undefined && typeof credential !== 'string') return credential;
  }
  return undefined;
}

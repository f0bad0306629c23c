// The mechanisms kafka.sasl.users make possible: PLAIN for users with a passwordHash,
// SCRAM-SHA-256 and SCRAM-SHA-512 for users with that credential. A mechanism is offered in
// SaslHandshake only when some user has its credential: one that nobody could pass would
// only turn a client's "unsupported mechanism" (which names the ones offered, so the
// operator sees what to configure) into a refused password.
import { PasswordBook } from '../../auth/password-book.ts';
import { parseScramCredential, SCRAM_MECHANISMS, type ScramCredential, type ScramHash } from '../../auth/scram-credential.ts';
import { TributaryError } from '../../../shared/errors.ts';
import type { SaslMechanism } from './mechanism.ts';
import { PlainMechanism } from './plain.ts';
import { ScramMechanism } from './scram.ts';

export interface SaslUser {
  username: string;
  passwordHash?: string | undefined;
  scramSha256?: string | undefined;
  scramSha512?: string | undefined;
}

/** Refuses, naming the key (`${section}[i].…`), a user without credentials and a credential it cannot use. */
export function saslMechanismsOf(users: readonly SaslUser[], section: string): SaslMechanism[] {
  const passwords = PasswordBook.fromUsers(users, section);
  const scram: Record<ScramHash, Map<string, ScramCredential>> = { sha256: new Map(), sha512: new Map() };
  for (const [index, user] of users.entries()) {
    const key = `${section}[${index}]`;
    if (user.passwordHash === undefined && user.scramSha256 === undefined && user.scramSha512 === undefined) {
      throw new TributaryError('CONFIG_INVALID', `${key}: "${user.username}" has none of passwordHash, scramSha256, scramSha512, so it could never sign in`, { key });
    }
    for (const hash of ['sha256', 'sha512'] as const) {
      const { configKey } = SCRAM_MECHANISMS[hash];
      const text = user[configKey];
      if (text === undefined) continue;
      const credential = parseScramCredential(hash, text);
      if (typeof credential === 'string') throw new TributaryError('CONFIG_INVALID', `${key}.${configKey}: the credential of "${user.username}" is not usable: ${credential}`, { key: `${key}.${configKey}` });
      scram[hash].set(user.username, credential);
    }
  }
  const mechanisms: SaslMechanism[] = [];
  if (passwords.size > 0) mechanisms.push(new PlainMechanism(passwords));
  for (const hash of ['sha256', 'sha512'] as const) if (scram[hash].size > 0) mechanisms.push(new ScramMechanism(hash, scram[hash]));
  return mechanisms;
}

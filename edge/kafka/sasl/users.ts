// The mechanisms kafka.sasl.users make possible: PLAIN for users with a passwordHash,
// SCRAM-SHA-256 and SCRAM-SHA-512 for users with that credential. A mechanism is offered in
// SaslHandshake only when some user has its credential: one that nobody could pass would
// only turn a client's "unsupported mechanism" (which names the ones offered, so the
// operator sees what to configure) into a refused password.
import { PasswordBook } from '../../auth/password-book.ts';
import { TributaryError } from '../../../shared/errors.ts';
import type { SaslMechanism } from '../../auth/sasl-mechanism.ts';
import { PlainMechanism } from './plain.ts';
import { scramMechanismsOf } from '../../auth/scram-mechanism.ts';

export interface SaslUser {
  username: string;
  passwordHash?: string | undefined;
  scramSha256?: string | undefined;
  scramSha512?: string | undefined;
}

/** Refuses, naming the key (`${section}[i].…`), a user without credentials and a credential it cannot use. */
export function saslMechanismsOf(users: readonly SaslUser[], section: string): SaslMechanism[] {
  const passwords = PasswordBook.fromUsers(users, section);
  for (const [index, user] of users.entries()) {
    if (user.passwordHash === undefined && user.scramSha256 === undefined && user.scramSha512 === undefined) {
      const key = `${section}[${index}]`;
      throw new TributaryError('CONFIG_INVALID', `${key}: "${user.username}" has none of passwordHash, scramSha256, scramSha512, so it could never sign in`, { key });
    }
  }
  const mechanisms: SaslMechanism[] = [];
  if (passwords.size > 0) mechanisms.push(new PlainMechanism(passwords));
  mechanisms.push(...scramMechanismsOf(users, section));
  return mechanisms;
}

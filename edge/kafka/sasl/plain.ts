// SASL PLAIN (RFC 4616): one token, [authzid] NUL authcid NUL passwd, checked against the
// users' password hashes. PLAIN sends the password as it is, so it belongs on TLS or on a
// trusted network.
import type { PasswordBook } from '../../auth/password-book.ts';
import type { SaslExchange, SaslMechanism, SaslStep } from '../../auth/sasl-mechanism.ts';

export class PlainMechanism implements SaslMechanism {
  readonly name = 'PLAIN';
  readonly #users: PasswordBook;

  constructor(users: PasswordBook) {
    this.#users = users;
  }

  start(): SaslExchange {
    return { step: (token) => this.#check(token) };
  }

  async #check(token: Buffer): Promise<SaslStep> {
    const [authorizationId, username, password] = splitPlainToken(token);
    const user = username?.toString('utf8');
    const valid = user !== undefined && password !== undefined && (authorizationId === '' || authorizationId === user)
      && await this.#users.check(user, password);
    if (!valid) return { outcome: 'failed', reason: 'unknown user or wrong password', user };
    return { outcome: 'authenticated', user, response: Buffer.alloc(0) };
  }
}

/** RFC 4616: [authzid] NUL authcid NUL passwd. */
function splitPlainToken(token: Buffer): [string, Buffer | undefined, Buffer | undefined] {
  const first = token.indexOf(0);
  const second = first < 0 ? -1 : token.indexOf(0, first + 1);
  if (first < 0 || second < 0) return ['', undefined, undefined];
  return [token.subarray(0, first).toString('utf8'), token.subarray(first + 1, second), token.subarray(second + 1)];
}

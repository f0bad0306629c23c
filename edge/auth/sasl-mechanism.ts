// What a SASL mechanism is to a Kafka listener (a name offered in SaslHandshake) and to an
// MQTT 5 listener (an Authentication Method of CONNECT, section 4.12): an exchange of
// tokens that ends with a user or a refusal. PLAIN takes one token; a mechanism
// such as SCRAM (RFC 5802) answers a first token with a challenge and takes a second.

/** What one client token leads to. */
export type SaslStep =
  /** The client is this user; `response` goes back to it (empty for PLAIN). */
  | { outcome: 'authenticated'; user: string; response: Buffer }
  /** The exchange goes on: `response` is the server's challenge, and the client sends another token. */
  | { outcome: 'challenge'; response: Buffer }
  /**
   * Refused; `reason` is for the log and never holds a secret. `clientMessage` tells the client
   * what was malformed; without it the client hears only that the user name or password is wrong.
   */
  | { outcome: 'failed'; reason: string; user: string | undefined; clientMessage?: string };

/** One client's exchange with a mechanism, from its first token to its end. */
export interface SaslExchange {
  step(token: Buffer): Promise<SaslStep>;
}

export interface SaslMechanism {
  /** The name clients ask for in SaslHandshake, e.g. "PLAIN". */
  readonly name: string;
  start(): SaslExchange;
}

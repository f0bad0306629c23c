// SASL SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677, KIP-84): the client proves it
// knows the password without sending it, and the server proves it holds the credential.
// Two tokens: client-first, answered with server-first (the salt, the iteration count and a
// nonce of the server's own appended to the client's); client-final with the ClientProof,
// answered with the ServerSignature when the proof holds. The server keeps only StoredKey
// and ServerKey (edge/auth/scram-credential.ts), so checking a proof costs two HMACs and a
// hash, never a PBKDF2.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../shared/errors.ts';
import { digest, hmac, parseScramCredential, SCRAM_ITERATIONS_NEW, SCRAM_MECHANISMS, SCRAM_SALT_BYTES, type ScramCredential, type ScramHash } from './scram-credential.ts';
import type { SaslExchange, SaslMechanism, SaslStep } from './sasl-mechanism.ts';
import { decodeUtf8, parseClientFinal, parseClientFirst, serverFinal, serverFirst, type ClientFirstMessage } from './scram-messages.ts';

/**
 * Largest SCRAM message read. A client-first message holds a user name (at most 256
 * characters, escaped, up to 4 bytes each) and a nonce; a client-final one the nonces and a
 * proof of at most 88 base64 characters: 4 KiB holds any honest one with room to spare, and
 * bounds what a stranger can make the broker parse before it has authenticated.
 */
export const SCRAM_MESSAGE_BYTES_MAX = 4096;
/** Random bytes in the server's part of the nonce: RFC 5802 §5.1 wants it unpredictable; 144 bits, 24 base64 characters. */
const SERVER_NONCE_BYTES = 18;

/** What the exchange holds between its two tokens. */
interface AfterClientFirst {
  message: ClientFirstMessage;
  serverFirst: string;
  /** The whole nonce of server-first: the client's, then the server's own. */
  nonce: string;
  /** The user's credential, or an unknown user's stand-in. */
  credential: ScramCredential;
  known: boolean;
}

export interface ScramOptions {
  /** The server's part of each nonce; random unless a test fixes it (RFC 7677 §3's example). */
  serverNonce?: () => string;
}

export class ScramMechanism implements SaslMechanism {
  readonly name: string;
  readonly #hash: ScramHash;
  readonly #credentials: ReadonlyMap<string, ScramCredential>;
  readonly #serverNonce: () => string;
  /** Secret from which an unknown user's salt is derived, and the keys no proof matches. */
  readonly #decoyKey: Buffer;
  readonly #decoyKeys: Buffer;

  constructor(hash: ScramHash, credentials: ReadonlyMap<string, ScramCredential>, options: ScramOptions = {}) {
    this.name = SCRAM_MECHANISMS[hash].name;
    this.#hash = hash;
    this.#credentials = credentials;
    this.#serverNonce = options.serverNonce ?? (() => randomBytes(SERVER_NONCE_BYTES).toString('base64'));
    // Derived from the users' ServerKeys, secret and the same at every start, so that an
    // unknown user is offered the same salt each time, as a known one is (PostgreSQL answers
    // unknown users with such a mock salt; Kafka refuses them at client-first, which tells a
    // stranger which names exist). With no users, a random key.
    const serverKeys = [...credentials.values()].map((credential) => credential.serverKey);
    this.#decoyKey = serverKeys.length === 0 ? randomBytes(32) : hmac(hash, Buffer.concat(serverKeys), 'unknown user salt');
    this.#decoyKeys = randomBytes(SCRAM_MECHANISMS[hash].keyBytes);
  }

  start(): SaslExchange {
    let first: AfterClientFirst | undefined;
    let over = false;
    return {
      step: async (token: Buffer): Promise<SaslStep> => {
        if (over) return { outcome: 'failed', reason: `${this.name}: the exchange is over`, user: first?.message.username };
        const text = token.length > SCRAM_MESSAGE_BYTES_MAX ? undefined : decodeUtf8(token);
        if (text === undefined) {
          over = true;
          return this.#refused(`a message of ${token.length} bytes that is not UTF-8 or longer than ${SCRAM_MESSAGE_BYTES_MAX}`, first?.message.username);
        }
        if (first === undefined) {
          const message = parseClientFirst(text);
          if (typeof message === 'string') {
            over = true;
            return this.#refused(message, undefined);
          }
          if (message.authorizationId !== undefined && message.authorizationId !== message.username) {
            over = true;
            return this.#refused(`authzid "${message.authorizationId}" is not the user name; acting for another user is not supported`, message.username);
          }
          const stored = this.#credentials.get(message.username);
          const credential = stored ?? this.#decoy(message.username);
          const nonce = message.clientNonce + this.#serverNonce();
          first = { message, serverFirst: serverFirst(nonce, credential.salt, credential.iterations), nonce, credential, known: stored !== undefined };
          return { outcome: 'challenge', response: Buffer.from(first.serverFirst) };
        }
        over = true;
        return this.#final(text, first);
      },
    };
  }

  #final(text: string, first: AfterClientFirst): SaslStep {
    const user = first.message.username;
    const message = parseClientFinal(text);
    if (typeof message === 'string') return this.#refused(message, user);
    // RFC 5802 §5.1: c= repeats the GS2 header, and r= the whole nonce of server-first.
    if (message.channelBinding !== Buffer.from(first.message.gs2Header).toString('base64')) return this.#refused('the channel binding (c=) does not match the GS2 header', user);
    if (!nonceEchoed(message.nonce, first.message.clientNonce, first.nonce)) return this.#refused('the nonce (r=) is not the one the server sent', user);
    const { credential } = first;
    // RFC 5802 §3: ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage), and the proof
    // holds when H(ClientKey) is StoredKey. Done for an unknown user too, against keys no
    // proof matches, so that both refusals cost the same.
    const authMessage = `${first.message.bare},${first.serverFirst},${message.withoutProof}`;
    const clientSignature = hmac(this.#hash, credential.storedKey, authMessage);
    const proofFits = message.proof.length === clientSignature.length;
    const clientKey = Buffer.alloc(clientSignature.length);
    for (let index = 0; index < clientKey.length; index += 1) clientKey[index] = (proofFits ? message.proof[index]! : 0) ^ clientSignature[index]!;
    const matches = timingSafeEqual(digest(this.#hash, clientKey), credential.storedKey);
    if (!first.known) return this.#refused(`unknown user (no ${SCRAM_MECHANISMS[this.#hash].configKey} credential)`, user, false);
    if (!proofFits || !matches) return this.#refused('wrong password (the client proof does not match)', user, false);
    return { outcome: 'authenticated', user, response: Buffer.from(serverFinal(hmac(this.#hash, credential.serverKey, authMessage))) };
  }

  /** An unknown user's stand-in: a salt that is the same at every attempt, and keys no proof matches. */
  #decoy(username: string): ScramCredential {
    const salt = hmac(this.#hash, this.#decoyKey, username).subarray(0, SCRAM_SALT_BYTES);
    return { hash: this.#hash, iterations: SCRAM_ITERATIONS_NEW, salt, storedKey: this.#decoyKeys, serverKey: this.#decoyKeys };
  }

  /**
   * A refusal. A malformed exchange tells the client what was wrong; a wrong password or an
   * unknown user gets the one message that does not say which (the session's).
   */
  #refused(reason: string, user: string | undefined, tellClient = true): SaslStep {
    return { outcome: 'failed', reason: `${this.name}: ${reason}`, user, ...(tellClient ? { clientMessage: `Authentication failed: ${reason}` } : {}) };
  }
}

/**
 * Whether client-final's r= is the nonce of server-first. RFC 5802 §5.1 asks for it exactly;
 * librdkafka (2.0.2 at least, so kcat and confluent-kafka on Debian 12) sends its own nonce
 * again in front of it, and Kafka accepts any r= that ends with the server's. Only those two
 * forms are taken here: the server's random part still ends the nonce, and the proof covers
 * the message as sent, so neither form lets an old proof be replayed.
 */
function nonceEchoed(sent: string, clientNonce: string, nonce: string): boolean {
  return sent === nonce || sent === clientNonce + nonce;
}

export interface ScramUser {
  username: string;
  scramSha256?: string | undefined;
  scramSha512?: string | undefined;
}

/**
 * The SCRAM mechanisms `users` make possible, one per hash some user holds a credential
 * for (kafka.sasl.users, mqtt.authentication.users); refuses, naming the key
 * (`${section}[i].scramSha256`), a credential it cannot use.
 */
export function scramMechanismsOf(users: readonly ScramUser[], section: string): ScramMechanism[] {
  const credentials: Record<ScramHash, Map<string, ScramCredential>> = { sha256: new Map(), sha512: new Map() };
  for (const [index, user] of users.entries()) {
    for (const hash of ['sha256', 'sha512'] as const) {
      const { configKey } = SCRAM_MECHANISMS[hash];
      const text = user[configKey];
      if (text === undefined) continue;
      const credential = parseScramCredential(hash, text);
      const key = `${section}[${index}].${configKey}`;
      if (typeof credential === 'string') throw new TributaryError('CONFIG_INVALID', `${key}: the credential of "${user.username}" is not usable: ${credential}`, { key });
      credentials[hash].set(user.username, credential);
    }
  }
  return (['sha256', 'sha512'] as const).filter((hash) => credentials[hash].size > 0).map((hash) => new ScramMechanism(hash, credentials[hash]));
}

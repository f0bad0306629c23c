// The client's side of SASL on a Kafka connection (KIP-43, KIP-152): SaslHandshake v1 names
// the mechanism, then SaslAuthenticate v2 carries its tokens, before any other request but
// ApiVersions. PLAIN (RFC 4616) sends the password inside the (TLS) connection; SCRAM-SHA-256
// and SCRAM-SHA-512 (RFC 5802, RFC 7677, KIP-84) prove the client knows it without sending it,
// and check that the server holds the credential too.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../errors.ts';
import { clientKeyOf, digest, hmac, saltedPassword, SCRAM_ITERATIONS_MIN, type ScramHash } from '../../auth/scram-keys.ts';
import { clientFinalWithoutProof, clientFirstBare, GS2_HEADER_PLAIN, parseServerFinal, parseServerFirst } from '../../auth/scram-messages.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { kafkaAnswerError } from './kafka-errors.ts';

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslOptions {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

const SASL_HANDSHAKE_VERSION = 1;
/** v2 is flexible; Kafka serves 0-2 and reads the error message of a refusal from v1 on. */
const SASL_AUTHENTICATE_VERSION = 2;
/** Bytes of the client nonce: 24 random bytes, 32 base64 characters, as Kafka's client sends. */
const CLIENT_NONCE_BYTES = 24;
/**
 * Most iterations the client computes: Kafka stores at most 16,384 (ScramMechanism), so a
 * server asking for more is not a Kafka broker, and each iteration costs the device CPU.
 */
const SCRAM_ITERATIONS_CLIENT_MAX = 16_384;

const SCRAM_HASHES: Record<Exclude<SaslMechanismName, 'PLAIN'>, ScramHash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

/** Authenticates `connection`; throws BROKER_REQUEST_FAILED with `authentication` set when the broker refuses. */
export async function authenticate(connection: BrokerConnection, sasl: SaslOptions, timeoutMs: number): Promise<void> {
  const handshake = await connection.request(ApiKey.SaslHandshake, SASL_HANDSHAKE_VERSION, { mechanism: sasl.mechanism }, timeoutMs);
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw kafkaAnswerError(handshake.errorCode, `the broker offers ${handshake.mechanisms.join(', ') || 'no mechanism'}, not ${sasl.mechanism}`, 'SASL handshake');
  }
  const exchange = async (token: Buffer): Promise<Buffer> => {
    const answer = await connection.request(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_VERSION, { authBytes: token }, timeoutMs);
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaAnswerError(answer.errorCode, answer.errorMessage, `SASL ${sasl.mechanism} as user ${sasl.username}`);
    return answer.authBytes;
  };
  if (sasl.mechanism === 'PLAIN') {
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
    await exchange(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
    return;
  }
  await scram(SCRAM_HASHES[sasl.mechanism], sasl, exchange);
}

async function scram(hash: ScramHash, sasl: SaslOptions, exchange: (token: Buffer) => Promise<Buffer>): Promise<void> {
  const refused = (why: string): TributaryError => new TributaryError('BROKER_REQUEST_FAILED', `SASL ${sasl.mechanism} as user ${sasl.username}: ${why}`, { authentication: why });
  const clientNonce = randomBytes(CLIENT_NONCE_BYTES).toString('base64');
  const firstBare = clientFirstBare(sasl.username, clientNonce);
  const serverFirstText = (await exchange(Buffer.from(GS2_HEADER_PLAIN + firstBare, 'utf8'))).toString('utf8');
  const serverFirst = parseServerFirst(serverFirstText, clientNonce);
  if (typeof serverFirst === 'string') throw refused(serverFirst);
  // RFC 7677 §4 and Kafka's client (ScramMechanism.minIterations): fewer iterations weaken the proof a listener could capture.
  if (serverFirst.iterations < SCRAM_ITERATIONS_MIN || serverFirst.iterations > SCRAM_ITERATIONS_CLIENT_MAX) {
    throw refused(`the server asks for ${serverFirst.iterations} iterations, outside ${SCRAM_ITERATIONS_MIN}-${SCRAM_ITERATIONS_CLIENT_MAX}`);
  }
  const salted = await saltedPassword(hash, sasl.password, serverFirst.salt, serverFirst.iterations);
  const withoutProof = clientFinalWithoutProof(GS2_HEADER_PLAIN, serverFirst.nonce);
  // AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof (RFC 5802 §3).
  const authMessage = `${firstBare},${serverFirstText},${withoutProof}`;
  const clientKey = clientKeyOf(hash, salted);
  const clientSignature = hmac(hash, digest(hash, clientKey), authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let index = 0; index < proof.length; index += 1) proof[index] = clientKey[index]! ^ clientSignature[index]!;
  const serverFinalText = (await exchange(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8');
  const serverSignature = parseServerFinal(serverFinalText);
  if (typeof serverSignature === 'string') throw refused(serverSignature);
  // The server proves it holds ServerKey: a server that merely accepted any proof fails here.
  const expected = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage);
  if (serverSignature.length !== expected.length || !timingSafeEqual(serverSignature, expected)) throw refused('the server\'s signature does not match: it does not hold this user\'s credential');
}

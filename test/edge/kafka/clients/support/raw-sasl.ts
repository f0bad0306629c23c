// Signing a raw Kafka connection in with SASL, as a client does: SaslHandshake v1 naming
// the mechanism, then SaslAuthenticate with PLAIN's one token or SCRAM's two messages
// (RFC 5802 §3, the client's side computed here from the password).
import { randomBytes } from 'node:crypto';
import { clientKeyOf, digest, hmac, saltedPassword, SCRAM_MECHANISMS, type ScramHash } from '../../../../../edge/auth/scram-credential.ts';
import type { RawKafkaConnection } from './raw-kafka.ts';

/** What a client sends as client-final for `serverFirst`, computed from the password (RFC 5802 §3). */
export async function scramClientFinal(hash: ScramHash, password: string, clientFirstBare: string, serverFirstText: string, { gs2Header = 'n,,', noncePrefix = '' } = {}): Promise<string> {
  const attributes = Object.fromEntries(serverFirstText.split(',').map((attribute) => [attribute[0], attribute.slice(2)]));
  const salted = await saltedPassword(hash, password, Buffer.from(attributes.s!, 'base64'), Number(attributes.i));
  const withoutProof = `c=${Buffer.from(gs2Header).toString('base64')},r=${noncePrefix}${attributes.r}`;
  const clientKey = clientKeyOf(hash, salted);
  const signature = hmac(hash, digest(hash, clientKey), `${clientFirstBare},${serverFirstText},${withoutProof}`);
  return `${withoutProof},p=${Buffer.from(clientKey.map((byte, index) => byte ^ signature[index]!)).toString('base64')}`;
}

async function authenticate(connection: RawKafkaConnection, token: string): Promise<Buffer> {
  const response = await connection.request(36, 2, { authBytes: Buffer.from(token) });
  if (response.errorCode !== 0) throw new Error(`SaslAuthenticate refused (${response.errorCode}): ${response.errorMessage}`);
  return response.authBytes;
}

async function handshake(connection: RawKafkaConnection, mechanism: string): Promise<void> {
  const response = await connection.request(17, 1, { mechanism });
  if (response.errorCode !== 0) throw new Error(`SaslHandshake for ${mechanism} refused (${response.errorCode}); offered: ${response.mechanisms.join(', ')}`);
}

export async function signInPlain(connection: RawKafkaConnection, username: string, password: string): Promise<void> {
  await handshake(connection, 'PLAIN');
  await authenticate(connection, `\0${username}\0${password}`);
}

export async function signInScram(connection: RawKafkaConnection, hash: ScramHash, username: string, password: string): Promise<void> {
  await handshake(connection, SCRAM_MECHANISMS[hash].name);
  const clientFirstBare = `n=${username},r=${randomBytes(18).toString('base64')}`;
  const serverFirst = (await authenticate(connection, `n,,${clientFirstBare}`)).toString();
  await authenticate(connection, await scramClientFinal(hash, password, clientFirstBare, serverFirst));
}

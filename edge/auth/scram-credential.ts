// SCRAM credentials of Kafka users (kafka.sasl.users[].scramSha256, .scramSha512): what the
// server keeps so that it can check a client's proof without ever holding the password
// (RFC 5802 §3). A credential reads
//   scram-sha-256$<iterations>$<salt, base64>$<StoredKey, base64>$<ServerKey, base64>
// (scram-sha-512 likewise), and `tributary config hash-password --scram-sha-256` makes one.
// The algorithm and the iteration count travel with it, so a file read years later still
// says what it holds.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { clientKeyOf, digest, hmac, saltedPassword, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, type ScramHash } from '../../shared/auth/scram-keys.ts';

export { clientKeyOf, digest, hmac, saltedPassword, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, type ScramHash };

export const SCRAM_HASHES: readonly ScramHash[] = ['sha256', 'sha512'];

/** The hash of a Kafka SCRAM mechanism type code (Describe/AlterUserScramCredentials, KIP-554), or undefined for 0 (UNKNOWN) and any other. */
export function scramHashOfKafkaType(type: number): ScramHash | undefined {
  return SCRAM_HASHES.find((hash) => SCRAM_MECHANISMS[hash].kafkaType === type);
}

/** Most iterations accepted: Kafka refuses to store more (ScramMechanism.maxIterations), so its clients need not expect more. */
export const SCRAM_ITERATIONS_MAX = 16_384;
/**
 * Iterations of new credentials: twice Kafka's default. Each costs the client a PBKDF2 at
 * every connection (milliseconds on a Raspberry Pi) and never costs the broker, which keeps
 * StoredKey and ServerKey; it doubles the work of guessing passwords from a leaked file.
 */
export const SCRAM_ITERATIONS_NEW = 8192;
/** Salt of new credentials: 128 bits, as RFC 7677's example and Kafka's own tools use. */
export const SCRAM_SALT_BYTES = 16;
/** A shorter salt is refused: below 64 bits, precomputed tables become practical. */
const SCRAM_SALT_BYTES_MIN = 8;

export interface ScramCredential {
  hash: ScramHash;
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The credential of `password`: StoredKey := H(ClientKey), ServerKey := HMAC(SaltedPassword, "Server Key") (RFC 5802 §3). */
export async function makeScramCredential(hash: ScramHash, password: Buffer | string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES), iterations: number = SCRAM_ITERATIONS_NEW): Promise<ScramCredential> {
  const salted = await saltedPassword(hash, password, salt, iterations);
  return { hash, iterations, salt, storedKey: digest(hash, clientKeyOf(hash, salted)), serverKey: hmac(hash, salted, 'Server Key') };
}

/**
 * Whether `password` is the one `credential` was made from: H(HMAC(Hi(password), "Client
 * Key")) is its StoredKey (RFC 5802 §3). This is how a password sent whole (HTTP Basic on the
 * admin port) is checked for a user who holds a SCRAM credential only; it costs one PBKDF2.
 */
export async function scramPasswordMatches(credential: ScramCredential, password: Buffer): Promise<boolean> {
  const salted = await saltedPassword(credential.hash, password, credential.salt, credential.iterations);
  return timingSafeEqual(digest(credential.hash, clientKeyOf(credential.hash, salted)), credential.storedKey);
}

export function formatScramCredential(credential: ScramCredential): string {
  const { prefix } = SCRAM_MECHANISMS[credential.hash];
  return [prefix, credential.iterations, credential.salt.toString('base64'), credential.storedKey.toString('base64'), credential.serverKey.toString('base64')].join('$');
}

/** The credential's parts, or a sentence saying what is wrong with it. */
export function parseScramCredential(hash: ScramHash, text: string): ScramCredential | string {
  const { prefix, keyBytes } = SCRAM_MECHANISMS[hash];
  const parts = text.split('$');
  if (parts.length !== 5 || parts[0] !== prefix) return `expected ${prefix}$iterations$salt$storedKey$serverKey (made by \`tributary config hash-password --${prefix}\`)`;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) return `the iterations must be ${SCRAM_ITERATIONS_MIN}-${SCRAM_ITERATIONS_MAX}, not ${parts[1]}`;
  const [salt, storedKey, serverKey] = parts.slice(2).map((part) => Buffer.from(part, 'base64')) as [Buffer, Buffer, Buffer];
  if (salt.length < SCRAM_SALT_BYTES_MIN) return `the salt must be at least ${SCRAM_SALT_BYTES_MIN} bytes, not ${salt.length}`;
  if (storedKey.length !== keyBytes || serverKey.length !== keyBytes) return `StoredKey and ServerKey must be ${keyBytes} bytes each for ${SCRAM_MECHANISMS[hash].name}`;
  return { hash, iterations, salt, storedKey, serverKey };
}

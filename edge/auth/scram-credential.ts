// SCRAM credentials of Kafka users (kafka.sasl.users[].scramSha256, .scramSha512): what the
// server keeps so that it can check a client's proof without ever holding the password
// (RFC 5802 §3). A credential reads
//   scram-sha-256$<iterations>$<salt, base64>$<StoredKey, base64>$<ServerKey, base64>
// (scram-sha-512 likewise), and `tributary config hash-password --scram-sha-256` makes one.
// The algorithm and the iteration count travel with it, so a file read years later still
// says what it holds.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/** The SCRAM hash functions served, as node:crypto names them. */
export type ScramHash = 'sha256' | 'sha512';

/**
 * The mechanism names of RFC 7677 and KIP-84, the credential prefix of each, and the type
 * code Describe/AlterUserScramCredentials give it (Kafka's admin ScramMechanism, KIP-554).
 */
export const SCRAM_MECHANISMS = {
  sha256: { name: 'SCRAM-SHA-256', prefix: 'scram-sha-256', configKey: 'scramSha256', keyBytes: 32, kafkaType: 1 },
  sha512: { name: 'SCRAM-SHA-512', prefix: 'scram-sha-512', configKey: 'scramSha512', keyBytes: 64, kafkaType: 2 },
} as const satisfies Record<ScramHash, { name: string; prefix: string; configKey: string; keyBytes: number; kafkaType: number }>;

export const SCRAM_HASHES: readonly ScramHash[] = ['sha256', 'sha512'];

/** The hash of a Kafka SCRAM mechanism type code, or undefined for 0 (UNKNOWN) and any other. */
export function scramHashOfKafkaType(type: number): ScramHash | undefined {
  return SCRAM_HASHES.find((hash) => SCRAM_MECHANISMS[hash].kafkaType === type);
}

/**
 * Fewest iterations accepted: RFC 7677 §4 asks for at least 4096, and Kafka's clients
 * refuse a server-first message with fewer (ScramMechanism.minIterations).
 */
export const SCRAM_ITERATIONS_MIN = 4096;
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

/** SaltedPassword := Hi(Normalize(password), salt, i), Hi being PBKDF2 with HMAC (RFC 5802 §2.2, §3). */
export function saltedPassword(hash: ScramHash, password: Buffer | string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(password, salt, iterations, SCRAM_MECHANISMS[hash].keyBytes, hash, (error, key) => (error ? reject(error) : resolve(key))));
}

export function hmac(hash: ScramHash, key: Buffer, text: Buffer | string): Buffer {
  return createHmac(hash, key).update(text).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

/** ClientKey := HMAC(SaltedPassword, "Client Key") (RFC 5802 §3). */
export function clientKeyOf(hash: ScramHash, salted: Buffer): Buffer {
  return hmac(hash, salted, 'Client Key');
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

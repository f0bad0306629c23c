// The keys of SCRAM (RFC 5802 §3, RFC 7677, KIP-84) that both sides derive: the server when it
// makes a credential or checks a proof (edge/auth), the client when it proves it knows the
// password (shared/kafka/client/sasl-client.ts).
import { createHash, createHmac, pbkdf2 } from 'node:crypto';

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

/**
 * Fewest iterations accepted: RFC 7677 §4 asks for at least 4096, and Kafka's clients
 * refuse a server-first message with fewer (ScramMechanism.minIterations).
 */
export const SCRAM_ITERATIONS_MIN = 4096;

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

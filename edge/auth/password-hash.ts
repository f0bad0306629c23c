// Passwords of MQTT and Kafka users: the YAML file holds scrypt hashes, never passwords. A hash reads
//   scrypt$<N>$<r>$<p>$<salt, base64>$<key, base64>
// and `tributary config hash-password` makes one. scrypt (in node:crypto) is deliberately
// slow and memory-hard, so a leaked configuration file does not give the passwords away.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters of new hashes: N = 2^14, r = 8, p = 1 takes 16 MiB and tens of milliseconds per check. */
const NEW_HASH_COST = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/**
 * Memory one check may take (scrypt needs 128 · N · r bytes). Checks run on libuv's thread
 * pool, four at once by default, so this bounds them to 256 MiB together on a device with
 * 1 GiB; a hash asking for more is refused at start rather than failing each CONNECT.
 */
const SCRYPT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;
/** scrypt's own working space beyond 128 · N · r, so that a hash at the bound still runs. */
const SCRYPT_MEMORY_HEADROOM_BYTES = 1024 * 1024;

export interface ParsedHash {
  cost: ScryptOptions;
  salt: Buffer;
  key: Buffer;
}

/** The hash's parts, or a sentence saying what is wrong with it. */
export function parsePasswordHash(hash: string): ParsedHash | string {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'expected scrypt$N$r$p$salt$key (made by `tributary config hash-password`)';
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(Math.log2(N)) || N < 2) return 'N must be a power of two of at least 2';
  if (!(r >= 1 && r <= 32 && p >= 1 && p <= 16)) return 'r must be 1-32 and p 1-16';
  if (128 * N * r > SCRYPT_MAX_MEMORY_BYTES) return `N = ${N} with r = ${r} needs ${(128 * N * r) / 1048576} MiB per check, more than the ${SCRYPT_MAX_MEMORY_BYTES / 1048576} MiB allowed`;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return 'the salt must be at least 8 bytes and the key at least 16';
  return { cost: { N, r, p, maxmem: SCRYPT_MAX_MEMORY_BYTES + SCRYPT_MEMORY_HEADROOM_BYTES }, salt, key };
}

function derive(password: Buffer | string, salt: Buffer, length: number, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, cost, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, { ...NEW_HASH_COST, maxmem: SCRYPT_MAX_MEMORY_BYTES + SCRYPT_MEMORY_HEADROOM_BYTES });
  return ['scrypt', NEW_HASH_COST.N, NEW_HASH_COST.r, NEW_HASH_COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` is the one `hash` was made from. */
export async function verifyPassword(password: Buffer, hash: ParsedHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.key.length, hash.cost);
  return timingSafeEqual(key, hash.key);
}

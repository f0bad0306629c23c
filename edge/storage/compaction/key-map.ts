// The cleaner's map from record key to the offset of its newest record, in a fixed block of
// memory: an open-addressing table of (16-byte key digest, 8-byte offset) slots with linear
// probing, as Kafka's SkimpyOffsetMap. A key of up to 15 bytes (a device id, a sensor name)
// is its own digest: its length, then its bytes, exact and with no hashing. A longer key is
// hashed with MD5, its first bit set so that it never equals a short key's digest; two long
// keys sharing 127 bits of MD5 is an event that would cost the older of their records, the
// price Kafka accepts too. The table never grows: once it holds
// its share of keys the cleaner stops adding, cleans what the map covers and leaves the rest
// for the next pass (a partial pass).
import { hash } from 'node:crypto';

/** Bytes of the store-wide key map: 262,144 keys per pass (24-byte slots, three quarters used), a small share of a device's memory. */
export const CLEANER_KEY_MAP_BYTES_MAX = 8 * 1024 * 1024;
/** Filled beyond this share, linear probing slows sharply; Kafka's log.cleaner.io.buffer.load.factor is 0.9. */
const LOAD_FACTOR = 0.75;
const HASH_BYTES = 16;
const SLOT_BYTES = HASH_BYTES + 8;

export class KeyOffsetMap {
  readonly #slots: Buffer;
  readonly #slotCount: number;
  readonly #keysMax: number;
  #size = 0;

  /** `bytes` below CLEANER_KEY_MAP_BYTES_MAX only in tests of a partial pass. */
  constructor(bytes = CLEANER_KEY_MAP_BYTES_MAX) {
    this.#slotCount = Math.max(2, Math.floor(bytes / SLOT_BYTES));
    this.#slots = Buffer.alloc(this.#slotCount * SLOT_BYTES);
    this.#keysMax = Math.max(1, Math.floor(this.#slotCount * LOAD_FACTOR));
  }

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /** The most keys it takes. */
  get keysMax(): number {
    return this.#keysMax;
  }

  get full(): boolean {
    return this.#size >= this.#keysMax;
  }

  clear(): void {
    this.#slots.fill(0);
    this.#size = 0;
  }

  /** Records `offset` as the newest of `key`. False when the key is new and the map is full: nothing changed. */
  put(key: Buffer, offset: bigint): boolean {
    const digest = digestOf(key);
    const slot = this.#find(digest);
    if (this.#isEmpty(slot)) {
      if (this.full) return false;
      digest.copy(this.#slots, slot);
      this.#size += 1;
    }
    // Offsets are stored plus one, so an all-zero slot is empty.
    this.#slots.writeBigInt64BE(offset + 1n, slot + HASH_BYTES);
    return true;
  }

  /** The newest offset recorded for `key`, or undefined. */
  get(key: Buffer): bigint | undefined {
    const slot = this.#find(digestOf(key));
    return this.#isEmpty(slot) ? undefined : this.#slots.readBigInt64BE(slot + HASH_BYTES) - 1n;
  }

  /** The byte position of the key's slot, or of the empty slot where it would go. */
  #find(digest: Buffer): number {
    let index = spreadOf(digest) % this.#slotCount;
    for (;;) {
      const slot = index * SLOT_BYTES;
      if (this.#isEmpty(slot) || this.#slots.compare(digest, 0, HASH_BYTES, slot, slot + HASH_BYTES) === 0) return slot;
      index = index + 1 === this.#slotCount ? 0 : index + 1;
    }
  }

  #isEmpty(slot: number): boolean {
    const at = slot + HASH_BYTES;
    return this.#slots.readUInt32BE(at) === 0 && this.#slots.readUInt32BE(at + 4) === 0;
  }
}

const SHORT_KEY_BYTES_MAX = HASH_BYTES - 1;
/** Reused for every short key's digest: the map copies it into a slot before the next call. */
const shortDigest = Buffer.alloc(HASH_BYTES);

/** The 16 bytes a key is known by: a short key itself (length first, below 0x80), or its MD5 with the first bit set. */
function digestOf(key: Buffer): Buffer {
  if (key.length <= SHORT_KEY_BYTES_MAX) {
    shortDigest.fill(0);
    shortDigest[0] = key.length;
    key.copy(shortDigest, 1);
    return shortDigest;
  }
  const digest = hash('md5', key, 'buffer');
  digest[0] = digest[0]! | 0x80;
  return digest;
}

/** Where a digest starts probing: FNV-1a over its bytes, so that short keys with a common prefix spread out. */
function spreadOf(digest: Buffer): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < HASH_BYTES; index++) value = Math.imul(value ^ digest[index]!, 0x01000193);
  return value >>> 0;
}

// The cleaner's map from record key to the offset of its newest record, in a fixed block of
// memory: an open-addressing table of (16-byte MD5 of the key, 8-byte offset) slots with
// linear probing, as Kafka's SkimpyOffsetMap. Keys are hashed so that a slot has one size
// whatever the key's length; two keys sharing an MD5 is a 2^-128 event that would cost the
// older of their records, the price Kafka accepts too. The table never grows: once it holds
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
    const digest = hash('md5', key, 'buffer');
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
    const slot = this.#find(hash('md5', key, 'buffer'));
    return this.#isEmpty(slot) ? undefined : this.#slots.readBigInt64BE(slot + HASH_BYTES) - 1n;
  }

  /** The byte position of the key's slot, or of the empty slot where it would go. */
  #find(digest: Buffer): number {
    let index = digest.readUInt32BE(0) % this.#slotCount;
    for (;;) {
      const slot = index * SLOT_BYTES;
      if (this.#isEmpty(slot) || this.#slots.compare(digest, 0, HASH_BYTES, slot, slot + HASH_BYTES) === 0) return slot;
      index = index + 1 === this.#slotCount ? 0 : index + 1;
    }
  }

  #isEmpty(slot: number): boolean {
    return this.#slots.readBigInt64BE(slot + HASH_BYTES) === 0n;
  }
}

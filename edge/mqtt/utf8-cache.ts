// The UTF-8 bytes of strings the broker sends or stores over and over (client ids, MQTT
// topics): encoded once and kept, so that a device publishing on the same topic all day
// costs one encoding, not one per message.
//
// Kept bytes are written into slabs of their own, never into Node.js's shared buffer pool.
// Buffer.from(text) hands out a slice of the pool's current slab (Buffer.poolSize, 64 KiB
// in Node.js 24), which the short-lived buffers of packets and fetches share; one 20-byte
// topic kept in a cache then keeps its whole 64 KiB slab resident long after every other
// buffer in it is gone. A heap snapshot of the daemon under 1,000 MQTT devices found 130
// such slabs, 8.5 MB held by a few tens of kilobytes of topics, keys and client ids.

/**
 * Bytes of one slab of kept strings: a page, so that a cache of a few entries holds little,
 * and 1,000 devices' topics and client ids (some 60 bytes each) fill about fifteen.
 */
const LASTING_SLAB_BYTES = 4096;
/** A string longer than this gets an allocation of its own rather than a share of a slab it would mostly fill. */
const LASTING_SLAB_ENTRY_BYTES_MAX = 256;

let slab = Buffer.allocUnsafeSlow(LASTING_SLAB_BYTES);
let slabUsed = 0;

/**
 * The UTF-8 bytes of `text`, for a caller that keeps them for long (a cache, a route's
 * encoded key): packed with other kept strings, so that they hold no pool slab of their own.
 */
export function lastingUtf8(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  if (length > LASTING_SLAB_ENTRY_BYTES_MAX) {
    const own = Buffer.allocUnsafeSlow(length);
    own.write(text, 0, 'utf8');
    return own;
  }
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(LASTING_SLAB_BYTES);
    slabUsed = 0;
  }
  const bytes = slab.subarray(slabUsed, slabUsed + length);
  bytes.write(text, 0, 'utf8');
  slabUsed += length;
  return bytes;
}

export class Utf8Cache {
  readonly #entries = new Map<string, Buffer>();
  readonly #entriesMax: number;

  /** `entriesMax` bounds its memory; past it the cache starts afresh (cheaper than tracking use for strings this short). */
  constructor(entriesMax: number) {
    this.#entriesMax = entriesMax;
  }

  bytes(text: string): Buffer {
    let bytes = this.#entries.get(text);
    if (bytes === undefined) {
      bytes = lastingUtf8(text);
      if (this.#entries.size >= this.#entriesMax) this.#entries.clear();
      this.#entries.set(text, bytes);
    }
    return bytes;
  }
}

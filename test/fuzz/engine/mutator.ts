// Byte-level mutations of corpus entries, the kinds libFuzzer and AFL apply: bit flips,
// interesting values (boundaries of int8/16/32, lengths of -1, 0 and huge) written big- or
// little-endian, arithmetic on a byte or a word, inserted, erased, duplicated and copied
// ranges, splices with another entry, and tokens from the target's dictionary. A few are
// stacked per input. Randomness is a seeded xorshift so that a run can be repeated.

/** Mutations stacked on one input at most. */
const STACK_DEPTH_MAX = 8;
/** Longest range inserted, erased or copied at once. */
const RANGE_BYTES_MAX = 64;

const INTERESTING_8 = [-128, -1, 0, 1, 16, 32, 64, 100, 127];
const INTERESTING_16 = [-32768, -129, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 65535];
const INTERESTING_32 = [-2147483648, -100663046, -32769, 32768, 65536, 100663045, 2147483647, 0x7fffff, -1];
/** Unsigned varints of lengths near the boundaries (0, 1, 127, 128, 16383, huge). */
const INTERESTING_VARINTS = [[0x00], [0x01], [0x7f], [0x80, 0x01], [0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]];

export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return bound <= 1 ? 0 : this.next() % bound;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

export class Mutator {
  readonly #random: Random;
  readonly #inputBytesMax: number;
  readonly #dictionary: readonly Buffer[];

  constructor(random: Random, inputBytesMax: number, dictionary: readonly Buffer[] = []) {
    this.#random = random;
    this.#inputBytesMax = inputBytesMax;
    this.#dictionary = dictionary;
  }

  /** A mutated copy of `input`; `other` is another corpus entry to splice with. */
  mutate(input: Buffer, other: Buffer): Buffer {
    let bytes = [...input];
    const depth = 1 + this.#random.below(STACK_DEPTH_MAX);
    for (let step = 0; step < depth; step++) bytes = this.#once(bytes, other);
    if (bytes.length > this.#inputBytesMax) bytes.length = this.#inputBytesMax;
    return Buffer.from(bytes);
  }

  #once(bytes: number[], other: Buffer): number[] {
    const random = this.#random;
    const at = (extra = 0): number => random.below(bytes.length + extra);
    switch (random.below(bytes.length === 0 ? 2 : 13)) {
      case 0: // insert random bytes
        bytes.splice(at(1), 0, ...Array.from({ length: 1 + random.below(8) }, () => random.below(256)));
        return bytes;
      case 1: // insert a dictionary token, or an interesting varint
        bytes.splice(at(1), 0, ...(this.#dictionary.length > 0 && random.below(2) === 0 ? random.pick(this.#dictionary) : random.pick(INTERESTING_VARINTS)));
        return bytes;
      case 2: // flip a bit
        { const index = at(); bytes[index] = bytes[index]! ^ (1 << random.below(8)); }
        return bytes;
      case 3: // set a random byte
        bytes[at()] = random.below(256);
        return bytes;
      case 4: // interesting byte
        bytes[at()] = random.pick(INTERESTING_8) & 0xff;
        return bytes;
      case 5: // interesting 16-bit value
        return this.#writeInteger(bytes, random.pick(INTERESTING_16), 2);
      case 6: // interesting 32-bit value
        return this.#writeInteger(bytes, random.pick(INTERESTING_32), 4);
      case 7: // add or subtract a little from a byte
        { const index = at(); bytes[index] = (bytes[index]! + random.below(35) - 17) & 0xff; }
        return bytes;
      case 8: // erase a range
        { const index = at(); bytes.splice(index, 1 + random.below(Math.min(RANGE_BYTES_MAX, bytes.length - index))); }
        return bytes;
      case 9: // duplicate a range in place
        { const index = at(); const range = bytes.slice(index, index + 1 + random.below(RANGE_BYTES_MAX)); bytes.splice(at(1), 0, ...range); }
        return bytes;
      case 10: // copy a range over another
        { const from = at(); const range = bytes.slice(from, from + 1 + random.below(RANGE_BYTES_MAX)); const to = at(); for (let index = 0; index < range.length && to + index < bytes.length; index++) bytes[to + index] = range[index]!; }
        return bytes;
      case 11: // splice: this entry's head with the other's tail
        { if (other.length === 0) return bytes; const head = bytes.slice(0, at(1)); return head.concat([...other.subarray(random.below(other.length))]); }
      default: // overwrite with a dictionary token
        { if (this.#dictionary.length === 0) return bytes; const token = random.pick(this.#dictionary); const to = at(); for (let index = 0; index < token.length && to + index < bytes.length; index++) bytes[to + index] = token[index]!; }
        return bytes;
    }
  }

  #writeInteger(bytes: number[], value: number, width: 2 | 4): number[] {
    if (bytes.length < width) return bytes;
    const index = this.#random.below(bytes.length - width + 1);
    const bigEndian = this.#random.below(4) !== 0; // Kafka and MQTT are big-endian
    for (let byte = 0; byte < width; byte++) {
      const shift = 8 * (bigEndian ? width - 1 - byte : byte);
      bytes[index + byte] = (value >>> shift) & 0xff;
    }
    return bytes;
  }
}

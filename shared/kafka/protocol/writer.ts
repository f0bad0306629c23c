// Writing Kafka's primitive encodings. Small values go into a growing scratch buffer; large
// byte blobs (record batches served by Fetch) are kept as references, so a response can be
// handed to the socket as a list of buffers without copying the records.
import { fitsVarint, VARINT_BYTES_MAX, VARLONG_BYTES_MAX, zigzag, zigzagLong } from './varint.ts';

/** Blobs at least this long are referenced rather than copied into the scratch buffer. */
const REFERENCE_BYTES_MIN = 4 * 1024;
/** First scratch buffer size: most responses are smaller than this. */
const INITIAL_SCRATCH_BYTES = 512;
/** ASCII strings up to this long are copied character by character rather than through the UTF-8 encoder. */
const SHORT_ASCII_BYTES_MAX = 32;

export class ByteWriter {
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  #scratch: Buffer;
  #position = 0;

  constructor(initialBytes = INITIAL_SCRATCH_BYTES) {
    this.#scratch = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#chunkBytes + this.#position;
  }

  #reserve(byteCount: number): void {
    if (this.#position + byteCount <= this.#scratch.length) return;
    const used = this.#scratch.subarray(0, this.#position);
    // Grow in place while the scratch holds only a small prefix; otherwise start a new chunk.
    if (this.#position < 64 * 1024) {
      const grown = Buffer.allocUnsafe(Math.max(this.#scratch.length * 2, this.#position + byteCount));
      used.copy(grown);
      this.#scratch = grown;
      return;
    }
    this.#chunks.push(used);
    this.#chunkBytes += used.length;
    this.#scratch = Buffer.allocUnsafe(Math.max(INITIAL_SCRATCH_BYTES * 2, byteCount));
    this.#position = 0;
  }

  writeInt8(value: number): this {
    this.#reserve(1);
    this.#scratch.writeInt8(value, this.#position);
    this.#position += 1;
    return this;
  }

  writeUint8(value: number): this {
    this.#reserve(1);
    this.#scratch[this.#position++] = value;
    return this;
  }

  writeBool(value: boolean): this {
    return this.writeUint8(value ? 1 : 0);
  }

  writeInt16(value: number): this {
    this.#reserve(2);
    this.#scratch.writeInt16BE(value, this.#position);
    this.#position += 2;
    return this;
  }

  writeUint16(value: number): this {
    this.#reserve(2);
    this.#scratch.writeUInt16BE(value, this.#position);
    this.#position += 2;
    return this;
  }

  writeInt32(value: number): this {
    this.#reserve(4);
    this.#scratch.writeInt32BE(value, this.#position);
    this.#position += 4;
    return this;
  }

  writeUint32(value: number): this {
    this.#reserve(4);
    this.#scratch.writeUInt32BE(value, this.#position);
    this.#position += 4;
    return this;
  }

  writeInt64(value: bigint): this {
    this.#reserve(8);
    this.#scratch.writeBigInt64BE(value, this.#position);
    this.#position += 8;
    return this;
  }

  writeFloat64(value: number): this {
    this.#reserve(8);
    this.#scratch.writeDoubleBE(value, this.#position);
    this.#position += 8;
    return this;
  }

  /** `value` must be 32 hex digits, with or without hyphens (checked by the caller). */
  writeUuid(value: string): this {
    this.#reserve(16);
    this.#scratch.write(value.replaceAll('-', ''), this.#position, 16, 'hex');
    this.#position += 16;
    return this;
  }

  /** Unsigned LEB128 of `value` (0 ≤ value < 2^32). */
  writeUnsignedVarint(value: number): this {
    this.#reserve(VARINT_BYTES_MAX);
    let rest = value;
    if (rest < 0x80) {
      this.#scratch[this.#position++] = rest;
      return this;
    }
    while (rest >= 0x80) {
      this.#scratch[this.#position++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#scratch[this.#position++] = rest;
    return this;
  }

  /** Zigzag-encoded signed 32-bit varint. */
  writeVarint(value: number): this {
    return this.writeUnsignedVarint(zigzag(value));
  }

  /** Zigzag-encoded signed 64-bit varlong. */
  writeVarlong(value: bigint): this {
    if (fitsVarint(value)) return this.writeVarint(Number(value));
    this.#reserve(VARLONG_BYTES_MAX);
    let rest = zigzagLong(value);
    while (rest >= 0x80n) {
      this.#scratch[this.#position++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#scratch[this.#position++] = Number(rest);
    return this;
  }

  /** Bytes prefixed with their length as a varint, -1 for null, as records carry keys and values. */
  writeVarintNullableBytes(bytes: Uint8Array | null): this {
    if (bytes === null) return this.writeVarint(-1);
    return this.writeVarint(bytes.length).writeBytes(bytes);
  }

  /** Writes `text` as UTF-8; the caller has written its length (`Buffer.byteLength`). */
  writeUtf8(text: string, byteLength: number): this {
    this.#reserve(byteLength);
    if (byteLength === text.length && byteLength <= SHORT_ASCII_BYTES_MAX) {
      // As many bytes as characters: ASCII, one byte each. Copied here, short strings (names,
      // header keys) skip the cost of a call into the encoder.
      const scratch = this.#scratch;
      const start = this.#position;
      for (let index = 0; index < byteLength; index++) scratch[start + index] = text.charCodeAt(index);
      this.#position = start + byteLength;
      return this;
    }
    this.#position += this.#scratch.write(text, this.#position, byteLength, 'utf8');
    return this;
  }

  /** Appends bytes: copied when small, referenced (not copied) when large. */
  writeBytes(bytes: Uint8Array): this {
    if (bytes.length >= REFERENCE_BYTES_MIN) {
      this.#flushScratch();
      this.#chunks.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      this.#chunkBytes += bytes.length;
      return this;
    }
    this.#reserve(bytes.length);
    this.#scratch.set(bytes, this.#position);
    this.#position += bytes.length;
    return this;
  }

  #flushScratch(): void {
    if (this.#position === 0) return;
    const used = this.#scratch.subarray(0, this.#position);
    this.#chunks.push(used);
    this.#chunkBytes += used.length;
    this.#scratch = this.#scratch.subarray(this.#position);
    this.#position = 0;
    if (this.#scratch.length < 64) this.#scratch = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);
  }

  /** The bytes written, as a list of buffers in order (large blobs are not copied). */
  toChunks(): Buffer[] {
    this.#flushScratch();
    return this.#chunks;
  }

  /** The bytes written, as one buffer. */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#chunkBytes);
  }
}

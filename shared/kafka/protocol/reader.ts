// Bounds-checked reading of Kafka's primitive encodings from a frame. Every length read from
// the wire is checked against the bytes that remain and against a named limit before anything
// is allocated, so a hostile or truncated frame ends in a `DecodeFailure`, never in a huge
// allocation or a read past the end.
import { BYTES_MAX, STRING_BYTES_MAX } from './limits.ts';
import { unzigzag, unzigzagLong } from './varint.ts';

/**
 * A decode failure at a byte offset. The codec adds the field path as the failure unwinds,
 * and the public entry points turn it into a `KafkaProtocolError` naming the API and version.
 */
export class DecodeFailure extends Error {
  readonly byteOffset: number;
  /** Field names and array indexes from the message root to the failing field. */
  readonly path: Array<string | number> = [];

  constructor(reason: string, byteOffset: number) {
    super(reason);
    this.name = 'DecodeFailure';
    this.byteOffset = byteOffset;
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export class ByteReader {
  readonly buffer: Buffer;
  offset: number;
  /** One past the last byte this reader may read. */
  readonly end: number;

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    this.buffer = buffer;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(reason: string, byteOffset = this.offset): never {
    throw new DecodeFailure(reason, byteOffset);
  }

  #need(byteCount: number, what: string): void {
    if (byteCount > this.end - this.offset) {
      this.fail(`truncated: ${what} needs ${byteCount} bytes but ${this.end - this.offset} remain`);
    }
  }

  readInt8(): number {
    this.#need(1, 'int8');
    return this.buffer.readInt8(this.offset++);
  }

  readUint8(): number {
    this.#need(1, 'uint8');
    return this.buffer[this.offset++]!;
  }

  readBool(): boolean {
    this.#need(1, 'bool');
    // Any non-zero byte is true, as the Java broker reads it.
    return this.buffer[this.offset++] !== 0;
  }

  readInt16(): number {
    this.#need(2, 'int16');
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  readUint16(): number {
    this.#need(2, 'uint16');
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  readInt32(): number {
    this.#need(4, 'int32');
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  readUint32(): number {
    this.#need(4, 'uint32');
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  readInt64(): bigint {
    this.#need(8, 'int64');
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  readFloat64(): number {
    this.#need(8, 'float64');
    const value = this.buffer.readDoubleBE(this.offset);
    this.offset += 8;
    return value;
  }

  readUuid(): string {
    this.#need(16, 'uuid');
    const b = this.buffer;
    const o = this.offset;
    this.offset += 16;
    let hex = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) hex += '-';
      hex += HEX[b[o + i]!];
    }
    return hex;
  }

  /** Unsigned LEB128 of at most 32 bits (five bytes), as compact lengths and tags use. */
  readUnsignedVarint(): number {
    const { buffer, end } = this;
    const start = this.offset;
    let offset = start;
    // Four bytes carry 28 bits, which integer arithmetic holds exactly; a fifth adds 4 more.
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (offset >= end) this.fail('truncated: unsigned varint runs past the end', start);
      const byte = buffer[offset++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = offset;
        return value;
      }
    }
    if (offset >= end) this.fail('truncated: unsigned varint runs past the end', start);
    const last = buffer[offset++]!;
    if (last > 0x0f) this.fail('unsigned varint does not fit in 32 bits', start);
    this.offset = offset;
    return value + last * 2 ** 28;
  }

  /** Zigzag-encoded signed varint of 32 bits, as records use. The unsigned varint is 32 bits at most, so its value always fits. */
  readVarint(): number {
    return unzigzag(this.readUnsignedVarint());
  }

  /** Zigzag-encoded signed varlong of 64 bits (at most ten bytes). */
  readVarlong(): bigint {
    const { buffer, end } = this;
    const start = this.offset;
    // Most varlongs are small deltas: up to four bytes are read as a number, exactly.
    let small = 0;
    for (let index = 0, shift = 0; index < 4 && start + index < end; index++, shift += 7) {
      const byte = buffer[start + index]!;
      small |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = start + index + 1;
        return BigInt(unzigzag(small));
      }
    }
    let raw = 0n;
    let offset = start;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      if (offset >= end) this.fail('truncated: varlong runs past the end', start);
      const byte = buffer[offset++]!;
      if (shift === 63n && byte > 0x01) this.fail('varlong does not fit in 64 bits', start);
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        this.offset = offset;
        return unzigzagLong(raw);
      }
    }
    return this.fail('varlong is longer than 10 bytes', start);
  }

  /**
   * Bytes prefixed with their length as a varint, -1 for null: the key, the value and the
   * header values of a record. A view of the buffer, not a copy.
   */
  readVarintNullableBytes(what: string): Buffer | null {
    const lengthOffset = this.offset;
    const length = this.readVarint();
    if (length === -1) return null;
    this.checkLength(length, BYTES_MAX, what, lengthOffset);
    return this.readSlice(length);
  }

  /**
   * Checks a length read from the wire: not negative (null is handled by the caller), not
   * over `limit`, and not over what remains of the frame.
   */
  checkLength(length: number, limit: number, what: string, lengthOffset: number): void {
    if (length < 0) this.fail(`${what} has negative length ${length}`, lengthOffset);
    if (length > limit) this.fail(`${what} length ${length} exceeds the limit of ${limit}`, lengthOffset);
    if (length > this.end - this.offset) {
      this.fail(`truncated: ${what} of ${length} bytes but ${this.end - this.offset} remain`, lengthOffset);
    }
  }

  /** A string of `length` UTF-8 bytes whose length has been read and checked. */
  readUtf8(length: number): string {
    const start = this.offset;
    this.offset += length;
    return this.buffer.toString('utf8', start, start + length);
  }

  /** `length` bytes as a view of the frame (no copy); the length must have been checked. */
  readSlice(length: number): Buffer {
    const start = this.offset;
    this.offset += length;
    return this.buffer.subarray(start, start + length);
  }

  /** The classic nullable string: int16 length, -1 for null. */
  readNullableString(): string | null {
    const lengthOffset = this.offset;
    const length = this.readInt16();
    if (length === -1) return null;
    this.checkLength(length, STRING_BYTES_MAX, 'string', lengthOffset);
    return this.readUtf8(length);
  }

  skip(byteCount: number, what: string): void {
    this.#need(byteCount, what);
    this.offset += byteCount;
  }
}

// The data types of the MQTT wire format (MQTT 3.1.1 section 1.5, MQTT 5.0 section 1.5):
// reading them from a packet body with every MUST about their form checked, and writing
// them into a buffer sized beforehand.
import { isUtf8 } from 'node:buffer';
import { ReasonCode } from './constants.ts';

/**
 * A packet a client must not send. `kind` is a short stable label for the metrics,
 * `reasonCode` the MQTT 5 reason code of the DISCONNECT that closes the connection.
 */
export class ProtocolViolation extends Error {
  readonly kind: string;
  readonly reasonCode: number;
  constructor(kind: string, reason: string, reasonCode: number = ReasonCode.MALFORMED_PACKET) {
    super(reason);
    this.name = 'ProtocolViolation';
    this.kind = kind;
    this.reasonCode = reasonCode;
  }
}

export function violation(kind: string, reason: string, reasonCode: number = ReasonCode.MALFORMED_PACKET): never {
  throw new ProtocolViolation(kind, reason, reasonCode);
}

/** Reads the fields of one packet body, failing with a violation past its end. */
export class BodyReader {
  readonly buffer: Buffer;
  position: number;
  readonly end: number;
  readonly packet: string;

  constructor(buffer: Buffer, start: number, end: number, packet: string) {
    this.buffer = buffer;
    this.position = start;
    this.end = end;
    this.packet = packet;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  #need(bytes: number, field: string): void {
    if (this.position + bytes > this.end) violation('malformed', `${this.packet}: ${field} is missing`);
  }

  uint8(field: string): number {
    this.#need(1, field);
    return this.buffer[this.position++]!;
  }

  uint16(field: string): number {
    this.#need(2, field);
    const value = this.buffer.readUInt16BE(this.position);
    this.position += 2;
    return value;
  }

  uint32(field: string): number {
    this.#need(4, field);
    const value = this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  /** A Variable Byte Integer: at most four bytes, the last without its top bit [MQTT-1.5.5-1]. */
  variableInteger(field: string): number {
    let value = 0;
    let multiplier = 1;
    for (let count = 0; count < 4; count++) {
      const byte = this.uint8(field);
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    return violation('malformed', `${this.packet}: ${field} takes more than four bytes`);
  }

  /** A length-prefixed field of raw bytes (Binary Data: a will payload, a password). */
  binary(field: string): Buffer {
    const length = this.uint16(`length of ${field}`);
    if (this.position + length > this.end) violation('malformed', `${this.packet}: ${field} runs past the end of the packet`);
    const bytes = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  /** A UTF-8 Encoded String: well-formed, without U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
  string(field: string): string {
    const length = this.uint16(`length of ${field}`);
    const start = this.position;
    const end = start + length;
    if (end > this.end) violation('malformed', `${this.packet}: ${field} runs past the end of the packet`);
    const buffer = this.buffer;
    let ascii = true;
    for (let index = start; index < end; index++) {
      const byte = buffer[index]!;
      if (byte === 0x00) violation('null-character', `${this.packet}: ${field} contains U+0000`);
      if (byte >= 0x80) ascii = false;
    }
    // Only bytes above 0x7f can make UTF-8 ill-formed (which also excludes encoded surrogates).
    if (!ascii && !isUtf8(buffer.subarray(start, end))) violation('invalid-utf8', `${this.packet}: ${field} is not well-formed UTF-8`);
    this.position = end;
    return buffer.toString(ascii ? 'latin1' : 'utf8', start, end);
  }

  /** The bytes left in the packet (a PUBLISH payload). */
  rest(): Buffer {
    const bytes = this.buffer.subarray(this.position, this.end);
    this.position = this.end;
    return bytes;
  }

  packetIdentifier(): number {
    const identifier = this.uint16('packet identifier');
    // [MQTT-2.3.1-1] A packet identifier is non-zero.
    if (identifier === 0) violation('zero-packet-id', `${this.packet}: the packet identifier is 0`, ReasonCode.PROTOCOL_ERROR);
    return identifier;
  }

  /** Fails unless every byte of the body was read. */
  finish(): void {
    if (this.position !== this.end) violation('malformed', `${this.packet}: ${this.end - this.position} bytes follow the last field`);
  }
}

/** Bytes of a Variable Byte Integer holding `value`. */
export function variableIntegerBytes(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  return 4;
}

/** Writes fields into a buffer whose size the caller computed. */
export class ByteWriter {
  readonly buffer: Buffer;
  position: number;
  readonly #end: number;

  /**
   * `size` bytes of a new buffer, or of `into` from `start`: a connection writes the
   * packets of one turn straight into its output, without a buffer per packet.
   */
  constructor(size: number, into?: Buffer, start = 0) {
    this.buffer = into ?? Buffer.allocUnsafe(size);
    this.position = start;
    this.#end = start + size;
  }

  /** The fixed header: type and flags, then the remaining length. */
  fixedHeader(type: number, flags: number, remainingLength: number): this {
    this.buffer[this.position++] = (type << 4) | flags;
    return this.variableInteger(remainingLength);
  }

  uint8(value: number): this {
    this.buffer[this.position++] = value;
    return this;
  }

  uint16(value: number): this {
    this.buffer.writeUInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  uint32(value: number): this {
    this.buffer.writeUInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  variableInteger(value: number): this {
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      this.buffer[this.position++] = byte;
    } while (value > 0);
    return this;
  }

  /** Raw bytes without a length prefix. */
  bytes(bytes: Uint8Array): this {
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
    return this;
  }

  /** A two-byte length, then the bytes (a UTF-8 string already encoded, or Binary Data). */
  prefixed(bytes: Uint8Array): this {
    return this.uint16(bytes.length).bytes(bytes);
  }

  string(value: string): this {
    const length = this.buffer.write(value, this.position + 2, 'utf8');
    this.buffer.writeUInt16BE(length, this.position);
    this.position += 2 + length;
    return this;
  }

  /** The buffer of the finished packet; asserts that the size computed beforehand was right. */
  done(): Buffer {
    if (this.position !== this.#end) throw new Error(`assertion failed: MQTT packet ended at byte ${this.#end} but ${this.position} written`);
    return this.buffer;
  }
}

/** Bytes of a fixed header for a packet body of `remainingLength` bytes. */
export function fixedHeaderBytes(remainingLength: number): number {
  return 1 + variableIntegerBytes(remainingLength);
}

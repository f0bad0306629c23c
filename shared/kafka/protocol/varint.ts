// Kafka's variable-length integers (ByteUtils in Apache Kafka): unsigned LEB128 of up to
// 32 bits for compact lengths and tags, and zigzag-encoded signed varints (32 bits) and
// varlongs (64 bits) for the fields of records. ByteReader and ByteWriter read and write
// them; the functions here are the arithmetic they and any sizing code share.

/** The most bytes an unsigned varint or a varint may take. */
export const VARINT_BYTES_MAX = 5;
/** The most bytes a varlong may take. */
export const VARLONG_BYTES_MAX = 10;

/** Zigzag: a signed 32-bit value as the unsigned value its varint carries (0, -1, 1, -2 … → 0, 1, 2, 3 …). */
export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** The signed 32-bit value of an unsigned zigzag value (0 ≤ raw < 2^32). */
export function unzigzag(raw: number): number {
  return (raw >>> 1) ^ -(raw & 1);
}

/** Zigzag for 64-bit values, as an unsigned 64-bit bigint. */
export function zigzagLong(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

/** The signed value of an unsigned 64-bit zigzag value. */
export function unzigzagLong(raw: bigint): bigint {
  return (raw >> 1n) ^ -(raw & 1n);
}

/** Bytes of the unsigned varint of `value` (0 ≤ value < 2^32). */
export function unsignedVarintBytes(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Bytes of the zigzag varint of a signed 32-bit `value`. */
export function varintBytes(value: number): number {
  return unsignedVarintBytes(zigzag(value));
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/**
 * Whether a varlong's value fits 32 bits. Its zigzag value, and so its bytes, are then those
 * of the varint of the same number, and numbers are much cheaper than bigints.
 */
export function fitsVarint(value: bigint): boolean {
  return value >= INT32_MIN && value <= INT32_MAX;
}

/** Bytes of the zigzag varlong of a signed 64-bit `value`. */
export function varlongBytes(value: bigint): number {
  if (fitsVarint(value)) return varintBytes(Number(value));
  let rest = zigzagLong(value);
  let bytes = 1;
  while (rest >= 0x80n) {
    rest >>= 7n;
    bytes += 1;
  }
  return bytes;
}

// A 64-bit integer in a JSON record: a number where it is one exactly (within 2^53), else its
// decimal string, which every JSON reader keeps whole. Modbus registers, Sparkplug metrics
// and OPC UA variants all carry 64-bit integers.
export function jsonInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

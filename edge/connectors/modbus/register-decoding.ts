// Turns the 16-bit registers a Modbus read returns into values. Modbus itself defines only
// 16-bit registers, sent big-endian (Modbus Application Protocol V1.1b3, 4.2); a 32- or
// 64-bit value spans consecutive registers in an order the device chooses, and some
// devices also swap the two bytes of each register. byteOrder says how the bytes of each
// register are, wordOrder which register holds the most significant part.
import type { ModbusRegisterConfig } from '../../../shared/config/connectors-schema.ts';
import { jsonInteger } from '../runtime/json-integer.ts';

export type RegisterFormat = ModbusRegisterConfig['format'];

/** Registers a value of each format spans (bool: one coil or discrete input). */
export const REGISTERS_PER_FORMAT: Record<RegisterFormat, number> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

/** A JSON value: 64-bit integers beyond 2^53 become decimal strings, non-finite floats null. */
export type RegisterValue = number | string | boolean | null;

/** Decodes the registers of one value (as many as REGISTERS_PER_FORMAT says), in the order read. */
export function decodeRegisters(registers: readonly number[], format: RegisterFormat, byteOrder: 'big' | 'little', wordOrder: 'big' | 'little'): RegisterValue {
  const count = REGISTERS_PER_FORMAT[format];
  if (registers.length !== count) throw new RangeError(`${format} needs ${count} registers, got ${registers.length}`);
  const ordered = wordOrder === 'big' ? registers : [...registers].reverse();
  const bytes = Buffer.alloc(count * 2);
  ordered.forEach((register, index) => {
    const high = (register >> 8) & 0xff;
    const low = register & 0xff;
    bytes[index * 2] = byteOrder === 'big' ? high : low;
    bytes[index * 2 + 1] = byteOrder === 'big' ? low : high;
  });
  switch (format) {
    case 'bool': return registers[0] !== 0;
    case 'int16': return bytes.readInt16BE(0);
    case 'uint16': return bytes.readUInt16BE(0);
    case 'int32': return bytes.readInt32BE(0);
    case 'uint32': return bytes.readUInt32BE(0);
    case 'float32': return finite(bytes.readFloatBE(0));
    case 'float64': return finite(bytes.readDoubleBE(0));
    case 'int64': return jsonInteger(bytes.readBigInt64BE(0));
    case 'uint64': return jsonInteger(bytes.readBigUInt64BE(0));
  }
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

// Which reads one poll makes: the configured values grouped by table (holding registers,
// input registers, coils, discrete inputs) into as few requests as the protocol allows.
// Only touching or overlapping values share a request, so that a poll never asks for an
// address nobody configured (many PLCs answer that with exception 2, illegal data address).
import type { ModbusRegisterConfig } from '../../../shared/config/connectors-schema.ts';
import { TributaryError } from '../../../shared/errors.ts';
import { REGISTERS_PER_FORMAT } from './register-decoding.ts';

/**
 * Most items one request may ask for: 125 registers (function codes 3 and 4) or 2000
 * coils or discrete inputs (function codes 1 and 2), Modbus Application Protocol V1.1b3
 * 6.1-6.4, so that the answer fits a 253-byte PDU.
 */
export const REGISTERS_PER_READ_MAX = 125;
export const BITS_PER_READ_MAX = 2000;

export type ModbusTable = ModbusRegisterConfig['type'];

export interface PlannedValue {
  register: ModbusRegisterConfig;
  /** Index of its first item in the read's answer. */
  index: number;
  count: number;
}

export interface PlannedRead {
  table: ModbusTable;
  address: number;
  count: number;
  values: PlannedValue[];
}

export function planReads(registers: readonly ModbusRegisterConfig[], where = 'registers'): PlannedRead[] {
  const reads: PlannedRead[] = [];
  registers.forEach((register, position) => {
    const bitTable = register.type === 'coil' || register.type === 'discrete';
    if (bitTable !== (register.format === 'bool')) {
      throw new TributaryError('CONFIG_INVALID', `${where}[${position}] (${register.name}): ${register.type} ${bitTable ? 'values are bool' : 'registers cannot be bool'}; set format to ${bitTable ? 'bool' : 'a number format such as int16'}`, { where });
    }
    const count = REGISTERS_PER_FORMAT[register.format];
    if (register.address + count > 65_536) throw new TributaryError('CONFIG_INVALID', `${where}[${position}] (${register.name}): ${register.format} at address ${register.address} runs past address 65535`, { where });
  });
  const names = new Set<string>();
  registers.forEach((register, position) => {
    if (names.has(register.name)) throw new TributaryError('CONFIG_INVALID', `${where}[${position}].name: "${register.name}" names another value already; each needs its own field name`, { where });
    names.add(register.name);
  });
  const byTable = Map.groupBy(registers, (register) => register.type);
  for (const [table, members] of byTable) {
    const limit = table === 'coil' || table === 'discrete' ? BITS_PER_READ_MAX : REGISTERS_PER_READ_MAX;
    const sorted = [...members].sort((a, b) => a.address - b.address);
    let current: PlannedRead | undefined;
    for (const register of sorted) {
      const count = REGISTERS_PER_FORMAT[register.format];
      const end = register.address + count;
      if (current !== undefined && register.address <= current.address + current.count && end - current.address <= limit) {
        current.count = Math.max(current.count, end - current.address);
      } else {
        current = { table, address: register.address, count, values: [] };
        reads.push(current);
      }
      current.values.push({ register, index: register.address - current.address, count });
    }
  }
  return reads;
}

// How a poll's values are grouped into Modbus requests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ModbusRegisterConfig } from '../../../../shared/config/connectors-schema.ts';
import { planReads, REGISTERS_PER_READ_MAX } from '../../../../edge/connectors/modbus/register-plan.ts';

function register(name: string, address: number, format: ModbusRegisterConfig['format'] = 'int16', type: ModbusRegisterConfig['type'] = 'holding'): ModbusRegisterConfig {
  return { name, address, type, format, byteOrder: 'big', wordOrder: 'big' };
}

test('touching values of one table share a request; a gap, another table or the 125-register limit start a new one', () => {
  const reads = planReads([register('a', 0), register('b', 1, 'float32'), register('c', 10), register('d', 0, 'int16', 'input'), register('e', 5, 'bool', 'coil')]);
  assert.equal(reads.map((read) => [read.table, read.address, read.count, read.values.map((value) => [value.register.name, value.index])]), [
    ['holding', 0, 3, [['a', 0], ['b', 1]]],
    ['holding', 10, 1, [['c', 0]]],
    ['input', 0, 1, [['d', 0]]],
    ['coil', 5, 1, [['e', 0]]],
  ]);
  const many = planReads(Array.from({ length: 200 }, (_, index) => register(`r${index}`, index)));
  assert.equal(many.map((read) => [read.address, read.count]), [[0, REGISTERS_PER_READ_MAX], [125, 75]]);
});

test('overlapping values are read once and decoded each', () => {
  const reads = planReads([register('whole', 0, 'int32'), register('high', 0), register('low', 1)]);
  assert.equal(reads.map((read) => [read.address, read.count, read.values.map((value) => value.index)]), [[0, 2, [0, 0, 1]]]);
});

test('a format that does not fit its table, a name used twice, or a value past 65535 is refused naming it', () => {
  assert.throws(() => planReads([register('t', 0, 'bool', 'holding')], 'connectors[0].registers'), /connectors\[0\]\.registers\[0\] \(t\): holding registers cannot be bool/);
  assert.throws(() => planReads([register('t', 0, 'int16', 'coil')]), /coil values are bool/);
  assert.throws(() => planReads([register('t', 0), register('t', 1)]), /registers\[1\]\.name: "t" names another value/);
  assert.throws(() => planReads([register('t', 65535, 'int32')]), /runs past address 65535/);
});

test.run();

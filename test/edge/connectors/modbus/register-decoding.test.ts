// Register decoding against values worked out by hand from their IEEE 754 and two's
// complement layouts, in every byte and word order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRegisters } from '../../../../edge/connectors/modbus/register-decoding.ts';

test('16-bit values: signed, unsigned, and bytes swapped inside the register', () => {
  assert.is(decodeRegisters([0xfffb], 'int16', 'big', 'big'), -5);
  assert.is(decodeRegisters([0xfffb], 'uint16', 'big', 'big'), 65531);
  assert.is(decodeRegisters([0x3412], 'uint16', 'little', 'big'), 0x1234);
  assert.is(decodeRegisters([1], 'bool', 'big', 'big'), true);
  assert.is(decodeRegisters([0], 'bool', 'big', 'big'), false);
});

test('32-bit values in the four orders a device may use', () => {
  // 123456789 = 0x075BCD15; -2 = 0xFFFFFFFE; 21.5 as float32 = 0x41AC0000.
  assert.is(decodeRegisters([0x075b, 0xcd15], 'int32', 'big', 'big'), 123456789);
  assert.is(decodeRegisters([0xcd15, 0x075b], 'int32', 'big', 'little'), 123456789);
  assert.is(decodeRegisters([0x5b07, 0x15cd], 'int32', 'little', 'big'), 123456789);
  assert.is(decodeRegisters([0x15cd, 0x5b07], 'int32', 'little', 'little'), 123456789);
  assert.is(decodeRegisters([0xffff, 0xfffe], 'int32', 'big', 'big'), -2);
  assert.is(decodeRegisters([0xffff, 0xfffe], 'uint32', 'big', 'big'), 4294967294);
  assert.is(decodeRegisters([0x41ac, 0x0000], 'float32', 'big', 'big'), 21.5);
  assert.is(decodeRegisters([0x0000, 0x41ac], 'float32', 'big', 'little'), 21.5);
  assert.is(decodeRegisters([0x7fc0, 0x0000], 'float32', 'big', 'big'), null, 'NaN has no JSON form');
});

test('64-bit values: safe integers as numbers, larger ones as decimal strings', () => {
  assert.is(decodeRegisters([0, 0, 0, 42], 'int64', 'big', 'big'), 42);
  assert.is(decodeRegisters([0xffff, 0xffff, 0xffff, 0xfffe], 'int64', 'big', 'big'), -2);
  assert.is(decodeRegisters([0xffff, 0xffff, 0xffff, 0xfffe], 'uint64', 'big', 'big'), '18446744073709551614');
  assert.is(decodeRegisters([42, 0, 0, 0], 'uint64', 'big', 'little'), 42);
  // 1.5 as float64 = 0x3FF8000000000000.
  assert.is(decodeRegisters([0x3ff8, 0, 0, 0], 'float64', 'big', 'big'), 1.5);
});

test('a value given the wrong number of registers is a programmer error', () => {
  assert.throws(() => decodeRegisters([1], 'int32', 'big', 'big'), /int32 needs 2 registers, got 1/);
});

test.run();

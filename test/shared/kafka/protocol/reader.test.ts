import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteReader, DecodeFailure } from '../../../../shared/kafka/protocol/reader.ts';
import { ByteWriter } from '../../../../shared/kafka/protocol/writer.ts';

const hex = (text: string) => Buffer.from(text.replaceAll(' ', ''), 'hex');

function failure(read: () => unknown): DecodeFailure {
  try {
    read();
  } catch (error) {
    if (error instanceof DecodeFailure) return error;
    throw error;
  }
  throw new Error('expected a DecodeFailure');
}

// Vectors from the varint encodings of the Kafka protocol guide (unsigned LEB128, and zigzag
// for signed values as in record batches).
const UNSIGNED_VARINTS: Array<[number, string]> = [
  [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16384, '808001'], [0xffffffff, 'ffffffff0f'],
];
const VARINTS: Array<[number, string]> = [
  [0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [63, '7e'], [-64, '7f'], [64, '8001'],
  [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
];
const VARLONGS: Array<[bigint, string]> = [
  [0n, '00'], [-1n, '01'], [1n, '02'], [9223372036854775807n, 'feffffffffffffffff01'], [-9223372036854775808n, 'ffffffffffffffffff01'],
];

test('unsigned varints read and write as Kafka encodes them', () => {
  for (const [value, bytes] of UNSIGNED_VARINTS) {
    assert.is(new ByteReader(hex(bytes)).readUnsignedVarint(), value, bytes);
    assert.is(new ByteWriter().writeUnsignedVarint(value).toBuffer().toString('hex'), bytes, String(value));
  }
});

test('zigzag varints and varlongs read and write as record batches encode them', () => {
  for (const [value, bytes] of VARINTS) {
    assert.is(new ByteReader(hex(bytes)).readVarint(), value, bytes);
    assert.is(new ByteWriter().writeVarint(value).toBuffer().toString('hex'), bytes, String(value));
  }
  for (const [value, bytes] of VARLONGS) {
    assert.is(new ByteReader(hex(bytes)).readVarlong(), value, bytes);
    assert.is(new ByteWriter().writeVarlong(value).toBuffer().toString('hex'), bytes, String(value));
  }
});

test('over-long and truncated varints fail at their first byte', () => {
  assert.match(failure(() => new ByteReader(hex('ffffffff10')).readUnsignedVarint()).message, /32 bits/);
  assert.match(failure(() => new ByteReader(hex('ffffffffff01')).readUnsignedVarint()).message, /32 bits|5 bytes/);
  assert.match(failure(() => new ByteReader(hex('ffffffffffffffffff02')).readVarlong()).message, /64 bits/);
  const truncated = failure(() => new ByteReader(hex('00 8080'), 1).readUnsignedVarint());
  assert.match(truncated.message, /truncated/);
  assert.is(truncated.byteOffset, 1);
});

test('fixed-width reads fail with the offset and what was needed when bytes run out', () => {
  const reader = new ByteReader(hex('0001 0203'), 1);
  const error = failure(() => reader.readInt32());
  assert.is(error.byteOffset, 1);
  assert.match(error.message, /int32 needs 4 bytes but 3 remain/);
  assert.is(reader.offset, 1, 'a failed read consumes nothing');
});

test('a reader never reads past its end, even inside a larger buffer', () => {
  const reader = new ByteReader(hex('00000001 00000002'), 0, 6);
  assert.is(reader.readInt32(), 1);
  assert.throws(() => reader.readInt32(), (error: unknown) => error instanceof DecodeFailure);
});

test('lengths are checked for sign, limit and remaining bytes', () => {
  const reader = new ByteReader(Buffer.alloc(10));
  assert.match(failure(() => reader.checkLength(-2, 100, 'string', 0)).message, /negative length -2/);
  assert.match(failure(() => reader.checkLength(101, 100, 'string', 0)).message, /exceeds the limit of 100/);
  assert.match(failure(() => reader.checkLength(11, 100, 'bytes', 0)).message, /truncated: bytes of 11 bytes but 10 remain/);
  reader.checkLength(10, 100, 'bytes', 0);
});

test('uuids read as hyphenated hex and write back from it', () => {
  const bytes = hex('0123456789abcdef fedcba9876543210');
  const text = new ByteReader(bytes).readUuid();
  assert.is(text, '01234567-89ab-cdef-fedc-ba9876543210');
  assert.equal(new ByteWriter().writeUuid(text).toBuffer(), bytes);
});

test.run();

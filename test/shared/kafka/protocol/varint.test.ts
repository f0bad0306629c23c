// The varint arithmetic agrees with what ByteWriter writes and ByteReader reads, byte for
// byte, across every length a varint and a varlong can take.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteReader, DecodeFailure } from '../../../../shared/kafka/protocol/reader.ts';
import { unsignedVarintBytes, unzigzag, unzigzagLong, varintBytes, varlongBytes, zigzag, zigzagLong } from '../../../../shared/kafka/protocol/varint.ts';
import { ByteWriter } from '../../../../shared/kafka/protocol/writer.ts';

/** Values at every byte-length boundary, both sides, and the ends of the range. */
const UNSIGNED_EDGES = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0xffffffff];
const SIGNED_EDGES = [0, -1, 1, -64, 63, 64, -65, 8191, -8192, 8192, 2 ** 20, -(2 ** 27), 2147483647, -2147483648];
const LONG_EDGES = [0n, -1n, 1n, 63n, -64n, 64n, 2n ** 31n, -(2n ** 40n), 2n ** 55n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)];

test('sizes are the lengths the writer produces', () => {
  for (const value of UNSIGNED_EDGES) {
    assert.is(unsignedVarintBytes(value), new ByteWriter().writeUnsignedVarint(value).length, String(value));
  }
  for (const value of SIGNED_EDGES) {
    assert.is(varintBytes(value), new ByteWriter().writeVarint(value).length, String(value));
  }
  for (const value of LONG_EDGES) {
    assert.is(varlongBytes(value), new ByteWriter().writeVarlong(value).length, String(value));
  }
  assert.equal([1, 2, 3, 4, 5].map((bytes) => UNSIGNED_EDGES.filter((value) => unsignedVarintBytes(value) === bytes).length), [3, 2, 2, 2, 2]);
});

test('zigzag maps small magnitudes to small values and back', () => {
  assert.equal([0, -1, 1, -2, 2].map(zigzag), [0, 1, 2, 3, 4]);
  for (const value of SIGNED_EDGES) assert.is(unzigzag(zigzag(value)), value);
  assert.equal([0n, -1n, 1n, -2n].map(zigzagLong), [0n, 1n, 2n, 3n]);
  for (const value of LONG_EDGES) assert.is(unzigzagLong(zigzagLong(value)), value);
});

test('varint-prefixed nullable bytes round-trip, null included, and a length past the end fails', () => {
  const written = new ByteWriter().writeVarintNullableBytes(Buffer.from('key')).writeVarintNullableBytes(null).writeVarintNullableBytes(Buffer.alloc(0)).toBuffer();
  assert.is(written.toString('hex'), `06${Buffer.from('key').toString('hex')}0100`);
  const reader = new ByteReader(written);
  assert.is(reader.readVarintNullableBytes('key')?.toString(), 'key');
  assert.is(reader.readVarintNullableBytes('value'), null);
  assert.is(reader.readVarintNullableBytes('value')?.length, 0);
  assert.is(reader.remaining, 0);
  // Length 5 (zigzag 0x0a) with two bytes behind it.
  const cut = new ByteReader(Buffer.from('0a6162', 'hex'));
  assert.throws(() => cut.readVarintNullableBytes('value'), (error: unknown) => error instanceof DecodeFailure && /truncated: value of 5 bytes but 2 remain/.test(error.message));
  // Length -2 (zigzag 0x03) is neither null nor a length.
  assert.throws(() => new ByteReader(Buffer.from('03', 'hex')).readVarintNullableBytes('key'), (error: unknown) => error instanceof DecodeFailure && /negative length -2/.test(error.message));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';
import {
  BatchField,
  RECORD_BATCH_HEADER_BYTES,
  checkBatch,
  computeBatchCrc,
  decodeRecords,
  encodeRecordBatch,
  iterateBatchHeaders,
  readBatchHeader,
  setBaseOffset,
  verifyBatch,
  verifyBatches,
} from '../../../shared/kafka/record-batch.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import { DECOMPRESSED_BYTES_MAX } from '../../../shared/kafka/compression/codec.ts';

// kafkajs is an independent implementation of the same format: encoding with one and
// decoding with the other shows that both agree with Kafka's layout, not just with us.
const require = createRequire(import.meta.url);
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const KafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');
const KafkajsLong = require('kafkajs/src/utils/long.js');

function sampleBatch(compression: 'none' | 'gzip' | 'zstd' = 'none'): Buffer {
  return encodeRecordBatch({
    compression,
    producerId: 7n,
    producerEpoch: 3,
    baseSequence: 40,
    records: [
      { key: 'k1', value: 'v1', timestampMs: 1_700_000_000_000n, headers: [{ key: 'mqtt-topic', value: 'sensors/a/t' }] },
      { key: null, value: Buffer.from([0, 1, 2]), timestampMs: 1_699_999_999_000n },
      { key: Buffer.alloc(0), value: null, timestampMs: 1_700_000_000_500n, headers: [{ key: 'h', value: null }] },
    ],
  });
}

test('known answer: CRC-32C of "123456789" is 0xe3069283', () => {
  assert.is(crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
});

test('encodes every header field where Kafka puts it', () => {
  const batch = sampleBatch();
  const header = readBatchHeader(batch);
  assert.is(header.sizeBytes, batch.length);
  assert.is(header.magic, 2);
  assert.is(header.recordCount, 3);
  assert.is(header.lastOffsetDelta, 2);
  assert.is(header.baseTimestamp, 1_700_000_000_000n);
  assert.is(header.maxTimestamp, 1_700_000_000_500n);
  assert.is(header.producerId, 7n);
  assert.is(header.producerEpoch, 3);
  assert.is(header.baseSequence, 40);
  assert.is(header.partitionLeaderEpoch, -1);
  assert.is(header.compression, 0);
  assert.is(batch.readInt32BE(8), batch.length - 12);
  assert.is(header.crc, crc32c(batch.subarray(21)) >>> 0);
});

for (const compression of ['none', 'gzip', 'zstd'] as const) {
  test(`round trip with compression ${compression}`, () => {
    const batch = sampleBatch(compression);
    verifyBatch(batch);
    const records = decodeRecords(batch);
    assert.is(records.length, 3);
    assert.equal(records[0]!.key, Buffer.from('k1'));
    assert.equal(records[0]!.value, Buffer.from('v1'));
    assert.equal(records[0]!.headers, [{ key: 'mqtt-topic', value: Buffer.from('sensors/a/t') }]);
    assert.is(records[1]!.key, null);
    assert.is(records[1]!.timestamp, 1_699_999_999_000n, 'negative timestamp delta');
    assert.equal(records[2]!.key, Buffer.alloc(0));
    assert.is(records[2]!.value, null);
    assert.equal(records[2]!.headers, [{ key: 'h', value: null }]);
    assert.equal(records.map((r) => r.offset), [0n, 1n, 2n]);
  });
}

test('rewriting baseOffset keeps the CRC valid and moves record offsets', () => {
  const batch = sampleBatch('zstd');
  setBaseOffset(batch, 0, 123_456_789_012n);
  verifyBatch(batch);
  assert.equal(decodeRecords(batch).map((r) => r.offset), [123_456_789_012n, 123_456_789_013n, 123_456_789_014n]);
});

test('kafkajs decodes what we encode', async () => {
  const batch = sampleBatch('gzip');
  const decoded = await KafkajsBatchDecoder(new KafkajsDecoder(batch));
  assert.is(decoded.records.length, 3);
  assert.is(decoded.records[0].key.toString(), 'k1');
  assert.is(decoded.records[0].value.toString(), 'v1');
  assert.is(decoded.records[0].headers['mqtt-topic'].toString(), 'sensors/a/t');
  assert.is(decoded.records[1].timestamp, '1699999999000');
  assert.is(decoded.producerId, '7');
  assert.is(decoded.firstSequence, 40);
});

test('we decode what kafkajs encodes, CRC included', async () => {
  const records = [
    KafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('one'), headers: { x: 'y' } }),
    KafkajsRecord({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('two') }),
  ];
  const encoder = await KafkajsRecordBatch({
    firstTimestamp: 1_000,
    maxTimestamp: 1_005,
    lastOffsetDelta: 1,
    producerId: KafkajsLong.fromValue(99),
    producerEpoch: 1,
    firstSequence: 0,
    records,
  });
  const batch: Buffer = encoder.buffer;
  const header = verifyBatch(batch);
  assert.is(header.producerId, 99n);
  assert.is(header.recordCount, 2);
  const decoded = decodeRecords(batch);
  assert.equal(decoded.map((r) => r.value?.toString()), ['one', 'two']);
  assert.equal(decoded.map((r) => r.timestamp), [1_000n, 1_005n]);
  assert.equal(decoded[0]!.headers, [{ key: 'x', value: Buffer.from('y') }]);
});

function expectProblem(buffer: Buffer, reason: string, position: number, limits = {}): void {
  const result = checkBatch(buffer, 0, limits);
  assert.ok('problem' in result, `expected ${reason}`);
  if (!('problem' in result)) return;
  assert.is(result.problem.reason, reason);
  assert.is(result.problem.position, position);
  assert.ok(result.problem.message.includes(`byte ${position}`), result.problem.message);
  try {
    verifyBatch(buffer, 0, limits);
    assert.unreachable('verifyBatch accepted a bad batch');
  } catch (error) {
    assert.ok(isTributaryError(error, reason === 'too-large' ? 'RECORD_TOO_LARGE' : 'INVALID_RECORD_BATCH'), String(error));
  }
}

test('validation names the failed check and the byte', () => {
  const good = sampleBatch();
  expectProblem(good.subarray(0, 30), 'truncated', 0);
  expectProblem(good.subarray(0, good.length - 1), 'truncated', 0);

  const shortLength = Buffer.from(good);
  shortLength.writeInt32BE(10, BatchField.batchLength);
  expectProblem(shortLength, 'invalid-length', 0);

  const badMagic = Buffer.from(good);
  badMagic.writeInt8(1, BatchField.magic);
  expectProblem(badMagic, 'bad-magic', BatchField.magic);

  const flipped = Buffer.from(good);
  flipped[RECORD_BATCH_HEADER_BYTES + 3]! ^= 0x10;
  expectProblem(flipped, 'crc-mismatch', BatchField.crc);

  const noRecords = Buffer.from(good);
  noRecords.writeInt32BE(0, BatchField.recordCount);
  noRecords.writeUInt32BE(computeBatchCrc(noRecords, 0, noRecords.length), BatchField.crc);
  expectProblem(noRecords, 'bad-record-count', BatchField.recordCount);

  const wrongDelta = Buffer.from(good);
  wrongDelta.writeInt32BE(5, BatchField.lastOffsetDelta);
  wrongDelta.writeUInt32BE(computeBatchCrc(wrongDelta, 0, wrongDelta.length), BatchField.crc);
  expectProblem(wrongDelta, 'bad-record-count', BatchField.lastOffsetDelta);

  const badCodec = Buffer.from(good);
  badCodec.writeInt16BE(7, BatchField.attributes);
  badCodec.writeUInt32BE(computeBatchCrc(badCodec, 0, badCodec.length), BatchField.crc);
  expectProblem(badCodec, 'bad-compression', BatchField.attributes);

  expectProblem(good, 'too-large', 0, { maxBatchBytes: good.length - 1 });
  verifyBatch(good, 0, { maxBatchBytes: good.length });
});

test('verifyBatches walks concatenated batches and refuses a partial tail', () => {
  const a = sampleBatch();
  const b = sampleBatch('gzip');
  const both = Buffer.concat([a, b]);
  assert.equal(verifyBatches(both).map((h) => h.position), [0, a.length]);
  try {
    verifyBatches(Buffer.concat([a, b.subarray(0, 70)]));
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'INVALID_RECORD_BATCH'));
    assert.ok((error as Error).message.includes(`byte ${a.length}`), (error as Error).message);
  }
  assert.equal([...iterateBatchHeaders(Buffer.concat([a, b, b.subarray(0, 70)]))].map((h) => h.position), [0, a.length]);
});

test('every codec reads and writes batches with nothing registered first, and other codes are refused', () => {
  for (const compression of ['snappy', 'lz4', 'gzip', 'zstd'] as const) {
    const batch = encodeRecordBatch({ compression, records: [{ value: 'hello' }, { value: 'world' }] });
    assert.equal(decodeRecords(batch).map((r) => r.value?.toString()), ['hello', 'world'], compression);
  }
  assert.throws(() => encodeRecordBatch({ compression: 5, records: [{ value: 'x' }] }), /no codec for compression code 5/);
  const unknownCodec = encodeRecordBatch({ records: [{ value: 'x' }] });
  unknownCodec.writeInt16BE(5, BatchField.attributes);
  try {
    decodeRecords(unknownCodec);
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'INVALID_RECORD_BATCH'), String(error));
  }
});

test('a batch that decompresses beyond the limit is refused, not expanded', () => {
  const bomb = encodeRecordBatch({ compression: 'gzip', records: [{ value: Buffer.alloc(DECOMPRESSED_BYTES_MAX + 1024) }] });
  assert.ok(bomb.length < 200_000, 'a small batch on the wire');
  try {
    decodeRecords(bomb);
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'INVALID_RECORD_BATCH'), String(error));
  }
});

test('a record whose declared length disagrees with its fields is refused', () => {
  const batch = encodeRecordBatch({ records: [{ value: 'abc' }] });
  // The first record's length varint is the first byte after the header; grow it by one.
  batch[RECORD_BATCH_HEADER_BYTES]! += 2;
  try {
    decodeRecords(batch);
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'INVALID_RECORD_BATCH'), String(error));
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recompressForTopic } from '../../../edge/kafka/recompression.ts';
import { CompressionCodes } from '../../../shared/kafka/compression/codec.ts';
import { decodeRecords, encodeRecordBatch, readBatchHeader, verifyBatches } from '../../../shared/kafka/record-batch.ts';

const records = [
  { key: 'a', value: 'first '.repeat(30), headers: [{ key: 'h', value: 'x' }], timestampMs: 1000 },
  { key: null, value: null, timestampMs: 1005 },
];

test('producer keeps the buffer as it is; a codec rewrites other batches and keeps records and producer fields', () => {
  const batch = encodeRecordBatch({ records, producerId: 42n, producerEpoch: 3, baseSequence: 17, compression: 'none' });
  assert.is(recompressForTopic(batch, 'producer'), batch);
  for (const target of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const rewritten = recompressForTopic(batch, target);
    const [header] = verifyBatches(rewritten);
    assert.is(header!.compression, CompressionCodes[target], target);
    assert.equal([header!.producerId, header!.producerEpoch, header!.baseSequence, header!.lastOffsetDelta, header!.maxTimestamp], [42n, 3, 17, 1, 1005n], target);
    assert.equal(decodeRecords(rewritten).map((record) => [record.key?.toString() ?? null, record.value?.toString() ?? null, record.timestamp, record.headers]), decodeRecords(batch).map((record) => [record.key?.toString() ?? null, record.value?.toString() ?? null, record.timestamp, record.headers]), target);
  }
  const compressed = encodeRecordBatch({ records, compression: 'zstd' });
  assert.is(readBatchHeader(recompressForTopic(compressed, 'uncompressed')).compression, CompressionCodes.none);
  assert.is(recompressForTopic(compressed, 'zstd'), compressed, 'already in the codec: the same buffer');
});

test('a corrupt batch is refused, never given a fresh checksum', () => {
  const batch = encodeRecordBatch({ records });
  batch[batch.length - 1] ^= 0xff;
  assert.throws(() => recompressForTopic(batch, 'gzip'), /CRC/);
});

test.run();

// compression.type with Kafka's meaning: producer (the default) keeps every batch as its
// producer compressed it; uncompressed, gzip, snappy, lz4 or zstd make the broker rewrite a
// batch that arrives in another codec before it is appended. The rewrite keeps everything
// but the codec: the producer id, epoch and sequence (so idempotent producers still
// deduplicate), the transactional flag, and each record's timestamp, offset delta, key,
// value and headers. Batches are verified first, so that a corrupt batch is refused, never
// given a fresh checksum.
import type { CompressionType } from '../../shared/config/topic-config.ts';
import { CompressionCodes, type CompressionName } from '../../shared/kafka/compression/codec.ts';
import { decodeRecords, encodeRecordBatch, verifyBatches, type RecordBatchHeader } from '../../shared/kafka/record-batch.ts';

const CODEC_OF: Record<Exclude<CompressionType, 'producer'>, CompressionName> = { uncompressed: 'none', gzip: 'gzip', snappy: 'snappy', lz4: 'lz4', zstd: 'zstd' };

/** The batches as the topic's compression.type wants them stored; the same buffer when nothing changes. */
export function recompressForTopic(batches: Buffer, compressionType: CompressionType): Buffer {
  if (compressionType === 'producer') return batches;
  const codec = CODEC_OF[compressionType];
  // The size limit applies to what is stored: the log checks the rewritten batches when they are appended.
  const headers = verifyBatches(batches);
  // Control batches and LogAppendTime batches are not the producer's data to rewrite.
  const keep = (header: RecordBatchHeader): boolean => header.compression === CompressionCodes[codec] || header.isControlBatch || header.timestampType !== 0;
  if (headers.every(keep)) return batches;
  return Buffer.concat(headers.map((header) => {
    const batch = batches.subarray(header.position, header.position + header.sizeBytes);
    if (keep(header)) return batch;
    return encodeRecordBatch({
      records: decodeRecords(batch).map((record) => ({ key: record.key, value: record.value, headers: record.headers, timestampMs: record.timestamp, offsetDelta: record.offsetDelta })),
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      isTransactional: header.isTransactional,
      compression: codec,
    });
  }));
}

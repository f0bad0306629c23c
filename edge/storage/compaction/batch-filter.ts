// What compaction keeps of one stored batch: the batch as it is, nothing, or a batch with
// the same base offset, last offset, producer fields and codec holding only the records
// kept. Offsets never change: kept records keep their offset deltas, so a compacted batch
// has gaps inside it (as Kafka's compacted batches do) and its producer's sequence range
// stays whole (KIP-98).
import { decodeRecords, encodeRecordBatch, type DecodedRecord, type RecordBatchHeader } from '../../../shared/kafka/record-batch.ts';

export type FilteredBatch = { kind: 'whole' } | { kind: 'none'; removed: number } | { kind: 'rewritten'; bytes: Buffer; removed: number };

/** Filters the records of the batch `bytes` (whose header is `header`) by `keep`. */
export function filterBatch(bytes: Buffer, header: RecordBatchHeader, keep: (record: DecodedRecord) => boolean): FilteredBatch {
  const records = decodeRecords(bytes);
  const kept = records.filter(keep);
  if (kept.length === records.length) return { kind: 'whole' };
  if (kept.length === 0) return { kind: 'none', removed: records.length };
  const rewritten = encodeRecordBatch({
    records: kept.map((record) => ({ key: record.key, value: record.value, headers: record.headers, timestampMs: record.timestamp, offsetDelta: record.offsetDelta })),
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    compression: header.compression,
    isTransactional: header.isTransactional,
    lastOffsetDelta: header.lastOffsetDelta,
  });
  return { kind: 'rewritten', bytes: rewritten, removed: records.length - kept.length };
}

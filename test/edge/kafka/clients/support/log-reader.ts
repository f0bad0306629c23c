// Reads a whole partition back over the wire with plain Fetch requests and decodes every
// stored batch, so that a test can check what the broker actually kept: each batch's
// compression and producer fields, every record's offset, key, value and headers.
import { decodeRecords, iterateBatchHeaders, type DecodedRecord, type RecordBatchHeader } from '../../../../../shared/kafka/record-batch.ts';
import { RawKafkaConnection } from './raw-kafka.ts';

/** A non-flexible Fetch version every broker build serves; the reader needs nothing newer. */
const FETCH_VERSION = 4;
/** Bytes asked for per Fetch; test partitions are small. */
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

export interface StoredBatch { header: RecordBatchHeader; records: DecodedRecord[] }

export interface StoredPartition { batches: StoredBatch[]; records: DecodedRecord[]; highWatermark: bigint; logStartOffset: bigint }

export async function readPartition(port: number, topic: string, partition: number): Promise<StoredPartition> {
  const connection = await RawKafkaConnection.connect(port);
  try {
    const batches: StoredBatch[] = [];
    let offset = 0n;
    let highWatermark = -1n;
    let logStartOffset = -1n;
    for (;;) {
      const response = await connection.request(1, FETCH_VERSION, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 0,
        topics: [{ topic, topicId: '', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: FETCH_MAX_BYTES }] }],
        forgottenTopicsData: [],
      });
      const answer = response.responses[0]!.partitions[0]!;
      if (answer.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition} at ${offset}: error ${answer.errorCode}`);
      highWatermark = answer.highWatermark;
      logStartOffset = answer.logStartOffset;
      const bytes = answer.records ?? Buffer.alloc(0);
      let progressed = false;
      for (const header of iterateBatchHeaders(bytes)) {
        if (header.lastOffset < offset) continue;
        batches.push({ header, records: decodeRecords(bytes, header.position) });
        offset = header.lastOffset + 1n;
        progressed = true;
      }
      if (offset >= highWatermark) break;
      if (!progressed) throw new Error(`Fetch ${topic}-${partition} at ${offset} returned no whole batch below the high watermark ${highWatermark}`);
    }
    return { batches, records: batches.flatMap((batch) => batch.records), highWatermark, logStartOffset };
  } finally {
    await connection.close();
  }
}

// The two hot requests of the mirror, with request bodies of its own, so that record batches
// travel as the bytes the mirror made (see kafka-client.ts): Produce v9 and Fetch v12, both
// flexible (KIP-482) and served by Apache Kafka 2.4+ (Produce 3-13 and Fetch 4-18 in Kafka 4)
// and by Tributary.
import { createAPI, Writer, type Reader } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import { KafkaError } from './kafka-errors.ts';

/** Produce and Fetch versions the mirror speaks; both flexible, both in every Kafka since 2.4 (KIP-482). */
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const PRODUCE_API_KEY = 0;
const FETCH_API_KEY = 1;
/** Fetch isolation level READ_COMMITTED (KIP-98): the mirror and the fleet view read committed data only. */
const READ_COMMITTED = 1;
/** acks=-1: the central cluster answers once the batch is on every in-sync replica. */
const ACKS_ALL = -1;

export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Whole and possibly a partial last batch, as the broker sent them. */
  records: Buffer;
  /** The aborted transactions among them (read_committed, KIP-98); AbortedBatchFilter drops their batches. */
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[];
}

export interface ProduceOutcome {
  errorCode: number;
  baseOffset: bigint;
  logStartOffset: bigint;
  errorMessage: string | null;
}

// --- Produce v9 ----------------------------------------------------------------------
// Produce Request (Version: 9) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER
//   transactional_id => COMPACT_NULLABLE_STRING
//   topic_data => name [partition_data] TAG_BUFFER
//     partition_data => index records TAG_BUFFER      records => COMPACT_RECORDS

function createProduceRequest(topic: string, partition: number, batch: Buffer, timeoutMs: number): Writer {
  return Writer.create()
    .appendString(null)
    .appendInt16(ACKS_ALL)
    .appendInt32(timeoutMs)
    .appendArray([topic], (writer, name: string) => {
      writer.appendString(name).appendArray([partition], (inner, index: number) => {
        inner.appendInt32(index).appendUnsignedVarInt(batch.length + 1).append(batch);
      });
    })
    .appendTaggedFields();
}

// Produce Response (Version: 9) => [responses] throttle_time_ms TAG_BUFFER
//   responses => name [partition_responses] TAG_BUFFER
//     partition_responses => index error_code base_offset log_append_time_ms log_start_offset
//                            [record_errors] error_message TAG_BUFFER
//       record_errors => batch_index batch_index_error_message TAG_BUFFER

function parseProduceResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ProduceOutcome {
  let outcome: ProduceOutcome | undefined;
  reader.readArray((topicReader) => {
    topicReader.readString();
    topicReader.readArray((partitionReader) => {
      partitionReader.readInt32();
      const errorCode = partitionReader.readInt16();
      const baseOffset = partitionReader.readInt64();
      partitionReader.readInt64();
      const logStartOffset = partitionReader.readInt64();
      const recordErrors: string[] = [];
      partitionReader.readArray((errorReader) => {
        errorReader.readInt32();
        const message = errorReader.readNullableString();
        if (message) recordErrors.push(message);
      });
      const errorMessage = partitionReader.readNullableString();
      outcome = { errorCode, baseOffset, logStartOffset, errorMessage: [errorMessage, ...recordErrors].filter((text) => text).join('; ') || null };
    });
  });
  reader.readInt32();
  reader.readTaggedFields();
  if (outcome === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', 'produce response holds no partition', {});
  return outcome;
}

// --- Fetch v12 -----------------------------------------------------------------------
// Fetch Request (Version: 12) => replica_id max_wait_ms min_bytes max_bytes isolation_level
//   session_id session_epoch [topics] [forgotten_topics_data] rack_id TAG_BUFFER
//   topics => topic [partitions] TAG_BUFFER
//     partitions => partition current_leader_epoch fetch_offset last_fetched_epoch
//                   log_start_offset partition_max_bytes TAG_BUFFER

function createFetchRequest(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Writer {
  return Writer.create()
    .appendInt32(-1)
    .appendInt32(maxWaitMs)
    .appendInt32(1)
    .appendInt32(maxBytes)
    // read_committed: mirrored and fleet data is committed data only (KIP-98).
    .appendInt8(READ_COMMITTED)
    // Session 0, epoch -1: a full fetch outside any fetch session (KIP-227).
    .appendInt32(0)
    .appendInt32(-1)
    .appendArray([topic], (writer, name: string) => {
      writer.appendString(name).appendArray([partition], (inner, index: number) => {
        inner.appendInt32(index).appendInt32(-1).appendInt64(offset).appendInt32(-1).appendInt64(-1n).appendInt32(maxBytes);
      });
    })
    .appendArray([], () => undefined)
    .appendString('')
    .appendTaggedFields();
}

// Fetch Response (Version: 12) => throttle_time_ms error_code session_id [responses] TAG_BUFFER
//   responses => topic [partitions] TAG_BUFFER
//     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
//                   [aborted_transactions] preferred_read_replica records TAG_BUFFER
//       aborted_transactions => producer_id first_offset TAG_BUFFER

function parseFetchResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): FetchedPartition {
  reader.readInt32();
  const topLevelError = reader.readInt16();
  reader.readInt32();
  let fetched: FetchedPartition | undefined;
  reader.readArray((topicReader) => {
    topicReader.readString();
    topicReader.readArray((partitionReader) => {
      partitionReader.readInt32();
      const errorCode = partitionReader.readInt16();
      const highWatermark = partitionReader.readInt64();
      partitionReader.readInt64();
      const logStartOffset = partitionReader.readInt64();
      const abortedTransactions = partitionReader.readNullableArray((abortedReader) => ({ producerId: abortedReader.readInt64(), firstOffset: abortedReader.readInt64() })) ?? [];
      partitionReader.readInt32();
      const records = partitionReader.readNullableBytes() ?? Buffer.alloc(0);
      fetched = { errorCode, highWatermark, logStartOffset, records: Buffer.from(records), abortedTransactions };
    });
  });
  reader.readTaggedFields();
  if (fetched === undefined) {
    return { errorCode: topLevelError !== 0 ? topLevelError : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, logStartOffset: -1n, records: Buffer.alloc(0), abortedTransactions: [] };
  }
  return fetched;
}

export const produceV9 = createAPI<[topic: string, partition: number, batch: Buffer, timeoutMs: number], ProduceOutcome>(PRODUCE_API_KEY, PRODUCE_VERSION, createProduceRequest, parseProduceResponse);
export const fetchV12 = createAPI<[topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number], FetchedPartition>(FETCH_API_KEY, FETCH_VERSION, createFetchRequest, parseFetchResponse);

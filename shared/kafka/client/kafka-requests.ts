// The two hot requests of the mirror, so that record batches travel as the bytes the mirror
// made (see kafka-client.ts): Produce v9 carries a RecordBatch the mirror encoded itself
// (shared/kafka/record-batch.ts) with the producer id, epoch and sequence numbers it chose
// (see partition-pump.ts); Fetch v12 returns the stored batches as bytes, decoded with the
// same codec. Both are encoded and read by the project's codecs (shared/kafka/apis).
import { TributaryError } from '../../errors.ts';
import type { DecodedResponseBody, RequestBodyInput } from '../apis/index.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode as KafkaError } from '../protocol/error-codes.ts';
import { ZERO_UUID } from '../protocol/schema.ts';

/** Fetch isolation level READ_COMMITTED (KIP-98): the mirror and the fleet view read committed data only. */
export const READ_COMMITTED = 1;
/** Isolation level READ_UNCOMMITTED: offsets up to the high watermark. */
export const READ_UNCOMMITTED = 0;
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

export function produceRequest(topic: string, partition: number, batch: Buffer, timeoutMs: number): RequestBodyInput<typeof ApiKey.Produce> {
  return { transactionalId: null, acks: ACKS_ALL, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] };
}

export function produceOutcome(response: DecodedResponseBody<typeof ApiKey.Produce>): ProduceOutcome {
  const answer = response.responses[0]?.partitionResponses[0];
  if (answer === undefined) throw new TributaryError('BROKER_REQUEST_FAILED', 'produce response holds no partition', {});
  const recordErrors = answer.recordErrors.map((entry) => entry.batchIndexErrorMessage);
  const errorMessage = [answer.errorMessage, ...recordErrors].filter((text) => text).join('; ') || null;
  return { errorCode: answer.errorCode, baseOffset: answer.baseOffset, logStartOffset: answer.logStartOffset, errorMessage };
}

export function fetchRequest(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): RequestBodyInput<typeof ApiKey.Fetch> {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    // read_committed: mirrored and fleet data is committed data only (KIP-98).
    isolationLevel: READ_COMMITTED,
    // Session 0, epoch -1: a full fetch outside any fetch session (KIP-227).
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export function fetchedPartition(response: DecodedResponseBody<typeof ApiKey.Fetch>): FetchedPartition {
  const answer = response.responses[0]?.partitions[0];
  if (answer === undefined) {
    return { errorCode: response.errorCode !== KafkaError.NONE ? response.errorCode : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, logStartOffset: -1n, records: Buffer.alloc(0), abortedTransactions: [] };
  }
  return {
    errorCode: answer.errorCode,
    highWatermark: answer.highWatermark,
    logStartOffset: answer.logStartOffset,
    records: answer.records ?? Buffer.alloc(0),
    abortedTransactions: (answer.abortedTransactions ?? []).map((entry) => ({ producerId: entry.producerId, firstOffset: entry.firstOffset })),
  };
}

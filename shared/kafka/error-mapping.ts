// Operating errors (TributaryError codes) as the Kafka error codes a broker answers them
// with, per partition or per resource: what the edge's Kafka server puts in its responses.
import { isTributaryError, type ErrorCode as TributaryErrorCode } from '../errors.ts';
import { ErrorCode } from './protocol/error-codes.ts';

const KAFKA_CODE_OF: Partial<Record<TributaryErrorCode, number>> = {
  TOPIC_NOT_FOUND: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  PARTITION_NOT_FOUND: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  TOPIC_EXISTS: ErrorCode.TOPIC_ALREADY_EXISTS,
  INVALID_RECORD_BATCH: ErrorCode.CORRUPT_MESSAGE,
  RECORD_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  // Kafka 4's LogValidator refuses a keyless record on a compacted topic with InvalidRecordException.
  RECORD_KEY_MISSING: ErrorCode.INVALID_RECORD,
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  DUPLICATE_SEQUENCE: ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
  OUT_OF_ORDER_SEQUENCE: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  PRODUCER_FENCED: ErrorCode.INVALID_PRODUCER_EPOCH,
  STORAGE_DISK_FULL: ErrorCode.KAFKA_STORAGE_ERROR,
  STORAGE_IO: ErrorCode.KAFKA_STORAGE_ERROR,
  STORAGE_CORRUPT: ErrorCode.KAFKA_STORAGE_ERROR,
  STORAGE_CLOSED: ErrorCode.KAFKA_STORAGE_ERROR,
  INVALID_TOPIC: ErrorCode.INVALID_TOPIC_EXCEPTION,
  INVALID_PARTITIONS: ErrorCode.INVALID_PARTITIONS,
  INVALID_TOPIC_CONFIG: ErrorCode.INVALID_CONFIG,
};

/** The Kafka error code for a failure; anything unexpected is UNKNOWN_SERVER_ERROR. */
export function kafkaErrorCodeOf(error: unknown): number {
  if (isTributaryError(error)) return KAFKA_CODE_OF[error.code] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function isExpectedError(error: unknown): boolean {
  return isTributaryError(error) && KAFKA_CODE_OF[error.code] !== undefined;
}

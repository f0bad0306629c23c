// ListOffsets: the earliest (-2) or latest (-1) offset of a partition, the record with the
// largest timestamp (-3, KIP-734), or the first offset whose record timestamp is at or after
// a given time. The latest offset is the durable high watermark, the end a consumer can read
// to; no answer points at or past it. Under isolation_level read_committed (KIP-98) that end
// is the last stable offset, as Kafka answers it.
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../../shared/kafka/apis/list-offsets.ts';
import { IsolationLevel } from '../../../shared/kafka/apis/fetch.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;
const MAX_TIMESTAMP = -3n;
/** KIP-405: the start of the log kept locally. Nothing is tiered here, so it is the log start. */
const EARLIEST_LOCAL_TIMESTAMP = -4n;
/** KIP-1005: the last offset in tiered storage; nothing is tiered here, so there is none. */
const LATEST_TIERED_TIMESTAMP = -5n;

/** The first version that may ask for each special timestamp; older ones get UNSUPPORTED_VERSION, as from Kafka. */
const FIRST_VERSION_OF = new Map<bigint, number>([[MAX_TIMESTAMP, 7], [EARLIEST_LOCAL_TIMESTAMP, 8], [LATEST_TIERED_TIMESTAMP, 9]]);

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

export async function handleListOffsets(context: BrokerContext, request: ListOffsetsRequest, apiVersion: number): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(request.topics.map(async (topic) => ({
    name: topic.name,
    partitions: await Promise.all(topic.partitions.map((partition) => listOffset(context, topic.name, partition.partitionIndex, partition.timestamp, apiVersion, request.isolationLevel === IsolationLevel.READ_COMMITTED))),
  })));
  return { throttleTimeMs: 0, topics };
}

async function listOffset(context: BrokerContext, topicName: string, partitionIndex: number, timestamp: bigint, apiVersion: number, committedOnly: boolean): Promise<PartitionResponse> {
  const answer = (errorCode: number, offset: bigint, foundTimestamp = -1n): PartitionResponse => ({
    partitionIndex,
    errorCode,
    oldStyleOffsets: offset >= 0n ? [offset] : [],
    timestamp: foundTimestamp,
    offset,
    leaderEpoch: apiVersion >= 4 && offset >= 0n ? 0 : -1,
  });
  if (apiVersion < (FIRST_VERSION_OF.get(timestamp) ?? 0)) return answer(ErrorCode.UNSUPPORTED_VERSION, -1n);
  const topic = context.store.describeTopic(topicName);
  if (!topic || partitionIndex < 0 || partitionIndex >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n);
  const log = context.store.partition(topicName, partitionIndex);
  try {
    const readableEnd = committedOnly ? log.lastStableOffset : log.highWatermark;
    if (timestamp === LATEST_TIMESTAMP) return answer(ErrorCode.NONE, readableEnd);
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) return answer(ErrorCode.NONE, log.logStartOffset);
    if (timestamp === LATEST_TIERED_TIMESTAMP) return answer(ErrorCode.NONE, -1n);
    // KIP-734: the first record (by offset) carrying the largest timestamp, which is the
    // first record at or after that timestamp.
    const target = timestamp === MAX_TIMESTAMP ? log.maxTimestamp : timestamp;
    if (target < 0n) return timestamp === MAX_TIMESTAMP ? answer(ErrorCode.NONE, -1n) : answer(ErrorCode.INVALID_REQUEST, -1n);
    const found = await log.offsetForTimestamp(target);
    return found && found.offset < readableEnd ? answer(ErrorCode.NONE, found.offset, found.timestamp) : answer(ErrorCode.NONE, -1n);
  } catch (error) {
    context.logger.error({ err: error, topic: topicName, partition: partitionIndex }, 'list offsets failed');
    return answer(kafkaErrorCodeOf(error), -1n);
  }
}

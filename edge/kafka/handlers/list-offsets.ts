// ListOffsets: the earliest (-2) or latest (-1) offset of a partition, or the first offset
// whose record timestamp is at or after a given time. The latest offset is the durable
// high watermark, the end a consumer can read to.
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../../shared/kafka/apis/list-offsets.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../error-mapping.ts';

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;
const MAX_TIMESTAMP = -3n;

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

export async function handleListOffsets(context: BrokerContext, request: ListOffsetsRequest, apiVersion: number): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(request.topics.map(async (topic) => ({
    name: topic.name,
    partitions: await Promise.all(topic.partitions.map((partition) => listOffset(context, topic.name, partition.partitionIndex, partition.timestamp, apiVersion))),
  })));
  return { throttleTimeMs: 0, topics };
}

async function listOffset(context: BrokerContext, topicName: string, partitionIndex: number, timestamp: bigint, apiVersion: number): Promise<PartitionResponse> {
  const answer = (errorCode: number, offset: bigint, foundTimestamp = -1n): PartitionResponse => ({
    partitionIndex,
    errorCode,
    oldStyleOffsets: offset >= 0n ? [offset] : [],
    timestamp: foundTimestamp,
    offset,
    leaderEpoch: apiVersion >= 4 && offset >= 0n ? 0 : -1,
  });
  const topic = context.store.describeTopic(topicName);
  if (!topic || partitionIndex < 0 || partitionIndex >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n);
  const log = context.store.partition(topicName, partitionIndex);
  try {
    if (timestamp === LATEST_TIMESTAMP) return answer(ErrorCode.NONE, log.highWatermark);
    if (timestamp === EARLIEST_TIMESTAMP) return answer(ErrorCode.NONE, log.logStartOffset);
    if (timestamp === MAX_TIMESTAMP) {
      // KIP-734: the record with the largest timestamp. Without a per-partition maximum we
      // answer with the newest record, which is the same for clocks that only move forward.
      const newest = log.highWatermark - 1n;
      return newest >= log.logStartOffset ? answer(ErrorCode.NONE, newest) : answer(ErrorCode.NONE, -1n);
    }
    if (timestamp < 0n) return answer(ErrorCode.INVALID_REQUEST, -1n);
    const found = await log.offsetForTimestamp(timestamp);
    return found ? answer(ErrorCode.NONE, found.offset, found.timestamp) : answer(ErrorCode.NONE, -1n);
  } catch (error) {
    context.logger.error({ err: error, topic: topicName, partition: partitionIndex }, 'list offsets failed');
    return answer(kafkaErrorCodeOf(error), -1n);
  }
}

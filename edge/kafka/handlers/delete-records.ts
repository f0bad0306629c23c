// DeleteRecords (KIP-107): kafka-delete-records and AdminClient.deleteRecords move a
// partition's log start offset; the answer is the new log start (the "low watermark"), once
// it is durable. Offset -1 means the high watermark: everything readable so far.
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../../shared/kafka/apis/delete-records.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { isExpectedError, kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';

/** The offset that stands for the high watermark (Kafka's DeleteRecordsRequest.HIGH_WATERMARK). */
const HIGH_WATERMARK = -1n;

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

export async function handleDeleteRecords(context: BrokerContext, request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(request.topics.map(async (topic) => ({
    name: topic.name,
    partitions: await Promise.all(topic.partitions.map((partition) => deleteRecords(context, topic.name, partition.partitionIndex, partition.offset))),
  })));
  return { throttleTimeMs: 0, topics };
}

async function deleteRecords(context: BrokerContext, topicName: string, partitionIndex: number, offset: bigint): Promise<PartitionResult> {
  const answer = (errorCode: number, lowWatermark = -1n): PartitionResult => ({ partitionIndex, lowWatermark, errorCode });
  const topic = context.store.describeTopic(topicName);
  if (topic === undefined || partitionIndex < 0 || partitionIndex >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (offset < HIGH_WATERMARK) return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    const target = offset === HIGH_WATERMARK ? context.store.partition(topicName, partitionIndex).highWatermark : offset;
    return answer(ErrorCode.NONE, await context.store.deleteRecords(topicName, partitionIndex, target));
  } catch (error) {
    if (!isExpectedError(error)) context.logger.error({ err: error, topic: topicName, partition: partitionIndex }, 'deleting records failed');
    return answer(kafkaErrorCodeOf(error));
  }
}

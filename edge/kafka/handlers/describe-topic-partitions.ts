// DescribeTopicPartitions (KIP-966): what Kafka 4's AdminClient.describeTopics asks first
// (kafka-topics --describe), with Metadata as its fallback. Topics come in name order, at
// most response_partition_limit partitions per response, and a cursor tells the client
// where the next request begins.
import type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse } from '../../../shared/kafka/apis/describe-topic-partitions.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ZERO_UUID } from '../../../shared/kafka/protocol/schema.ts';
import { TOPIC_OPERATIONS } from '../authorized-operations.ts';
import { isValidTopicName } from '../../../shared/kafka/topic-name.ts';
import type { BrokerContext } from '../broker-context.ts';
import { partitionLeadership } from './metadata.ts';

/** Partitions one response describes at most (Kafka's max.request.partition.size.limit default): bounds its size. */
export const RESPONSE_PARTITIONS_MAX = 2000;

type DescribedTopic = DescribeTopicPartitionsResponse['topics'][number];

export function handleDescribeTopicPartitions(context: BrokerContext, request: DescribeTopicPartitionsRequest): DescribeTopicPartitionsResponse {
  const everyTopic = request.topics.length === 0;
  const cursor = request.cursor;
  const from = cursor?.topicName ?? '';
  const names = [...new Set(everyTopic ? context.store.listTopics().map((topic) => topic.name) : request.topics.map((topic) => topic.name))]
    .filter((name) => name >= from)
    .sort();
  // A cursor must point into the topics asked for, at a partition that can exist.
  if (cursor !== null && ((!everyTopic && !names.includes(cursor.topicName)) || cursor.partitionIndex < 0)) {
    return { throttleTimeMs: 0, topics: names.map((name) => refused(name, ErrorCode.INVALID_REQUEST)), nextCursor: null };
  }
  let remaining = Math.max(Math.min(RESPONSE_PARTITIONS_MAX, request.responsePartitionLimit), 1);
  const topics: DescribedTopic[] = [];
  for (const name of names) {
    if (remaining === 0) return { throttleTimeMs: 0, topics, nextCursor: { topicName: name, partitionIndex: 0 } };
    const topic = context.store.describeTopic(name);
    if (topic === undefined) {
      // Asked for by name: say it is missing. Listing every topic: it went away meanwhile.
      if (!everyTopic) topics.push(refused(name, isValidTopicName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION));
      continue;
    }
    const first = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
    const end = Math.min(topic.partitions, first + remaining);
    const partitions = [];
    for (let index = first; index < end; index++) partitions.push({ ...partitionLeadership(index), eligibleLeaderReplicas: [], lastKnownElr: [] });
    topics.push({ errorCode: ErrorCode.NONE, name, topicId: topic.id, isInternal: false, partitions, topicAuthorizedOperations: TOPIC_OPERATIONS });
    if (end < topic.partitions) return { throttleTimeMs: 0, topics, nextCursor: { topicName: name, partitionIndex: end } };
    remaining -= partitions.length;
  }
  return { throttleTimeMs: 0, topics, nextCursor: null };
}

function refused(name: string, errorCode: number): DescribedTopic {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: TOPIC_OPERATIONS };
}

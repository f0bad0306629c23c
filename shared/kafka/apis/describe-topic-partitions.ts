// DescribeTopicPartitions (API key 75, KIP-966). Schema: apache/kafka DescribeTopicPartitionsRequest.json and DescribeTopicPartitionsResponse.json.
//
// DescribeTopicPartitions Request (Version: 0) => [topics] response_partition_limit cursor TAG_BUFFER
//   topics => name TAG_BUFFER
//   cursor => topic_name partition_index TAG_BUFFER
// DescribeTopicPartitions Response (Version: 0) => throttle_time_ms [topics] next_cursor TAG_BUFFER
//   topics => error_code name topic_id is_internal [partitions] topic_authorized_operations TAG_BUFFER
//     partitions => error_code partition_index leader_id leader_epoch [replica_nodes] [isr_nodes] [eligible_leader_replicas] [last_known_elr] [offline_replicas] TAG_BUFFER
//   next_cursor => topic_name partition_index TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, string, struct, uuid } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeTopicPartitionsApi = defineApi({
  apiKey: ApiKey.DescribeTopicPartitions,
  versions: '0',
  request: {
    topics: array('0+', {
      name: string('0+'),
    }),
    responsePartitionLimit: int32('0+').default(2000),
    cursor: struct('0+', {
      topicName: string('0+'),
      partitionIndex: int32('0+'),
    }).nullable('0+').default(null),
  },
  response: {
    throttleTimeMs: int32('0+'),
    topics: array('0+', {
      errorCode: int16('0+'),
      name: string('0+').nullable('0+'),
      topicId: uuid('0+'),
      isInternal: bool('0+').default(false),
      partitions: array('0+', {
        errorCode: int16('0+'),
        partitionIndex: int32('0+'),
        leaderId: int32('0+'),
        leaderEpoch: int32('0+').default(-1),
        replicaNodes: array('0+', 'int32'),
        isrNodes: array('0+', 'int32'),
        eligibleLeaderReplicas: array('0+', 'int32').nullable('0+').default(null),
        lastKnownElr: array('0+', 'int32').nullable('0+').default(null),
        offlineReplicas: array('0+', 'int32'),
      }),
      topicAuthorizedOperations: int32('0+').default(-2147483648),
    }),
    nextCursor: struct('0+', {
      topicName: string('0+'),
      partitionIndex: int32('0+'),
    }).nullable('0+').default(null),
  },
});

export type DescribeTopicPartitionsRequest = RequestOf<typeof describeTopicPartitionsApi>;
export type DescribeTopicPartitionsResponse = ResponseOf<typeof describeTopicPartitionsApi>;

// Metadata (API key 3). Schema: apache/kafka MetadataRequest.json and MetadataResponse.json.
//
// Metadata Request (Version: 12) => [topics] allow_auto_topic_creation include_topic_authorized_operations TAG_BUFFER
//   topics => topic_id name TAG_BUFFER
// Metadata Response (Version: 12) => throttle_time_ms [brokers] cluster_id controller_id [topics] TAG_BUFFER
//   brokers => node_id host port rack TAG_BUFFER
//   topics => error_code name topic_id is_internal [partitions] topic_authorized_operations TAG_BUFFER
//     partitions => error_code partition_index leader_id leader_epoch [replica_nodes] [isr_nodes] [offline_replicas] TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, string, uuid } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const metadataApi = defineApi({
  apiKey: ApiKey.Metadata,
  versions: '0-12',
  request: {
    topics: array('0+', {
      topicId: uuid('10+'),
      name: string('0+').nullable('10+'),
    }).nullable('1+'),
    allowAutoTopicCreation: bool('4+').default(true),
    includeClusterAuthorizedOperations: bool('8-10'),
    includeTopicAuthorizedOperations: bool('8+'),
  },
  response: {
    throttleTimeMs: int32('3+'),
    brokers: array('0+', {
      nodeId: int32('0+'),
      host: string('0+'),
      port: int32('0+'),
      rack: string('1+').nullable('1+').default(null),
    }),
    clusterId: string('2+').nullable('2+').default(null),
    controllerId: int32('1+').default(-1),
    topics: array('0+', {
      errorCode: int16('0+'),
      name: string('0+').nullable('12+'),
      topicId: uuid('10+'),
      isInternal: bool('1+').default(false),
      partitions: array('0+', {
        errorCode: int16('0+'),
        partitionIndex: int32('0+'),
        leaderId: int32('0+'),
        leaderEpoch: int32('7+').default(-1),
        replicaNodes: array('0+', 'int32'),
        isrNodes: array('0+', 'int32'),
        offlineReplicas: array('5+', 'int32'),
      }),
      topicAuthorizedOperations: int32('8+').default(-2147483648),
    }),
    clusterAuthorizedOperations: int32('8-10').default(-2147483648),
  },
});

export type MetadataRequest = RequestOf<typeof metadataApi>;
export type MetadataResponse = ResponseOf<typeof metadataApi>;

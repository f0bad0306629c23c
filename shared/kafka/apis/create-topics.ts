// CreateTopics (API key 19). Schema: apache/kafka CreateTopicsRequest.json and CreateTopicsResponse.json.
//
// CreateTopics Request (Version: 7) => [topics] timeout_ms validate_only TAG_BUFFER
//   topics => name num_partitions replication_factor [assignments] [configs] TAG_BUFFER
//     assignments => partition_index [broker_ids] TAG_BUFFER
//     configs => name value TAG_BUFFER
// CreateTopics Response (Version: 7) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name topic_id error_code error_message num_partitions replication_factor [configs] TAG_BUFFER
//     configs => name value read_only config_source is_sensitive TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int8, int16, int32, string, uuid } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const createTopicsApi = defineApi({
  apiKey: ApiKey.CreateTopics,
  versions: '0-7',
  request: {
    topics: array('0+', {
      name: string('0+'),
      numPartitions: int32('0+'),
      replicationFactor: int16('0+'),
      assignments: array('0+', {
        partitionIndex: int32('0+'),
        brokerIds: array('0+', 'int32'),
      }),
      configs: array('0+', {
        name: string('0+'),
        value: string('0+').nullable('0+'),
      }),
    }),
    timeoutMs: int32('0+').default(60000),
    validateOnly: bool('1+').default(false),
  },
  response: {
    throttleTimeMs: int32('2+'),
    topics: array('0+', {
      name: string('0+'),
      topicId: uuid('7+'),
      errorCode: int16('0+'),
      errorMessage: string('1+').nullable('0+'),
      topicConfigErrorCode: int16('5+').tagged(0, '5+'),
      numPartitions: int32('5+').default(-1),
      replicationFactor: int16('5+').default(-1),
      configs: array('5+', {
        name: string('5+'),
        value: string('5+').nullable('5+'),
        readOnly: bool('5+'),
        configSource: int8('5+').default(-1),
        isSensitive: bool('5+'),
      }).nullable('5+'),
    }),
  },
});

export type CreateTopicsRequest = RequestOf<typeof createTopicsApi>;
export type CreateTopicsResponse = ResponseOf<typeof createTopicsApi>;

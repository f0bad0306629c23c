// Produce (API key 0). Schema: apache/kafka ProduceRequest.json and ProduceResponse.json.
//
// Produce Request (Version: 11) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER
//   topic_data => name [partition_data] TAG_BUFFER
//     partition_data => index records TAG_BUFFER
// Produce Response (Version: 11) => [responses] throttle_time_ms TAG_BUFFER
//   responses => name [partition_responses] TAG_BUFFER
//     partition_responses => index error_code base_offset log_append_time_ms log_start_offset [record_errors] error_message TAG_BUFFER
//       record_errors => batch_index batch_index_error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, records, string, struct } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const produceApi = defineApi({
  apiKey: ApiKey.Produce,
  versions: '0-11',
  request: {
    transactionalId: string('3+').nullable('3+').default(null),
    acks: int16('0+'),
    timeoutMs: int32('0+'),
    topicData: array('0+', {
      name: string('0+'),
      partitionData: array('0+', {
        index: int32('0+'),
        records: records('0+').nullable('0+'),
      }),
    }),
  },
  response: {
    responses: array('0+', {
      name: string('0+'),
      partitionResponses: array('0+', {
        index: int32('0+'),
        errorCode: int16('0+'),
        baseOffset: int64('0+'),
        logAppendTimeMs: int64('2+').default(-1n),
        logStartOffset: int64('5+').default(-1n),
        recordErrors: array('8+', {
          batchIndex: int32('8+'),
          batchIndexErrorMessage: string('8+').nullable('8+').default(null),
        }),
        errorMessage: string('8+').nullable('8+').default(null),
        currentLeader: struct('10+', {
          leaderId: int32('10+').default(-1),
          leaderEpoch: int32('10+').default(-1),
        }).tagged(0, '10+'),
      }),
    }),
    throttleTimeMs: int32('1+').default(0),
    nodeEndpoints: array('10+', {
      nodeId: int32('10+'),
      host: string('10+'),
      port: int32('10+'),
      rack: string('10+').nullable('10+').default(null),
    }).tagged(0, '10+'),
  },
});

export type ProduceRequest = RequestOf<typeof produceApi>;
export type ProduceResponse = ResponseOf<typeof produceApi>;

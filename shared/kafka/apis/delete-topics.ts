// DeleteTopics (API key 20). Schema: apache/kafka DeleteTopicsRequest.json and DeleteTopicsResponse.json.
//
// DeleteTopics Request (Version: 6) => [topics] timeout_ms TAG_BUFFER
//   topics => name topic_id TAG_BUFFER
// DeleteTopics Response (Version: 6) => throttle_time_ms [responses] TAG_BUFFER
//   responses => name topic_id error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, string, uuid } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const deleteTopicsApi = defineApi({
  apiKey: ApiKey.DeleteTopics,
  versions: '0-6',
  request: {
    topics: array('6+', {
      name: string('6+').nullable('6+').default(null),
      topicId: uuid('6+'),
    }),
    topicNames: array('0-5', 'string'),
    timeoutMs: int32('0+'),
  },
  response: {
    throttleTimeMs: int32('1+'),
    responses: array('0+', {
      name: string('0+').nullable('6+'),
      topicId: uuid('6+'),
      errorCode: int16('0+'),
      errorMessage: string('5+').nullable('5+').default(null),
    }),
  },
});

export type DeleteTopicsRequest = RequestOf<typeof deleteTopicsApi>;
export type DeleteTopicsResponse = ResponseOf<typeof deleteTopicsApi>;

// CreatePartitions (API key 37). Schema: apache/kafka CreatePartitionsRequest.json and CreatePartitionsResponse.json.
//
// CreatePartitions Request (Version: 3) => [topics] timeout_ms validate_only TAG_BUFFER
//   topics => name count [assignments] TAG_BUFFER
//     assignments => [broker_ids] TAG_BUFFER
// CreatePartitions Response (Version: 3) => throttle_time_ms [results] TAG_BUFFER
//   results => name error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const createPartitionsApi = defineApi({
  apiKey: ApiKey.CreatePartitions,
  versions: '0-3',
  request: {
    topics: array('0+', {
      name: string('0+'),
      count: int32('0+'),
      assignments: array('0+', {
        brokerIds: array('0+', 'int32'),
      }).nullable('0+'),
    }),
    timeoutMs: int32('0+'),
    validateOnly: bool('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    results: array('0+', {
      name: string('0+'),
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+').default(null),
    }),
  },
});

export type CreatePartitionsRequest = RequestOf<typeof createPartitionsApi>;
export type CreatePartitionsResponse = ResponseOf<typeof createPartitionsApi>;

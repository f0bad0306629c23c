// OffsetDelete (API key 47, KIP-496). Schema: apache/kafka OffsetDeleteRequest.json and OffsetDeleteResponse.json.
//
// OffsetDelete Request (Version: 0) => group_id [topics]
//   topics => name [partitions]
//     partitions => partition_index
// OffsetDelete Response (Version: 0) => error_code throttle_time_ms [topics]
//   topics => name [partitions]
//     partitions => partition_index error_code
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const offsetDeleteApi = defineApi({
  apiKey: ApiKey.OffsetDelete,
  versions: '0',
  request: {
    groupId: string('0+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
      }),
    }),
  },
  response: {
    errorCode: int16('0+'),
    throttleTimeMs: int32('0+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
      }),
    }),
  },
});

export type OffsetDeleteRequest = RequestOf<typeof offsetDeleteApi>;
export type OffsetDeleteResponse = ResponseOf<typeof offsetDeleteApi>;

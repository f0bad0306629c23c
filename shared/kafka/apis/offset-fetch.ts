// OffsetFetch (API key 9). Schema: apache/kafka OffsetFetchRequest.json and OffsetFetchResponse.json.
//
// OffsetFetch Request (Version: 9) => [groups] require_stable TAG_BUFFER
//   groups => group_id member_id member_epoch [topics] TAG_BUFFER
//     topics => name [partition_indexes] TAG_BUFFER
// OffsetFetch Response (Version: 9) => throttle_time_ms [groups] TAG_BUFFER
//   groups => group_id [topics] error_code TAG_BUFFER
//     topics => name [partitions] TAG_BUFFER
//       partitions => partition_index committed_offset committed_leader_epoch metadata error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const offsetFetchApi = defineApi({
  apiKey: ApiKey.OffsetFetch,
  versions: '0-9',
  request: {
    groupId: string('0-7'),
    topics: array('0-7', {
      name: string('0-7'),
      partitionIndexes: array('0-7', 'int32'),
    }).nullable('2-7'),
    groups: array('8+', {
      groupId: string('8+'),
      memberId: string('9+').nullable('9+').default(null),
      memberEpoch: int32('9+').default(-1),
      topics: array('8+', {
        name: string('8+'),
        partitionIndexes: array('8+', 'int32'),
      }).nullable('8+'),
    }),
    requireStable: bool('7+').default(false),
  },
  response: {
    throttleTimeMs: int32('3+'),
    topics: array('0-7', {
      name: string('0-7'),
      partitions: array('0-7', {
        partitionIndex: int32('0-7'),
        committedOffset: int64('0-7'),
        committedLeaderEpoch: int32('5-7').default(-1),
        metadata: string('0-7').nullable('0-7'),
        errorCode: int16('0-7'),
      }),
    }),
    errorCode: int16('2-7').default(0),
    groups: array('8+', {
      groupId: string('8+'),
      topics: array('8+', {
        name: string('8+'),
        partitions: array('8+', {
          partitionIndex: int32('8+'),
          committedOffset: int64('8+'),
          committedLeaderEpoch: int32('8+').default(-1),
          metadata: string('8+').nullable('8+'),
          errorCode: int16('8+'),
        }),
      }),
      errorCode: int16('8+').default(0),
    }),
  },
});

export type OffsetFetchRequest = RequestOf<typeof offsetFetchApi>;
export type OffsetFetchResponse = ResponseOf<typeof offsetFetchApi>;

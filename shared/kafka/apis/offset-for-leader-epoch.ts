// OffsetForLeaderEpoch (API key 23). Schema: apache/kafka OffsetForLeaderEpochRequest.json and OffsetForLeaderEpochResponse.json.
//
// OffsetForLeaderEpoch Request (Version: 4) => replica_id [topics] TAG_BUFFER
//   topics => topic [partitions] TAG_BUFFER
//     partitions => partition current_leader_epoch leader_epoch TAG_BUFFER
// OffsetForLeaderEpoch Response (Version: 4) => throttle_time_ms [topics] TAG_BUFFER
//   topics => topic [partitions] TAG_BUFFER
//     partitions => error_code partition leader_epoch end_offset TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const offsetForLeaderEpochApi = defineApi({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  versions: '0-4',
  request: {
    replicaId: int32('3+').default(-2),
    topics: array('0+', {
      topic: string('0+'),
      partitions: array('0+', {
        partition: int32('0+'),
        currentLeaderEpoch: int32('2+').default(-1),
        leaderEpoch: int32('0+'),
      }),
    }),
  },
  response: {
    throttleTimeMs: int32('2+'),
    topics: array('0+', {
      topic: string('0+'),
      partitions: array('0+', {
        errorCode: int16('0+'),
        partition: int32('0+'),
        leaderEpoch: int32('1+').default(-1),
        endOffset: int64('0+').default(-1n),
      }),
    }),
  },
});

export type OffsetForLeaderEpochRequest = RequestOf<typeof offsetForLeaderEpochApi>;
export type OffsetForLeaderEpochResponse = ResponseOf<typeof offsetForLeaderEpochApi>;

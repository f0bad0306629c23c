// OffsetCommit (API key 8). Schema: apache/kafka OffsetCommitRequest.json and OffsetCommitResponse.json.
//
// OffsetCommit Request (Version: 9) => group_id generation_id_or_member_epoch member_id group_instance_id [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index committed_offset committed_leader_epoch committed_metadata TAG_BUFFER
// OffsetCommit Response (Version: 9) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const offsetCommitApi = defineApi({
  apiKey: ApiKey.OffsetCommit,
  versions: '0-9',
  request: {
    groupId: string('0+'),
    generationIdOrMemberEpoch: int32('1+').default(-1),
    memberId: string('1+'),
    groupInstanceId: string('7+').nullable('7+').default(null),
    retentionTimeMs: int64('2-4').default(-1n),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        committedOffset: int64('0+'),
        committedLeaderEpoch: int32('6+').default(-1),
        commitTimestamp: int64('1').default(-1n),
        committedMetadata: string('0+').nullable('0+'),
      }),
    }),
  },
  response: {
    throttleTimeMs: int32('3+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
      }),
    }),
  },
});

export type OffsetCommitRequest = RequestOf<typeof offsetCommitApi>;
export type OffsetCommitResponse = ResponseOf<typeof offsetCommitApi>;

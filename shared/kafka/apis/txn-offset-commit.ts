// TxnOffsetCommit (API key 28, KIP-98, KIP-447). Schema: apache/kafka TxnOffsetCommitRequest.json and TxnOffsetCommitResponse.json.
//
// TxnOffsetCommit Request (Version: 4) => transactional_id group_id producer_id producer_epoch generation_id member_id group_instance_id [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index committed_offset committed_leader_epoch committed_metadata TAG_BUFFER
// TxnOffsetCommit Response (Version: 4) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const txnOffsetCommitApi = defineApi({
  apiKey: ApiKey.TxnOffsetCommit,
  versions: '0-4',
  request: {
    transactionalId: string('0+'),
    groupId: string('0+'),
    producerId: int64('0+'),
    producerEpoch: int16('0+'),
    generationIdOrMemberEpoch: int32('3+').default(-1),
    memberId: string('3+').default(''),
    groupInstanceId: string('3+').nullable('3+').default(null),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        committedOffset: int64('0+'),
        committedLeaderEpoch: int32('2+').default(-1),
        committedMetadata: string('0+').nullable('0+'),
      }),
    }),
  },
  response: {
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

export type TxnOffsetCommitRequest = RequestOf<typeof txnOffsetCommitApi>;
export type TxnOffsetCommitResponse = ResponseOf<typeof txnOffsetCommitApi>;

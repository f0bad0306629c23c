// ListOffsets (API key 2). Schema: apache/kafka ListOffsetsRequest.json and ListOffsetsResponse.json.
//
// ListOffsets Request (Version: 10) => replica_id isolation_level [topics] timeout_ms TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index current_leader_epoch timestamp TAG_BUFFER
// ListOffsets Response (Version: 10) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index error_code timestamp offset leader_epoch TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const listOffsetsApi = defineApi({
  apiKey: ApiKey.ListOffsets,
  versions: '0-10',
  request: {
    replicaId: int32('0+'),
    isolationLevel: int8('2+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        currentLeaderEpoch: int32('4+').default(-1),
        timestamp: int64('0+'),
        maxNumOffsets: int32('0').default(1),
      }),
    }),
    timeoutMs: int32('10+'),
  },
  response: {
    throttleTimeMs: int32('2+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
        oldStyleOffsets: array('0', 'int64'),
        timestamp: int64('1+').default(-1n),
        offset: int64('1+').default(-1n),
        leaderEpoch: int32('4+').default(-1),
      }),
    }),
  },
});

export type ListOffsetsRequest = RequestOf<typeof listOffsetsApi>;
export type ListOffsetsResponse = ResponseOf<typeof listOffsetsApi>;

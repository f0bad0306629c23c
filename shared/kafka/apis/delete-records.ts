// DeleteRecords (API key 21, KIP-107). Schema: apache/kafka DeleteRecordsRequest.json and DeleteRecordsResponse.json.
//
// DeleteRecords Request (Version: 2) => [topics] timeout_ms TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index offset TAG_BUFFER
// DeleteRecords Response (Version: 2) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index low_watermark error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const deleteRecordsApi = defineApi({
  apiKey: ApiKey.DeleteRecords,
  versions: '0-2',
  request: {
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        offset: int64('0+'),
      }),
    }),
    timeoutMs: int32('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        lowWatermark: int64('0+'),
        errorCode: int16('0+'),
      }),
    }),
  },
});

export type DeleteRecordsRequest = RequestOf<typeof deleteRecordsApi>;
export type DeleteRecordsResponse = ResponseOf<typeof deleteRecordsApi>;

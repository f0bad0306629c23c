// DescribeLogDirs (API key 35). Schema: apache/kafka DescribeLogDirsRequest.json and DescribeLogDirsResponse.json.
//
// DescribeLogDirs Request (Version: 5) => [topics] TAG_BUFFER
//   topics => topic [partitions] TAG_BUFFER
// DescribeLogDirs Response (Version: 5) => throttle_time_ms error_code [results] TAG_BUFFER
//   results => error_code log_dir [topics] total_bytes usable_bytes is_cordoned TAG_BUFFER
//     topics => name [partitions] TAG_BUFFER
//       partitions => partition_index partition_size offset_lag is_future_key TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeLogDirsApi = defineApi({
  apiKey: ApiKey.DescribeLogDirs,
  // Kafka 4 serves 1+; v0 was removed by KIP-896.
  versions: '1-5',
  request: {
    topics: array('0+', {
      topic: string('0+'),
      partitions: array('0+', 'int32'),
    }).nullable('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('3+'),
    results: array('0+', {
      errorCode: int16('0+'),
      logDir: string('0+'),
      topics: array('0+', {
        name: string('0+'),
        partitions: array('0+', {
          partitionIndex: int32('0+'),
          partitionSize: int64('0+'),
          offsetLag: int64('0+'),
          isFutureKey: bool('0+'),
        }),
      }),
      totalBytes: int64('4+').default(-1n),
      usableBytes: int64('4+').default(-1n),
      isCordoned: bool('5+').default(false),
    }),
  },
});

export type DescribeLogDirsRequest = RequestOf<typeof describeLogDirsApi>;
export type DescribeLogDirsResponse = ResponseOf<typeof describeLogDirsApi>;

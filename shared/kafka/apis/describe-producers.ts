// DescribeProducers (API key 61, KIP-664). Schema: apache/kafka DescribeProducersRequest.json and DescribeProducersResponse.json.
//
// DescribeProducers Request (Version: 0) => [topics] TAG_BUFFER
//   topics => name [partition_indexes] TAG_BUFFER
// DescribeProducers Response (Version: 0) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index error_code error_message [active_producers] TAG_BUFFER
//       active_producers => producer_id producer_epoch last_sequence last_timestamp coordinator_epoch current_txn_start_offset TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeProducersApi = defineApi({
  apiKey: ApiKey.DescribeProducers,
  versions: '0',
  request: {
    topics: array('0+', {
      name: string('0+'),
      partitionIndexes: array('0+', 'int32'),
    }),
  },
  response: {
    throttleTimeMs: int32('0+'),
    topics: array('0+', {
      name: string('0+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
        errorMessage: string('0+').nullable('0+').default(null),
        activeProducers: array('0+', {
          producerId: int64('0+'),
          producerEpoch: int32('0+'),
          lastSequence: int32('0+').default(-1),
          lastTimestamp: int64('0+').default(-1n),
          coordinatorEpoch: int32('0+'),
          currentTxnStartOffset: int64('0+').default(-1n),
        }),
      }),
    }),
  },
});

export type DescribeProducersRequest = RequestOf<typeof describeProducersApi>;
export type DescribeProducersResponse = ResponseOf<typeof describeProducersApi>;

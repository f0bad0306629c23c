// DescribeTransactions (API key 65, KIP-664). Schema: apache/kafka DescribeTransactionsRequest.json and DescribeTransactionsResponse.json.
//
// DescribeTransactions Request (Version: 0) => [transactional_ids] TAG_BUFFER
// DescribeTransactions Response (Version: 0) => throttle_time_ms [transaction_states] TAG_BUFFER
//   transaction_states => error_code transactional_id transaction_state transaction_timeout_ms transaction_start_time_ms producer_id producer_epoch [topics] TAG_BUFFER
//     topics => topic [partitions] TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeTransactionsApi = defineApi({
  apiKey: ApiKey.DescribeTransactions,
  versions: '0',
  request: {
    transactionalIds: array('0+', 'string'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    transactionStates: array('0+', {
      errorCode: int16('0+'),
      transactionalId: string('0+'),
      transactionState: string('0+'),
      transactionTimeoutMs: int32('0+'),
      transactionStartTimeMs: int64('0+'),
      producerId: int64('0+'),
      producerEpoch: int16('0+'),
      topics: array('0+', {
        topic: string('0+'),
        partitions: array('0+', 'int32'),
      }),
    }),
  },
});

export type DescribeTransactionsRequest = RequestOf<typeof describeTransactionsApi>;
export type DescribeTransactionsResponse = ResponseOf<typeof describeTransactionsApi>;

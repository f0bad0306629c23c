// ListTransactions (API key 66, KIP-664; the duration filter KIP-994). Schema: apache/kafka ListTransactionsRequest.json and ListTransactionsResponse.json.
//
// ListTransactions Request (Version: 1) => [state_filters] [producer_id_filters] duration_filter TAG_BUFFER
// ListTransactions Response (Version: 1) => throttle_time_ms error_code [unknown_state_filters] [transaction_states] TAG_BUFFER
//   transaction_states => transactional_id producer_id transaction_state TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const listTransactionsApi = defineApi({
  apiKey: ApiKey.ListTransactions,
  versions: '0-1',
  request: {
    stateFilters: array('0+', 'string'),
    producerIdFilters: array('0+', 'int64'),
    durationFilter: int64('1+').default(-1n),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    unknownStateFilters: array('0+', 'string'),
    transactionStates: array('0+', {
      transactionalId: string('0+'),
      producerId: int64('0+'),
      transactionState: string('0+'),
    }),
  },
});

export type ListTransactionsRequest = RequestOf<typeof listTransactionsApi>;
export type ListTransactionsResponse = ResponseOf<typeof listTransactionsApi>;

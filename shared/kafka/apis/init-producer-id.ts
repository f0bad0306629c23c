// InitProducerId (API key 22). Schema: apache/kafka InitProducerIdRequest.json and InitProducerIdResponse.json.
//
// InitProducerId Request (Version: 5) => transactional_id transaction_timeout_ms producer_id producer_epoch TAG_BUFFER
// InitProducerId Response (Version: 5) => throttle_time_ms error_code producer_id producer_epoch TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const initProducerIdApi = defineApi({
  apiKey: ApiKey.InitProducerId,
  versions: '0-5',
  request: {
    transactionalId: string('0+').nullable('0+'),
    transactionTimeoutMs: int32('0+'),
    producerId: int64('3+').default(-1n),
    producerEpoch: int16('3+').default(-1),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    producerId: int64('0+').default(-1n),
    producerEpoch: int16('0+'),
  },
});

export type InitProducerIdRequest = RequestOf<typeof initProducerIdApi>;
export type InitProducerIdResponse = ResponseOf<typeof initProducerIdApi>;

// AddOffsetsToTxn (API key 25, KIP-98). Schema: apache/kafka AddOffsetsToTxnRequest.json and AddOffsetsToTxnResponse.json.
//
// AddOffsetsToTxn Request (Version: 4) => transactional_id producer_id producer_epoch group_id TAG_BUFFER
// AddOffsetsToTxn Response (Version: 4) => throttle_time_ms error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const addOffsetsToTxnApi = defineApi({
  apiKey: ApiKey.AddOffsetsToTxn,
  versions: '0-4',
  request: {
    transactionalId: string('0+'),
    producerId: int64('0+'),
    producerEpoch: int16('0+'),
    groupId: string('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
  },
});

export type AddOffsetsToTxnRequest = RequestOf<typeof addOffsetsToTxnApi>;
export type AddOffsetsToTxnResponse = ResponseOf<typeof addOffsetsToTxnApi>;

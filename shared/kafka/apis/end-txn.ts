// EndTxn (API key 26, KIP-98). Schema: apache/kafka EndTxnRequest.json and EndTxnResponse.json.
//
// EndTxn Request (Version: 4) => transactional_id producer_id producer_epoch committed TAG_BUFFER
// EndTxn Response (Version: 4) => throttle_time_ms error_code TAG_BUFFER
//
// Version 5 (KIP-890 part 2: the epoch bumped at every transaction's end) is used only with
// the transaction.version 2 feature, which this broker does not advertise: not served.
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, bool, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const endTxnApi = defineApi({
  apiKey: ApiKey.EndTxn,
  versions: '0-4',
  request: {
    transactionalId: string('0+'),
    producerId: int64('0+'),
    producerEpoch: int16('0+'),
    committed: bool('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
  },
});

export type EndTxnRequest = RequestOf<typeof endTxnApi>;
export type EndTxnResponse = ResponseOf<typeof endTxnApi>;

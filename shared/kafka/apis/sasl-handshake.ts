// SaslHandshake (API key 17). Schema: apache/kafka SaslHandshakeRequest.json and SaslHandshakeResponse.json.
//
// SaslHandshake Request (Version: 1) => mechanism
// SaslHandshake Response (Version: 1) => error_code [mechanisms]
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const saslHandshakeApi = defineApi({
  apiKey: ApiKey.SaslHandshake,
  versions: '0-1',
  request: {
    mechanism: string('0+'),
  },
  response: {
    errorCode: int16('0+'),
    mechanisms: array('0+', 'string'),
  },
});

export type SaslHandshakeRequest = RequestOf<typeof saslHandshakeApi>;
export type SaslHandshakeResponse = ResponseOf<typeof saslHandshakeApi>;

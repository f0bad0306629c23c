// SaslAuthenticate (API key 36). Schema: apache/kafka SaslAuthenticateRequest.json and SaslAuthenticateResponse.json.
//
// SaslAuthenticate Request (Version: 2) => auth_bytes TAG_BUFFER
// SaslAuthenticate Response (Version: 2) => error_code error_message auth_bytes session_lifetime_ms TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, bytes, int16, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const saslAuthenticateApi = defineApi({
  apiKey: ApiKey.SaslAuthenticate,
  versions: '0-2',
  request: {
    authBytes: bytes('0+'),
  },
  response: {
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+'),
    authBytes: bytes('0+'),
    sessionLifetimeMs: int64('1+').default(0n),
  },
});

export type SaslAuthenticateRequest = RequestOf<typeof saslAuthenticateApi>;
export type SaslAuthenticateResponse = ResponseOf<typeof saslAuthenticateApi>;

// AlterUserScramCredentials (API key 51, KIP-554). Schema: apache/kafka
// AlterUserScramCredentialsRequest.json and AlterUserScramCredentialsResponse.json.
// Only version 0 exists, flexible from the start. The client sends the salt and the salted
// password (RFC 5802 §3's SaltedPassword), never the password; the broker derives StoredKey
// and ServerKey from it and keeps those.
//
// AlterUserScramCredentials Request (Version: 0) => [deletions] [upsertions] TAG_BUFFER
//   deletions => name mechanism TAG_BUFFER
//   upsertions => name mechanism iterations salt salted_password TAG_BUFFER
// AlterUserScramCredentials Response (Version: 0) => throttle_time_ms [results] TAG_BUFFER
//   results => user error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bytes, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const alterUserScramCredentialsApi = defineApi({
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: '0',
  request: {
    deletions: array('0+', {
      name: string('0+'),
      mechanism: int8('0+'),
    }),
    upsertions: array('0+', {
      name: string('0+'),
      mechanism: int8('0+'),
      iterations: int32('0+'),
      salt: bytes('0+'),
      saltedPassword: bytes('0+'),
    }),
  },
  response: {
    throttleTimeMs: int32('0+'),
    results: array('0+', {
      user: string('0+'),
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+'),
    }),
  },
});

export type AlterUserScramCredentialsRequest = RequestOf<typeof alterUserScramCredentialsApi>;
export type AlterUserScramCredentialsResponse = ResponseOf<typeof alterUserScramCredentialsApi>;

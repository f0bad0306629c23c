// DescribeUserScramCredentials (API key 50, KIP-554). Schema: apache/kafka
// DescribeUserScramCredentialsRequest.json and DescribeUserScramCredentialsResponse.json.
// Only version 0 exists, flexible from the start. The response names each user's
// mechanisms and iteration counts, never a salt or a key.
//
// DescribeUserScramCredentials Request (Version: 0) => [users] TAG_BUFFER
//   users => name TAG_BUFFER
// DescribeUserScramCredentials Response (Version: 0) => throttle_time_ms error_code error_message [results] TAG_BUFFER
//   results => user error_code error_message [credential_infos] TAG_BUFFER
//     credential_infos => mechanism iterations TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeUserScramCredentialsApi = defineApi({
  apiKey: ApiKey.DescribeUserScramCredentials,
  versions: '0',
  request: {
    // Null or empty asks for every user.
    users: array('0+', { name: string('0+') }).nullable('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+'),
    results: array('0+', {
      user: string('0+'),
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+'),
      credentialInfos: array('0+', {
        mechanism: int8('0+'),
        iterations: int32('0+'),
      }),
    }),
  },
});

export type DescribeUserScramCredentialsRequest = RequestOf<typeof describeUserScramCredentialsApi>;
export type DescribeUserScramCredentialsResponse = ResponseOf<typeof describeUserScramCredentialsApi>;

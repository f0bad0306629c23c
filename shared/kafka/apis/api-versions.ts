// ApiVersions (API key 18). Schema: apache/kafka ApiVersionsRequest.json and ApiVersionsResponse.json.
//
// ApiVersions Request (Version: 4) => client_software_name client_software_version TAG_BUFFER
// ApiVersions Response (Version: 4) => error_code [api_keys] throttle_time_ms TAG_BUFFER
//   api_keys => api_key min_version max_version TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const apiVersionsApi = defineApi({
  apiKey: ApiKey.ApiVersions,
  versions: '0-4',
  request: {
    clientSoftwareName: string('3+'),
    clientSoftwareVersion: string('3+'),
  },
  response: {
    errorCode: int16('0+'),
    apiKeys: array('0+', {
      apiKey: int16('0+'),
      minVersion: int16('0+'),
      maxVersion: int16('0+'),
    }),
    throttleTimeMs: int32('1+'),
    supportedFeatures: array('3+', {
      name: string('3+'),
      minVersion: int16('3+'),
      maxVersion: int16('3+'),
    }).tagged(0, '3+'),
    finalizedFeaturesEpoch: int64('3+').default(-1n).tagged(1, '3+'),
    finalizedFeatures: array('3+', {
      name: string('3+'),
      maxVersionLevel: int16('3+'),
      minVersionLevel: int16('3+'),
    }).tagged(2, '3+'),
    zkMigrationReady: bool('3+').default(false).tagged(3, '3+'),
  },
});

export type ApiVersionsRequest = RequestOf<typeof apiVersionsApi>;
export type ApiVersionsResponse = ResponseOf<typeof apiVersionsApi>;

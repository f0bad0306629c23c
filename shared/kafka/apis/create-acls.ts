// CreateAcls (API key 30). Schema: apache/kafka CreateAclsRequest.json and CreateAclsResponse.json.
// Version 0 was removed by KIP-896 (Kafka 4.0); 1 added prefixed patterns (KIP-290).
//
// CreateAcls Request (Version: 3) => [creations] TAG_BUFFER
//   creations => resource_type resource_name resource_pattern_type principal host operation permission_type TAG_BUFFER
// CreateAcls Response (Version: 3) => throttle_time_ms [results] TAG_BUFFER
//   results => error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const createAclsApi = defineApi({
  apiKey: ApiKey.CreateAcls,
  versions: '1-3',
  request: {
    creations: array('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      resourcePatternType: int8('1+').default(3),
      principal: string('0+'),
      host: string('0+'),
      operation: int8('0+'),
      permissionType: int8('0+'),
    }),
  },
  response: {
    throttleTimeMs: int32('0+'),
    results: array('0+', {
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+'),
    }),
  },
});

export type CreateAclsRequest = RequestOf<typeof createAclsApi>;
export type CreateAclsResponse = ResponseOf<typeof createAclsApi>;

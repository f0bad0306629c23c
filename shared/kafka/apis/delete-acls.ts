// DeleteAcls (API key 31). Schema: apache/kafka DeleteAclsRequest.json and DeleteAclsResponse.json.
// Version 0 was removed by KIP-896 (Kafka 4.0); 1 added prefixed patterns (KIP-290).
//
// DeleteAcls Request (Version: 3) => [filters] TAG_BUFFER
//   filters => resource_type_filter resource_name_filter pattern_type_filter principal_filter host_filter operation permission_type TAG_BUFFER
// DeleteAcls Response (Version: 3) => throttle_time_ms [filter_results] TAG_BUFFER
//   filter_results => error_code error_message [matching_acls] TAG_BUFFER
//     matching_acls => error_code error_message resource_type resource_name pattern_type principal host operation permission_type TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';
import { aclFilterFields } from './describe-acls.ts';

export const deleteAclsApi = defineApi({
  apiKey: ApiKey.DeleteAcls,
  versions: '1-3',
  request: {
    filters: array('0+', aclFilterFields),
  },
  response: {
    throttleTimeMs: int32('0+'),
    filterResults: array('0+', {
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+'),
      matchingAcls: array('0+', {
        errorCode: int16('0+'),
        errorMessage: string('0+').nullable('0+'),
        resourceType: int8('0+'),
        resourceName: string('0+'),
        patternType: int8('1+').default(3),
        principal: string('0+'),
        host: string('0+'),
        operation: int8('0+'),
        permissionType: int8('0+'),
      }),
    }),
  },
});

export type DeleteAclsRequest = RequestOf<typeof deleteAclsApi>;
export type DeleteAclsResponse = ResponseOf<typeof deleteAclsApi>;

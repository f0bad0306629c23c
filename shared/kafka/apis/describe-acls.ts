// DescribeAcls (API key 29). Schema: apache/kafka DescribeAclsRequest.json and DescribeAclsResponse.json.
// Version 0 was removed by KIP-896 (Kafka 4.0); 1 added prefixed patterns (KIP-290).
//
// DescribeAcls Request (Version: 3) => resource_type_filter resource_name_filter pattern_type_filter principal_filter host_filter operation permission_type TAG_BUFFER
// DescribeAcls Response (Version: 3) => throttle_time_ms error_code error_message [resources] TAG_BUFFER
//   resources => resource_type resource_name pattern_type [acls] TAG_BUFFER
//     acls => principal host operation permission_type TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

/** The fields of an ACL filter, which DeleteAcls repeats per filter (Kafka's AclBindingFilter on the wire). */
export const aclFilterFields = {
  resourceTypeFilter: int8('0+'),
  resourceNameFilter: string('0+').nullable('0+'),
  patternTypeFilter: int8('1+').default(3),
  principalFilter: string('0+').nullable('0+'),
  hostFilter: string('0+').nullable('0+'),
  operation: int8('0+'),
  permissionType: int8('0+'),
};

export const describeAclsApi = defineApi({
  apiKey: ApiKey.DescribeAcls,
  versions: '1-3',
  request: aclFilterFields,
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+'),
    resources: array('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      patternType: int8('1+').default(3),
      acls: array('0+', {
        principal: string('0+'),
        host: string('0+'),
        operation: int8('0+'),
        permissionType: int8('0+'),
      }),
    }),
  },
});

export type DescribeAclsRequest = RequestOf<typeof describeAclsApi>;
export type DescribeAclsResponse = ResponseOf<typeof describeAclsApi>;

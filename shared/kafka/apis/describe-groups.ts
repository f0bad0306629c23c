// DescribeGroups (API key 15). Schema: apache/kafka DescribeGroupsRequest.json and DescribeGroupsResponse.json.
//
// DescribeGroups Request (Version: 5) => [groups] include_authorized_operations TAG_BUFFER
// DescribeGroups Response (Version: 5) => throttle_time_ms [groups] TAG_BUFFER
//   groups => error_code group_id group_state protocol_type protocol_data [members] authorized_operations TAG_BUFFER
//     members => member_id group_instance_id client_id client_host member_metadata member_assignment TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, bytes, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeGroupsApi = defineApi({
  apiKey: ApiKey.DescribeGroups,
  versions: '0-5',
  request: {
    groups: array('0+', 'string'),
    includeAuthorizedOperations: bool('3+'),
  },
  response: {
    throttleTimeMs: int32('1+'),
    groups: array('0+', {
      errorCode: int16('0+'),
      groupId: string('0+'),
      groupState: string('0+'),
      protocolType: string('0+'),
      protocolData: string('0+'),
      members: array('0+', {
        memberId: string('0+'),
        groupInstanceId: string('4+').nullable('4+').default(null),
        clientId: string('0+'),
        clientHost: string('0+'),
        memberMetadata: bytes('0+'),
        memberAssignment: bytes('0+'),
      }),
      authorizedOperations: int32('3+').default(-2147483648),
    }),
  },
});

export type DescribeGroupsRequest = RequestOf<typeof describeGroupsApi>;
export type DescribeGroupsResponse = ResponseOf<typeof describeGroupsApi>;

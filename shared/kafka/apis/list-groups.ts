// ListGroups (API key 16). Schema: apache/kafka ListGroupsRequest.json and ListGroupsResponse.json.
//
// ListGroups Request (Version: 5) => [states_filter] [types_filter] TAG_BUFFER
// ListGroups Response (Version: 5) => throttle_time_ms error_code [groups] TAG_BUFFER
//   groups => group_id protocol_type group_state group_type TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const listGroupsApi = defineApi({
  apiKey: ApiKey.ListGroups,
  versions: '0-5',
  request: {
    statesFilter: array('4+', 'string'),
    typesFilter: array('5+', 'string'),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('0+'),
    groups: array('0+', {
      groupId: string('0+'),
      protocolType: string('0+'),
      groupState: string('4+'),
      groupType: string('5+'),
    }),
  },
});

export type ListGroupsRequest = RequestOf<typeof listGroupsApi>;
export type ListGroupsResponse = ResponseOf<typeof listGroupsApi>;

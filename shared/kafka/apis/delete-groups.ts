// DeleteGroups (API key 42). Schema: apache/kafka DeleteGroupsRequest.json and DeleteGroupsResponse.json.
//
// DeleteGroups Request (Version: 3) => [groups_names] TAG_BUFFER
// DeleteGroups Response (Version: 3) => throttle_time_ms [results] TAG_BUFFER
//   results => group_id error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const deleteGroupsApi = defineApi({
  apiKey: ApiKey.DeleteGroups,
  versions: '0-3',
  request: {
    groupsNames: array('0+', 'string'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    results: array('0+', {
      groupId: string('0+'),
      errorCode: int16('0+'),
      errorMessage: string('3+').nullable('3+').default(null),
    }),
  },
});

export type DeleteGroupsRequest = RequestOf<typeof deleteGroupsApi>;
export type DeleteGroupsResponse = ResponseOf<typeof deleteGroupsApi>;

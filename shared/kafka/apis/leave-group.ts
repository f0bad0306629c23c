// LeaveGroup (API key 13). Schema: apache/kafka LeaveGroupRequest.json and LeaveGroupResponse.json.
//
// LeaveGroup Request (Version: 5) => group_id [members] TAG_BUFFER
//   members => member_id group_instance_id reason TAG_BUFFER
// LeaveGroup Response (Version: 5) => throttle_time_ms error_code [members] TAG_BUFFER
//   members => member_id group_instance_id error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const leaveGroupApi = defineApi({
  apiKey: ApiKey.LeaveGroup,
  versions: '0-5',
  request: {
    groupId: string('0+'),
    memberId: string('0-2'),
    members: array('3+', {
      memberId: string('3+'),
      groupInstanceId: string('3+').nullable('3+').default(null),
      reason: string('5+').nullable('5+').default(null),
    }),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('0+'),
    members: array('3+', {
      memberId: string('3+'),
      groupInstanceId: string('3+').nullable('3+'),
      errorCode: int16('3+'),
    }),
  },
});

export type LeaveGroupRequest = RequestOf<typeof leaveGroupApi>;
export type LeaveGroupResponse = ResponseOf<typeof leaveGroupApi>;

// JoinGroup (API key 11). Schema: apache/kafka JoinGroupRequest.json and JoinGroupResponse.json.
//
// JoinGroup Request (Version: 9) => group_id session_timeout_ms rebalance_timeout_ms member_id group_instance_id protocol_type [protocols] reason TAG_BUFFER
//   protocols => name metadata TAG_BUFFER
// JoinGroup Response (Version: 9) => throttle_time_ms error_code generation_id protocol_type protocol_name leader skip_assignment member_id [members] TAG_BUFFER
//   members => member_id group_instance_id metadata TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, bytes, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const joinGroupApi = defineApi({
  apiKey: ApiKey.JoinGroup,
  versions: '0-9',
  request: {
    groupId: string('0+'),
    sessionTimeoutMs: int32('0+'),
    rebalanceTimeoutMs: int32('1+').default(-1),
    memberId: string('0+'),
    groupInstanceId: string('5+').nullable('5+').default(null),
    protocolType: string('0+'),
    protocols: array('0+', {
      name: string('0+'),
      metadata: bytes('0+'),
    }),
    reason: string('8+').nullable('8+').default(null),
  },
  response: {
    throttleTimeMs: int32('2+'),
    errorCode: int16('0+'),
    generationId: int32('0+').default(-1),
    protocolType: string('7+').nullable('7+').default(null),
    protocolName: string('0+').nullable('7+'),
    leader: string('0+'),
    skipAssignment: bool('9+').default(false),
    memberId: string('0+'),
    members: array('0+', {
      memberId: string('0+'),
      groupInstanceId: string('5+').nullable('5+').default(null),
      metadata: bytes('0+'),
    }),
  },
});

export type JoinGroupRequest = RequestOf<typeof joinGroupApi>;
export type JoinGroupResponse = ResponseOf<typeof joinGroupApi>;

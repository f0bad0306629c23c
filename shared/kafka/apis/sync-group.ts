// SyncGroup (API key 14). Schema: apache/kafka SyncGroupRequest.json and SyncGroupResponse.json.
//
// SyncGroup Request (Version: 5) => group_id generation_id member_id group_instance_id protocol_type protocol_name [assignments] TAG_BUFFER
//   assignments => member_id assignment TAG_BUFFER
// SyncGroup Response (Version: 5) => throttle_time_ms error_code protocol_type protocol_name assignment TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bytes, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const syncGroupApi = defineApi({
  apiKey: ApiKey.SyncGroup,
  versions: '0-5',
  request: {
    groupId: string('0+'),
    generationId: int32('0+'),
    memberId: string('0+'),
    groupInstanceId: string('3+').nullable('3+').default(null),
    protocolType: string('5+').nullable('5+').default(null),
    protocolName: string('5+').nullable('5+').default(null),
    assignments: array('0+', {
      memberId: string('0+'),
      assignment: bytes('0+'),
    }),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('0+'),
    protocolType: string('5+').nullable('5+').default(null),
    protocolName: string('5+').nullable('5+').default(null),
    assignment: bytes('0+'),
  },
});

export type SyncGroupRequest = RequestOf<typeof syncGroupApi>;
export type SyncGroupResponse = ResponseOf<typeof syncGroupApi>;

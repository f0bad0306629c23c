// Heartbeat (API key 12). Schema: apache/kafka HeartbeatRequest.json and HeartbeatResponse.json.
//
// Heartbeat Request (Version: 4) => group_id generation_id member_id group_instance_id TAG_BUFFER
// Heartbeat Response (Version: 4) => throttle_time_ms error_code TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const heartbeatApi = defineApi({
  apiKey: ApiKey.Heartbeat,
  versions: '0-4',
  request: {
    groupId: string('0+'),
    generationId: int32('0+'),
    memberId: string('0+'),
    groupInstanceId: string('3+').nullable('3+').default(null),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('0+'),
  },
});

export type HeartbeatRequest = RequestOf<typeof heartbeatApi>;
export type HeartbeatResponse = ResponseOf<typeof heartbeatApi>;

// FindCoordinator (API key 10). Schema: apache/kafka FindCoordinatorRequest.json and FindCoordinatorResponse.json.
//
// FindCoordinator Request (Version: 6) => key_type [coordinator_keys] TAG_BUFFER
// FindCoordinator Response (Version: 6) => throttle_time_ms [coordinators] TAG_BUFFER
//   coordinators => key node_id host port error_code error_message TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

/** What a FindCoordinator request looks for (key_type): a consumer group, a transactional id (KIP-98), a share group (KIP-932). */
export const CoordinatorKeyType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const;

export const findCoordinatorApi = defineApi({
  apiKey: ApiKey.FindCoordinator,
  versions: '0-6',
  request: {
    key: string('0-3'),
    keyType: int8('1+').default(0),
    coordinatorKeys: array('4+', 'string'),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('0-3'),
    errorMessage: string('1-3').nullable('1-3'),
    nodeId: int32('0-3'),
    host: string('0-3'),
    port: int32('0-3'),
    coordinators: array('4+', {
      key: string('4+'),
      nodeId: int32('4+'),
      host: string('4+'),
      port: int32('4+'),
      errorCode: int16('4+'),
      errorMessage: string('4+').nullable('4+'),
    }),
  },
});

export type FindCoordinatorRequest = RequestOf<typeof findCoordinatorApi>;
export type FindCoordinatorResponse = ResponseOf<typeof findCoordinatorApi>;

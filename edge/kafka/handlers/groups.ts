// The consumer-group APIs: FindCoordinator points at this broker, and the rest hand the
// decoded requests to the group coordinator, which answers in the shared definitions'
// types; the throttle time is added here. What differs between versions in the shape of a
// message (OffsetFetch v0–7 vs the batched v8+, JoinGroup's protocol name before v7) is
// settled here too.
import { CoordinatorKeyType, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../../shared/kafka/apis/find-coordinator.ts';
import type { JoinGroupRequest, JoinGroupResponse } from '../../../shared/kafka/apis/join-group.ts';
import type { SyncGroupRequest, SyncGroupResponse } from '../../../shared/kafka/apis/sync-group.ts';
import type { HeartbeatRequest, HeartbeatResponse } from '../../../shared/kafka/apis/heartbeat.ts';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../../shared/kafka/apis/leave-group.ts';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../../shared/kafka/apis/offset-commit.ts';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../../shared/kafka/apis/offset-fetch.ts';
import type { ListGroupsRequest, ListGroupsResponse } from '../../../shared/kafka/apis/list-groups.ts';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../shared/kafka/apis/describe-groups.ts';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../shared/kafka/apis/delete-groups.ts';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../../shared/kafka/apis/offset-delete.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { BROKER_NODE_ID, type BrokerContext } from '../broker-context.ts';
import type { RequestContext } from '../groups/coordinator.ts';

/** Why this broker is not the coordinator for a key type, or undefined when it is. */
function coordinatorRefusal(context: BrokerContext, keyType: number): { errorCode: number; errorMessage: string } | undefined {
  switch (keyType) {
    case CoordinatorKeyType.GROUP:
      return context.groups.isActive ? undefined : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'the group coordinator is stopping' };
    case CoordinatorKeyType.TRANSACTION:
      // This broker coordinates every transactional id (transactions/coordinator.ts).
      return undefined;
    case CoordinatorKeyType.SHARE:
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'share groups (KIP-932) are not supported by this broker' };
    default:
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${keyType}` };
  }
}

export function handleFindCoordinator(context: BrokerContext, request: FindCoordinatorRequest): FindCoordinatorResponse {
  const refusal = coordinatorRefusal(context, request.keyType);
  const errorCode = refusal?.errorCode ?? ErrorCode.NONE;
  const errorMessage = refusal?.errorMessage ?? null;
  const node = refusal === undefined ? { nodeId: BROKER_NODE_ID, host: context.advertised.host, port: context.advertised.port } : { nodeId: -1, host: '', port: -1 };
  const keys = request.coordinatorKeys.length > 0 ? request.coordinatorKeys : [request.key];
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    ...node,
    coordinators: keys.map((key) => ({ key, ...node, errorCode, errorMessage })),
  };
}

export async function handleJoinGroup(context: BrokerContext, request: JoinGroupRequest, requestContext: RequestContext): Promise<JoinGroupResponse> {
  const response = await context.groups.joinGroup(request, requestContext);
  return {
    throttleTimeMs: 0,
    ...response,
    // Versions before 7 cannot carry a null protocol name: Kafka writes the empty string.
    protocolName: requestContext.apiVersion < 7 ? response.protocolName ?? '' : response.protocolName,
  };
}

export async function handleSyncGroup(context: BrokerContext, request: SyncGroupRequest): Promise<SyncGroupResponse> {
  return { throttleTimeMs: 0, ...(await context.groups.syncGroup(request)) };
}

export function handleHeartbeat(context: BrokerContext, request: HeartbeatRequest): HeartbeatResponse {
  return { throttleTimeMs: 0, ...context.groups.heartbeat(request) };
}

export function handleLeaveGroup(context: BrokerContext, request: LeaveGroupRequest, apiVersion: number): LeaveGroupResponse {
  return { throttleTimeMs: 0, ...context.groups.leaveGroup(request, { apiVersion }) };
}

export async function handleOffsetCommit(context: BrokerContext, request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  return { throttleTimeMs: 0, ...(await context.groups.commitOffsets(request)) };
}

export function handleOffsetFetch(context: BrokerContext, request: OffsetFetchRequest, apiVersion: number): OffsetFetchResponse {
  if (apiVersion >= 8) {
    const groups = request.groups.map((group) => context.groups.fetchOffsets({ groupId: group.groupId, topics: group.topics }));
    return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
  }
  const group = context.groups.fetchOffsets({ groupId: request.groupId, topics: request.topics });
  // Before v2 there is no group-level error: it travels on every partition.
  const topics = apiVersion < 2 && group.errorCode !== ErrorCode.NONE
    ? group.topics.map((topic) => ({ ...topic, partitions: topic.partitions.map((partition) => ({ ...partition, errorCode: group.errorCode })) }))
    : group.topics;
  return { throttleTimeMs: 0, topics, errorCode: group.errorCode, groups: [] };
}

export function handleListGroups(context: BrokerContext, request: ListGroupsRequest): ListGroupsResponse {
  return { throttleTimeMs: 0, ...context.groups.listGroups(request) };
}

export function handleDescribeGroups(context: BrokerContext, request: DescribeGroupsRequest): DescribeGroupsResponse {
  return { throttleTimeMs: 0, ...context.groups.describeGroups(request) };
}

export async function handleDeleteGroups(context: BrokerContext, request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  return { throttleTimeMs: 0, ...(await context.groups.deleteGroups(request.groupsNames)) };
}

export async function handleOffsetDelete(context: BrokerContext, request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  return { throttleTimeMs: 0, ...(await context.groups.deleteOffsets(request)) };
}

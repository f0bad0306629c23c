// The requests the group coordinator answers and the responses it gives, as plain data.
// Field names are the camelCase names of Apache Kafka's message schemas
// (clients/src/main/resources/common/message/*.json), so that the server maps a decoded
// request onto these with no renaming. Fields that only the wire needs (throttle time,
// tagged fields) are the server's business and do not appear here. Where a field exists
// only in some versions the server fills in Kafka's default for the others, as noted.
// Bytes come in as any Uint8Array (a Buffer is one) and go out as Buffers the coordinator
// owns: it copies what it keeps, so the server may reuse its network buffers.

/** What the server knows about the request beyond its body. */
export interface RequestContext {
  /** The request's API version; some answers depend on it (KIP-394 from JoinGroup v4, KIP-345 skipAssignment from v9). */
  apiVersion: number;
  /** The request header's client id; Kafka prefixes generated member ids with it. */
  clientId: string;
  /** The client's address, shown by DescribeGroups. */
  clientHost: string;
}

// --- JoinGroup (API key 11) ---------------------------------------------------------

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** Absent before v1: the server passes -1 and the session timeout is used, as Kafka does. */
  rebalanceTimeoutMs: number;
  /** Empty for a member that has no id yet. */
  memberId: string;
  /** KIP-345 static membership, v5+; null otherwise. */
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
  /** v8+. */
  reason?: string | null;
}

export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  /** Null when unknown; versions before 7 write null as the empty string. */
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  /** v9+: the leader of a stable group rejoining as a static member keeps the current assignment. */
  skipAssignment: boolean;
  memberId: string;
  /** Every member's metadata for the chosen protocol, for the leader only; empty for the others. */
  members: JoinGroupResponseMember[];
}

// --- SyncGroup (API key 14) ---------------------------------------------------------

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Uint8Array;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+; null when absent, and then not checked. */
  protocolType?: string | null;
  protocolName?: string | null;
  /** Filled by the leader only. */
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

// --- Heartbeat (API key 12) ---------------------------------------------------------

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  errorCode: number;
}

// --- LeaveGroup (API key 13) --------------------------------------------------------

export interface LeaveGroupMemberIdentity {
  /** Empty to remove a static member by its instance id alone (an administrator's request). */
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

/** Which of the two fields counts is decided by the request's version. */
export interface LeaveGroupRequest {
  groupId: string;
  /** v0–2: the one member leaving. */
  memberId?: string;
  /** v3+: the members leaving. */
  members?: LeaveGroupMemberIdentity[];
}

export interface LeaveGroupMemberResponse {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export interface LeaveGroupResponse {
  /** For a v0–2 request (memberId set) this is the member's own error, as Kafka answers those versions. */
  errorCode: number;
  members: LeaveGroupMemberResponse[];
}

// --- OffsetCommit (API key 8) -------------------------------------------------------

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: bigint;
  /** v6+; -1 when absent. */
  committedLeaderEpoch: number;
  /** v1 only: the client's timestamp; -1 or absent means now. */
  commitTimestamp?: bigint;
  committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 for a commit outside group management (and for v0). */
  generationIdOrMemberEpoch: number;
  /** Empty for a commit outside group management (and for v0). */
  memberId: string;
  groupInstanceId: string | null;
  /** v2–4; ignored: committed offsets are kept until the group is deleted. */
  retentionTimeMs?: bigint;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  topics: OffsetCommitResponseTopic[];
}

// --- OffsetFetch (API key 9), one group as in v8+ ------------------------------------

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

/** One group of a v8+ request; a v0–7 request is one such group. */
export interface OffsetFetchRequestGroup {
  groupId: string;
  /** null: every committed offset of the group (v2+). */
  topics: OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponseGroup {
  groupId: string;
  topics: OffsetFetchResponseTopic[];
  /** The group-level error (v2+); versions without it carry it on every partition. */
  errorCode: number;
}

// --- ListGroups (API key 16) --------------------------------------------------------

export interface ListGroupsRequest {
  /** v4+: state names, matched without regard to case; empty for all. */
  statesFilter?: string[];
  /** v5+: group types; empty for all. Every group here is "classic". */
  typesFilter?: string[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface ListGroupsResponse {
  errorCode: number;
  groups: ListedGroup[];
}

// --- DescribeGroups (API key 15) ----------------------------------------------------

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations?: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead, spelled as Kafka does. */
  groupState: string;
  protocolType: string;
  /** The chosen protocol's name when the group is stable, else empty. */
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

// --- DeleteGroups (API key 42) ------------------------------------------------------

export interface DeletableGroupResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  results: DeletableGroupResult[];
}

// --- OffsetDelete (API key 47) ------------------------------------------------------

export interface OffsetDeleteRequest {
  groupId: string;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>;
}

export interface OffsetDeleteResponse {
  errorCode: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

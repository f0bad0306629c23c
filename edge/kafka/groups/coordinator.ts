// The consumer-group coordinator of a single-node broker: the classic group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit,
// OffsetFetch) and the group listings (ListGroups, DescribeGroups, DeleteGroups).
//
// It behaves as Apache Kafka's classic GroupCoordinator does for one broker, with the
// same error codes in the same situations, so that every Kafka client's group logic works
// unchanged. What differs, because there is one node:
// - Group membership lives in memory only. After a restart groups come back Empty (those
//   with committed offsets) and clients rejoin, as they would after a coordinator moved.
// - A group that is Empty and has no committed offsets is forgotten at once, where Kafka
//   forgets it at its next cleanup pass.
// - Committed offsets are kept until their group is deleted (no offsets.retention.minutes).
//
// Timing. Each member has one timer for its session, re-armed by every sign of life; each
// rebalancing group has one timer for the phase it waits in. Nothing polls. All state
// changes happen on the event loop's one thread, so no request ever sees another half done.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/logger.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { assert } from '../../../shared/errors.ts';
import { resolveGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ClassicGroup, EMPTY_BYTES, GroupMember, GroupStates, type GroupState, type JoinPhase, type JoinWaiter, type MemberProtocol } from './group.ts';
import { GroupMetrics, type MemberRemovalReason, type RefusedLimit } from './metrics.ts';
import { OffsetStore, type OffsetWrite } from './offset-store.ts';
import { authorizedOperations, GROUP_OPERATIONS } from '../authorized-operations.ts';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-subscription.ts';
import type {
  DeleteGroupsResponse,
  DescribedGroup,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupMemberIdentity,
  LeaveGroupMemberResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
  OffsetFetchResponseTopic,
  RequestContext,
  SyncGroupRequest,
  SyncGroupResponse,
} from './types.ts';

export type { MemberRemovalReason } from './metrics.ts';

/** Where the committed offsets live, under the data directory. */
export const GROUPS_DATABASE_PATH = join('meta', 'groups.sqlite');
/** Every group here is a classic group (ListGroups v5 GroupType). */
const CLASSIC_GROUP_TYPE = 'classic';
/** A warning about a refused request is logged at most this often, so a retrying client cannot flood the log. */
const LIMIT_WARNING_INTERVAL_MS = 60_000;

export interface GroupCoordinatorOptions {
  dataDir: string;
  config?: Partial<GroupCoordinatorConfig>;
  logger?: Logger;
  registry?: Registry;
  /**
   * Whether a partition exists. Commits to partitions that do not get
   * UNKNOWN_TOPIC_OR_PARTITION, as in Kafka, and take no room in the database.
   */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** Clock for commit timestamps, in milliseconds. */
  now?: () => number;
}

export interface GroupCoordinatorEvents {
  /** A group entered PreparingRebalance. */
  rebalanceStarted: [{ groupId: string; generationId: number; reason: string }];
  /** A rebalance ended: a new generation with these members (none when the group became Empty). */
  generationStarted: [{ groupId: string; generationId: number; memberIds: string[] }];
  /** The leader's assignment was handed out; the group is Stable. */
  groupStable: [{ groupId: string; generationId: number }];
  memberRemoved: [{ groupId: string; memberId: string; reason: MemberRemovalReason }];
  /** A group was forgotten: Empty without committed offsets, or deleted. */
  groupRemoved: [{ groupId: string; reason: 'empty' | 'deleted' }];
}

interface JoinParameters {
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** KIP-394, JoinGroup v4+: a new member first gets an id and must come back with it. */
  requireKnownMemberId: boolean;
  /** KIP-345, JoinGroup v9+. */
  supportsSkippingAssignment: boolean;
  reason: string;
}

export class GroupCoordinator {
  readonly events = new EventEmitter<GroupCoordinatorEvents>();
  readonly config: GroupCoordinatorConfig;
  readonly #store: OffsetStore;
  readonly #logger: Logger;
  readonly #metrics: GroupMetrics;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #now: () => number;
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #lastLimitWarningMs = new Map<RefusedLimit, number>();
  #closed = false;

  private constructor(store: OffsetStore, options: GroupCoordinatorOptions) {
    this.#store = store;
    this.config = resolveGroupCoordinatorConfig(options.config);
    this.#logger = options.logger ?? silentLogger();
    this.#partitionExists = options.partitionExists ?? (() => true);
    this.#now = options.now ?? Date.now;
    this.#metrics = new GroupMetrics(options.registry, {
      groupsByState: () => {
        const counts = new Map<GroupState, number>(GroupStates.map((state) => [state, 0]));
        for (const group of this.#groups.values()) counts.set(group.state, (counts.get(group.state) ?? 0) + 1);
        return counts;
      },
      memberCount: () => this.#headCountTotal(),
    });
    // Groups that committed offsets before a restart exist again, Empty, so that ListGroups
    // and DescribeGroups show them and their members can find their offsets.
    for (const [groupId, protocolType] of store.groups()) {
      this.#groups.set(groupId, new ClassicGroup(groupId, protocolType === '' ? null : protocolType));
    }
  }

  static async open(options: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const store = await OffsetStore.open(join(options.dataDir, GROUPS_DATABASE_PATH));
    return new GroupCoordinator(store, options);
  }

  /** False once closed: FindCoordinator should then answer COORDINATOR_NOT_AVAILABLE. */
  get isActive(): boolean {
    return !this.#closed;
  }

  // --- JoinGroup ----------------------------------------------------------------------

  joinGroup(request: JoinGroupRequest, context: RequestContext): Promise<JoinGroupResponse> {
    const { groupId, memberId } = request;
    const groupIdError = this.#checkGroupId(groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return Promise.resolve(joinError(memberId, groupIdError));
    if (this.#closed) return Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (request.sessionTimeoutMs < this.config.sessionTimeoutMsMin || request.sessionTimeoutMs > this.config.sessionTimeoutMsMax) {
      return Promise.resolve(joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const protocols = copyProtocols(request.protocols);
    const metadataBytes = protocols.reduce((sum, protocol) => sum + Buffer.byteLength(protocol.name) + protocol.metadata.byteLength, 0);
    if (metadataBytes > this.config.memberMetadataBytesMax) {
      this.#refuse('member-metadata-bytes', `group ${groupId}: a JoinGroup from client ${context.clientId} carries ${metadataBytes} bytes of protocol metadata, above memberMetadataBytesMax (${this.config.memberMetadataBytesMax})`);
      return Promise.resolve(joinError(memberId, ErrorCode.MESSAGE_TOO_LARGE));
    }
    const parameters: JoinParameters = {
      groupInstanceId: request.groupInstanceId,
      clientId: context.clientId,
      clientHost: context.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout.
      rebalanceTimeoutMs: context.apiVersion === 0 || request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols,
      requireKnownMemberId: context.apiVersion >= 4,
      supportsSkippingAssignment: context.apiVersion >= 9,
      reason: request.reason ?? 'not provided',
    };

    const isUnknownMember = memberId === '';
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      // A group is created by a member without an id; a member that has an id but no group
      // belongs to a group this coordinator no longer knows, and must start over.
      if (!isUnknownMember) return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      if (this.#groups.size >= this.config.groupsMax) {
        this.#refuse('groups', `group ${groupId} cannot be created: the coordinator already has groupsMax (${this.config.groupsMax}) groups; delete unused groups`);
        return Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
      group = new ClassicGroup(groupId);
      this.#groups.set(groupId, group);
    }

    const joiningGroup = group;
    return new Promise<JoinGroupResponse>((resolve) => {
      if (!this.#acceptJoiningMember(joiningGroup, memberId)) {
        const member = joiningGroup.members.get(memberId);
        if (member !== undefined) this.#dropMember(joiningGroup, member, 'capacity');
        else joiningGroup.removePendingMember(memberId);
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.#joinAsNewMember(joiningGroup, parameters, resolve);
      } else {
        this.#joinAsCurrentMember(joiningGroup, memberId, parameters, resolve);
      }
      if (joiningGroup.is('PreparingRebalance')) this.#tryCompleteJoin(joiningGroup);
      this.#forgetGroupIfUnused(joiningGroup);
    });
  }

  /** Kafka's acceptJoiningMember, counting members-to-be too, and the limit across all groups. */
  #acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const member = group.members.get(memberId);
    const isPending = group.pendingMembers.has(memberId);
    const isNewcomer = member === undefined && !isPending;
    if (isNewcomer && this.#headCountTotal() >= this.config.membersTotalMax) {
      this.#refuse('members-total', `group ${group.groupId}: a new member was refused, all groups together already have membersTotalMax (${this.config.membersTotalMax}) members`);
      return false;
    }
    let accepted: boolean;
    switch (group.state) {
      case 'PreparingRebalance':
        // Counting the members that already rejoined, rather than all members, lets a
        // rebalance shed the members that come back last when the group is over its limit.
        accepted = member?.isAwaitingJoin === true || isPending || group.awaitingJoinCount + group.pendingMembers.size < this.config.membersPerGroupMax;
        break;
      case 'Empty':
      case 'CompletingRebalance':
      case 'Stable':
        accepted = !isNewcomer || group.headCount < this.config.membersPerGroupMax;
        break;
      case 'Dead':
        accepted = true;
        break;
    }
    if (!accepted) this.#refuse('members-per-group', `group ${group.groupId} already has membersPerGroupMax (${this.config.membersPerGroupMax}) members; a join was refused`);
    return accepted;
  }

  #joinAsNewMember(group: ClassicGroup, join: JoinParameters, resolve: JoinWaiter): void {
    if (group.is('Dead')) {
      // The group is being deleted; the client finds the coordinator again and retries.
      resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(join.protocolType, join.protocols.map((protocol) => protocol.name))) {
      resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    // Kafka's member id: the client id (or the instance id) and a random UUID.
    const newMemberId = `${join.groupInstanceId ?? join.clientId}-${randomUUID()}`;
    if (join.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(join.groupInstanceId);
      if (oldMemberId !== undefined) this.#rejoinStaticMember(group, oldMemberId, newMemberId, join, resolve);
      else this.#addMemberAndRebalance(group, newMemberId, join, resolve);
    } else if (join.requireKnownMemberId) {
      // KIP-394: the member gets its id first, so that a client that retries a JoinGroup
      // after a timeout does not leave a defunct member behind in the rebalance.
      const timer = setTimeout(() => this.#onPendingMemberExpired(group, newMemberId), join.sessionTimeoutMs);
      group.addPendingMember(newMemberId, timer);
      resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.#addMemberAndRebalance(group, newMemberId, join, resolve);
    }
  }

  #joinAsCurrentMember(group: ClassicGroup, memberId: string, join: JoinParameters, resolve: JoinWaiter): void {
    if (group.is('Dead')) {
      resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(join.protocolType, join.protocols.map((protocol) => protocol.name))) {
      resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.pendingMembers.has(memberId)) {
      // A pending member is always dynamic: static members are never asked for an id first.
      if (join.groupInstanceId !== null) {
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      this.#addMemberAndRebalance(group, memberId, join, resolve);
      return;
    }
    const memberError = validateCurrentMember(group, memberId, join.groupInstanceId);
    if (memberError !== ErrorCode.NONE) {
      resolve(joinError(memberId, memberError));
      return;
    }
    const member = group.members.get(memberId);
    assert(member !== undefined, 'a validated member exists');
    switch (group.state) {
      case 'PreparingRebalance':
        this.#updateMemberAndRebalance(group, member, join, resolve, `member ${memberId} rejoined during the rebalance`);
        return;
      case 'CompletingRebalance':
        if (member.matches(join.protocols)) {
          // The same metadata again: the member probably missed the JoinGroup response, so it
          // gets the current generation's answer again.
          resolve(this.#joinResult(group, member, { members: group.isLeader(memberId) ? group.currentMemberMetadata() : [] }));
        } else {
          this.#updateMemberAndRebalance(group, member, join, resolve, `member ${memberId} changed its metadata while the group completed a rebalance`);
        }
        return;
      case 'Stable':
        if (group.isLeader(memberId)) {
          // The leader rejoins to make the group rebalance for changes only it sees, such as
          // new partitions of a subscribed topic.
          this.#updateMemberAndRebalance(group, member, join, resolve, `leader ${memberId} rejoined`);
        } else if (!member.matches(join.protocols)) {
          this.#updateMemberAndRebalance(group, member, join, resolve, `member ${memberId} changed its metadata`);
        } else {
          resolve(this.#joinResult(group, member, { members: [] }));
        }
        return;
      case 'Empty':
      case 'Dead':
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, join: JoinParameters, resolve: JoinWaiter): void {
    const member = new GroupMember({
      memberId,
      groupInstanceId: join.groupInstanceId,
      clientId: join.clientId,
      clientHost: join.clientHost,
      rebalanceTimeoutMs: join.rebalanceTimeoutMs,
      sessionTimeoutMs: join.sessionTimeoutMs,
      protocolType: join.protocolType,
      protocols: join.protocols,
    });
    member.isNew = true;
    // A first generation waits a little longer for each newcomer (the initial delay).
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, resolve);
    this.#scheduleSessionExpiry(group, member, this.config.newMemberJoinTimeoutMs);
    this.#maybePrepareRebalance(group, `member ${memberId} joined (client reason: ${join.reason})`);
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, join: JoinParameters, resolve: JoinWaiter, reason: string): void {
    // A second JoinGroup from the same member replaces the first, which is answered so that no request is left hanging.
    this.#answerJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.clientId = join.clientId;
    member.clientHost = join.clientHost;
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, resolve);
    this.#maybePrepareRebalance(group, `${reason} (client reason: ${join.reason})`);
  }

  /** KIP-345: a static member rejoined without its member id; it takes over its old place under a new id. */
  #rejoinStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, join: JoinParameters, resolve: JoinWaiter): void {
    const previousLeader = group.leaderId;
    const member = group.replaceStaticMember(join.groupInstanceId!, oldMemberId, newMemberId);
    // Whoever still waits under the old id is a duplicate instance and is fenced.
    this.#answerJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.#answerSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    member.clientId = join.clientId;
    member.clientHost = join.clientHost;
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, resolve);
    switch (group.state) {
      case 'Stable':
        if (group.selectProtocol() === group.protocolName) {
          // Nothing the assignment depends on changed: no rebalance. From v9 the leader is told
          // it leads but must skip assigning; before, it is given the old leader's id so that
          // it does not assign at all (its assignment would be ignored by a stable group).
          const isLeader = group.isLeader(newMemberId);
          const response = join.supportsSkippingAssignment
            ? this.#joinResult(group, member, { members: isLeader ? group.currentMemberMetadata() : [], skipAssignment: isLeader })
            : this.#joinResult(group, member, { members: [], leader: previousLeader ?? '' });
          this.#answerJoin(member, response);
        } else {
          this.#maybePrepareRebalance(group, `static member ${join.groupInstanceId} rejoined with protocols that change the group's choice`);
        }
        return;
      case 'CompletingRebalance':
        // The leader may be assigning to the old id; only a new rebalance gives the new id an assignment.
        this.#prepareRebalance(group, `static member ${join.groupInstanceId} rejoined while the group completed a rebalance`);
        return;
      case 'PreparingRebalance':
        return;
      case 'Empty':
      case 'Dead':
        assert(false, `a static member cannot be known to group ${group.groupId} in state ${group.state}`);
    }
  }

  #onPendingMemberExpired(group: ClassicGroup, memberId: string): void {
    if (!group.removePendingMember(memberId)) return;
    this.#logger.info({ groupId: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
    if (group.is('PreparingRebalance')) this.#tryCompleteJoin(group);
    this.#forgetGroupIfUnused(group);
  }

  // --- Rebalance phases ---------------------------------------------------------------

  #maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.#prepareRebalance(group, reason);
  }

  #prepareRebalance(group: ClassicGroup, reason: string): void {
    assert(group.joinPhase === undefined, `group ${group.groupId} is already preparing a rebalance`);
    // Members waiting for an assignment are told to rejoin instead.
    if (group.is('CompletingRebalance')) this.#propagateAssignment(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#cancelSyncExpiry(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.#metrics.rebalances.inc({ reason: wasEmpty ? 'first-member' : 'membership' });
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'consumer group rebalancing');
    this.events.emit('rebalanceStarted', { groupId: group.groupId, generationId: group.generationId, reason });
    if (wasEmpty) {
      const delayMs = this.config.initialRebalanceDelayMs;
      this.#startJoinPhase(group, 'initial', delayMs, Math.max(group.rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.#startJoinPhase(group, 'rejoin', group.rebalanceTimeoutMs, 0);
      this.#tryCompleteJoin(group);
    }
  }

  #startJoinPhase(group: ClassicGroup, kind: JoinPhase['kind'], delayMs: number, remainingMs: number): void {
    const phase: JoinPhase = { kind, delayMs, remainingMs, timer: setTimeout(() => this.#onJoinPhaseExpired(group, phase), delayMs) };
    group.joinPhase = phase;
  }

  /** Completes the join phase early once everyone is in; the initial delay always runs to its end. */
  #tryCompleteJoin(group: ClassicGroup): void {
    if (group.joinPhase?.kind === 'rejoin' && group.hasAllMembersJoined) this.#completeJoin(group);
  }

  #onJoinPhaseExpired(group: ClassicGroup, phase: JoinPhase): void {
    if (group.joinPhase !== phase) return;
    if (phase.kind === 'initial' && group.newMemberAdded && phase.remainingMs > 0) {
      // Newcomers arrived during the delay: wait once more for the ones still starting up.
      group.newMemberAdded = false;
      const delayMs = Math.min(this.config.initialRebalanceDelayMs, phase.remainingMs);
      this.#startJoinPhase(group, 'initial', delayMs, Math.max(phase.remainingMs - phase.delayMs, 0));
      return;
    }
    this.#completeJoin(group);
  }

  /** The join phase is over: drop who did not rejoin and start the next generation (Kafka's onCompleteJoin). */
  #completeJoin(group: ClassicGroup): void {
    assert(group.joinPhase !== undefined && group.is('PreparingRebalance'), `group ${group.groupId} is not preparing a rebalance`);
    clearTimeout(group.joinPhase.timer);
    group.joinPhase = undefined;
    group.newMemberAdded = false;
    // Static members keep their place across a missed rebalance; their session decides.
    for (const member of [...group.members.values()]) {
      if (!member.isAwaitingJoin && member.groupInstanceId === null) this.#dropMember(group, member, 'rebalance-timeout');
    }
    if (!group.electJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them, or for their sessions to end.
      this.#logger.warn({ groupId: group.groupId }, 'no member rejoined the consumer group within the rebalance timeout');
      this.#startJoinPhase(group, 'rejoin', group.rebalanceTimeoutMs, 0);
      return;
    }
    group.initNextGeneration();
    const memberIds = [...group.members.keys()];
    this.events.emit('generationStarted', { groupId: group.groupId, generationId: group.generationId, memberIds });
    if (group.is('Empty')) {
      this.#logger.info({ groupId: group.groupId, generationId: group.generationId }, 'consumer group is empty');
      this.#forgetGroupIfUnused(group);
      return;
    }
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId, members: memberIds.length, protocol: group.protocolName }, 'consumer group has a new generation');
    const leaderMetadata = group.currentMemberMetadata();
    for (const member of group.members.values()) {
      this.#answerJoin(member, this.#joinResult(group, member, { members: group.isLeader(member.memberId) ? leaderMetadata : [] }));
      this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    // Every member must now send SyncGroup within the rebalance timeout (Kafka's DelayedSync).
    const generationId = group.generationId;
    group.syncTimer = setTimeout(() => this.#onSyncExpired(group, generationId), group.rebalanceTimeoutMs);
  }

  #onSyncExpired(group: ClassicGroup, generationId: number): void {
    group.syncTimer = undefined;
    if (this.#groups.get(group.groupId) !== group || group.generationId !== generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const late = [...group.pendingSyncMembers];
    for (const memberId of late) {
      const member = group.members.get(memberId);
      if (member !== undefined) this.#dropMember(group, member, 'sync-timeout');
    }
    this.#prepareRebalance(group, `members ${late.join(', ')} did not send SyncGroup within the rebalance timeout`);
  }

  #cancelSyncExpiry(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
  }

  #markSynced(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      clearTimeout(group.syncTimer);
      group.syncTimer = undefined;
    }
  }

  // --- SyncGroup ----------------------------------------------------------------------

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    const { groupId, memberId } = request;
    const groupIdError = this.#checkGroupId(groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return Promise.resolve(syncError(groupIdError));
    if (this.#closed) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const group = this.#groups.get(groupId);
    if (group === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const validationError = this.#validateSync(group, request);
    if (validationError !== ErrorCode.NONE) return Promise.resolve(syncError(validationError));
    const member = group.members.get(memberId);
    assert(member !== undefined, 'a validated member exists');

    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.#markSynced(group, memberId);
        this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'Dead':
        assert(false, 'a Dead group fails validation');
      case 'CompletingRebalance':
        return new Promise((resolve) => {
          this.#answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.syncWaiter = resolve;
          this.#markSynced(group, memberId);
          if (group.isLeader(memberId)) this.#completeAssignment(group, request);
        });
    }
  }

  #validateSync(group: ClassicGroup, request: SyncGroupRequest): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = validateCurrentMember(group, request.memberId, request.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (request.protocolType != null && request.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (request.protocolName != null && request.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return ErrorCode.NONE;
  }

  /** The leader's assignment arrived: store it and answer every waiting member with its own part. */
  #completeAssignment(group: ClassicGroup, request: SyncGroupRequest): void {
    const assignments = new Map<string, Buffer>();
    for (const { memberId, assignment } of request.assignments) {
      if (!group.members.has(memberId)) continue;
      if (assignment.byteLength > this.config.memberAssignmentBytesMax) {
        this.#refuse('member-assignment-bytes', `group ${group.groupId}: the leader assigned ${assignment.byteLength} bytes to member ${memberId}, above memberAssignmentBytesMax (${this.config.memberAssignmentBytesMax})`);
        this.#propagateAssignment(group, ErrorCode.MESSAGE_TOO_LARGE);
        this.#maybePrepareRebalance(group, 'the leader sent an assignment above the size limit');
        return;
      }
      // A copy, so that the request's buffer can be reused and is not kept alive by the group.
      assignments.set(memberId, Buffer.copyBytesFrom(assignment));
    }
    for (const member of group.members.values()) member.assignment = assignments.get(member.memberId) ?? EMPTY_BYTES;
    group.transitionTo('Stable');
    this.#propagateAssignment(group, ErrorCode.NONE);
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId }, 'consumer group is stable');
    this.events.emit('groupStable', { groupId: group.groupId, generationId: group.generationId });
  }

  /** Answers every waiting SyncGroup: with its assignment, or with the error and no assignment. */
  #propagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) {
      if (errorCode !== ErrorCode.NONE) member.assignment = EMPTY_BYTES;
      const answered = this.#answerSync(member, {
        errorCode,
        protocolType: errorCode === ErrorCode.NONE ? group.protocolType : null,
        protocolName: errorCode === ErrorCode.NONE ? group.protocolName : null,
        assignment: member.assignment,
      });
      // A member that waited in SyncGroup could not heartbeat; its session starts again now.
      if (answered) this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    }
  }

  // --- Heartbeat ----------------------------------------------------------------------

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const groupIdError = this.#checkGroupId(request.groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return { errorCode: groupIdError };
    if (this.#closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const group = this.#groups.get(request.groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const memberError = validateCurrentMember(group, request.memberId, request.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return { errorCode: memberError };
    if (request.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    if (group.is('Empty')) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    const member = group.members.get(request.memberId)!;
    this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    // During a rebalance the heartbeat is how a member learns it must rejoin.
    return { errorCode: group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE };
  }

  #scheduleSessionExpiry(group: ClassicGroup, member: GroupMember, timeoutMs: number): void {
    member.clearSessionTimer();
    member.sessionTimer = setTimeout(() => this.#onSessionExpired(group, member), timeoutMs);
  }

  #onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    member.sessionTimer = undefined;
    if (this.#groups.get(group.groupId) !== group || group.members.get(member.memberId) !== member) return;
    // A member parked in a rebalance is alive; its session starts again when the rebalance answers it.
    if (member.isExcusedFromHeartbeat) return;
    const reason: MemberRemovalReason = member.isNew ? 'join-timeout' : 'session-timeout';
    this.#removeMemberAndUpdateGroup(group, member, reason);
  }

  // --- LeaveGroup ---------------------------------------------------------------------

  leaveGroup(request: LeaveGroupRequest, context: Pick<RequestContext, 'apiVersion'>): LeaveGroupResponse {
    // v0–2 name one member and answer with its error at the top level; v3+ name a batch.
    const isSingle = context.apiVersion <= 2;
    const leaving: LeaveGroupMemberIdentity[] = isSingle ? [{ memberId: request.memberId ?? '', groupInstanceId: null }] : (request.members ?? []);
    const topLevel = (errorCode: number, members: LeaveGroupMemberResponse[]): LeaveGroupResponse => ({
      errorCode: isSingle && errorCode === ErrorCode.NONE ? (members[0]?.errorCode ?? ErrorCode.NONE) : errorCode,
      members,
    });
    const groupIdError = this.#checkGroupId(request.groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return topLevel(groupIdError, []);
    if (this.#closed) return topLevel(ErrorCode.COORDINATOR_NOT_AVAILABLE, []);
    const group = this.#groups.get(request.groupId);
    const answer = (identity: LeaveGroupMemberIdentity, errorCode: number): LeaveGroupMemberResponse => ({
      memberId: identity.memberId,
      groupInstanceId: identity.groupInstanceId,
      errorCode,
    });
    if (group === undefined) return topLevel(ErrorCode.NONE, leaving.map((identity) => answer(identity, ErrorCode.UNKNOWN_MEMBER_ID)));
    if (group.is('Dead')) return topLevel(ErrorCode.COORDINATOR_NOT_AVAILABLE, []);

    const responses = leaving.map((identity) => {
      if (identity.memberId === '') {
        // An administrator removes a static member by its instance id alone.
        const currentId = identity.groupInstanceId === null ? undefined : group.staticMembers.get(identity.groupInstanceId);
        if (currentId === undefined) return answer(identity, ErrorCode.UNKNOWN_MEMBER_ID);
        this.#removeMemberAndUpdateGroup(group, group.members.get(currentId)!, 'leave');
        return answer(identity, ErrorCode.NONE);
      }
      if (group.removePendingMember(identity.memberId)) {
        if (group.is('PreparingRebalance')) this.#tryCompleteJoin(group);
        return answer(identity, ErrorCode.NONE);
      }
      const memberError = validateCurrentMember(group, identity.memberId, identity.groupInstanceId);
      if (memberError !== ErrorCode.NONE) return answer(identity, memberError);
      this.#removeMemberAndUpdateGroup(group, group.members.get(identity.memberId)!, 'leave');
      return answer(identity, ErrorCode.NONE);
    });
    this.#forgetGroupIfUnused(group);
    return topLevel(ErrorCode.NONE, responses);
  }

  /** Removes a member and moves the group on (Kafka's removeMemberAndUpdateGroup). */
  #removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: MemberRemovalReason): void {
    this.#dropMember(group, member, reason);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#maybePrepareRebalance(group, `member ${member.memberId} left (${reason})`);
        break;
      case 'PreparingRebalance':
        this.#tryCompleteJoin(group);
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
    this.#forgetGroupIfUnused(group);
  }

  /** Takes a member out, answering whatever it still waits for so that its client rejoins. */
  #dropMember(group: ClassicGroup, member: GroupMember, reason: MemberRemovalReason): void {
    this.#answerJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.#answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.#metrics.membersRemoved.inc({ reason });
    this.#logger.info({ groupId: group.groupId, memberId: member.memberId, reason }, 'member removed from consumer group');
    this.events.emit('memberRemoved', { groupId: group.groupId, memberId: member.memberId, reason });
  }

  // --- OffsetCommit / OffsetFetch -----------------------------------------------------

  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const everyPartition = (errorCode: number): OffsetCommitResponse => ({
      topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) })),
    });
    // The empty group id is allowed here, for clients older than group management.
    const groupIdError = this.#checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return everyPartition(groupIdError);
    if (this.#closed) return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const generationId = request.generationIdOrMemberEpoch;
    let group = this.#groups.get(request.groupId);
    if (group === undefined) {
      // Generation -1: the client manages its own partitions and only stores offsets here
      // (a "simple" consumer or an admin tool); anything else comes from a generation that
      // no longer exists.
      if (generationId >= 0) return everyPartition(ErrorCode.ILLEGAL_GENERATION);
      if (this.#groups.size >= this.config.groupsMax) {
        this.#refuse('groups', `group ${request.groupId} cannot be created by an offset commit: the coordinator already has groupsMax (${this.config.groupsMax}) groups`);
        return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      group = new ClassicGroup(request.groupId);
      this.#groups.set(request.groupId, group);
    }
    const validationError = validateOffsetCommit(group, generationId, request.memberId, request.groupInstanceId);
    if (validationError !== ErrorCode.NONE) {
      this.#forgetGroupIfUnused(group);
      return everyPartition(validationError);
    }
    if (group.is('CompletingRebalance')) {
      // The member has its new generation but not yet its assignment; it commits after SyncGroup.
      return everyPartition(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    if (!group.is('Empty')) {
      // A commit is a sign of life too. During PreparingRebalance commits are still taken:
      // the member learns of the rebalance from its next heartbeat.
      const member = group.members.get(request.memberId);
      assert(member !== undefined, 'a validated committer of a non-empty group is a member');
      this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    }
    if (this.#store.isBacklogged) {
      this.#refuse('write-queue', `group ${request.groupId}: an offset commit was refused, the offset database has a backlog of writes`);
      this.#forgetGroupIfUnused(group);
      return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }

    const nowMs = BigInt(this.#now());
    const writes: OffsetWrite[] = [];
    const errorCodes: number[][] = request.topics.map((topic) =>
      topic.partitions.map((partition): number => {
        if (partition.committedMetadata !== null && partition.committedMetadata.length > this.config.offsetMetadataLengthMax) {
          this.#refuse('offset-metadata-length', `group ${request.groupId}: the metadata committed for ${topic.name}-${partition.partitionIndex} has ${partition.committedMetadata.length} characters, above offsetMetadataLengthMax (${this.config.offsetMetadataLengthMax})`);
          return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        }
        if (partition.partitionIndex < 0 || !this.#partitionExists(topic.name, partition.partitionIndex)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        writes.push({
          topic: topic.name,
          partition: partition.partitionIndex,
          committed: {
            offset: partition.committedOffset,
            leaderEpoch: partition.committedLeaderEpoch < 0 ? -1 : partition.committedLeaderEpoch,
            metadata: partition.committedMetadata ?? '',
            // Only OffsetCommit v1 carries the client's own timestamp.
            commitTimestampMs: partition.commitTimestamp !== undefined && partition.commitTimestamp >= 0n ? partition.commitTimestamp : nowMs,
          },
        });
        return ErrorCode.NONE;
      }),
    );

    if (writes.length > 0) {
      group.commitsInFlight += 1;
      try {
        await this.#store.commit(group.groupId, group.protocolType ?? '', writes);
        this.#metrics.offsetsCommitted.inc(writes.length);
      } catch (error) {
        this.#logger.error({ groupId: group.groupId, err: error }, 'committing consumer-group offsets failed');
        // Retriable for the client: the offsets may be committed again once the disk recovers.
        for (const codes of errorCodes) codes.fill(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      } finally {
        group.commitsInFlight -= 1;
      }
    }
    this.#forgetGroupIfUnused(group);
    return {
      topics: request.topics.map((topic, topicIndex) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition, partitionIndex) => ({ partitionIndex: partition.partitionIndex, errorCode: errorCodes[topicIndex]![partitionIndex]! })),
      })),
    };
  }

  /**
   * One group of an OffsetFetch. Offsets are answered whatever the group's state, since a
   * group may use this coordinator only to store offsets. A partition with nothing
   * committed answers offset -1.
   */
  fetchOffsets(request: OffsetFetchRequestGroup): OffsetFetchResponseGroup {
    const groupIdError = this.#checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return { groupId: request.groupId, topics: [], errorCode: groupIdError };
    if (this.#closed) return { groupId: request.groupId, topics: [], errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const offsets = this.#store.offsetsOf(request.groupId);
    let topics: OffsetFetchResponseTopic[];
    if (request.topics === null) {
      topics = [...(offsets ?? new Map())]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, partitions]) => ({
          name,
          partitions: [...partitions]
            .sort(([a], [b]) => a - b)
            .map(([partitionIndex, committed]) => ({
              partitionIndex,
              committedOffset: committed.offset,
              committedLeaderEpoch: committed.leaderEpoch,
              metadata: committed.metadata,
              errorCode: ErrorCode.NONE,
            })),
        }));
    } else {
      topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => {
          const committed = offsets?.get(topic.name)?.get(partitionIndex);
          return {
            partitionIndex,
            committedOffset: committed?.offset ?? -1n,
            committedLeaderEpoch: committed?.leaderEpoch ?? -1,
            metadata: committed?.metadata ?? '',
            errorCode: ErrorCode.NONE,
          };
        }),
      }));
    }
    return { groupId: request.groupId, topics, errorCode: ErrorCode.NONE };
  }

  // --- ListGroups / DescribeGroups / DeleteGroups -------------------------------------

  listGroups(request: ListGroupsRequest = {}): ListGroupsResponse {
    if (this.#closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set((request.statesFilter ?? []).map((state) => state.toLowerCase()));
    const types = new Set((request.typesFilter ?? []).map((type) => type.toLowerCase()));
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { errorCode: ErrorCode.NONE, groups: [] };
    const groups = [...this.#groups.values()]
      .filter((group) => states.size === 0 || states.has(group.state.toLowerCase()))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: CLASSIC_GROUP_TYPE }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroups(request: DescribeGroupsRequest): DescribeGroupsResponse {
    const operations = authorizedOperations(request.includeAuthorizedOperations === true, GROUP_OPERATIONS);
    return { groups: request.groups.map((groupId) => this.#describe(groupId, operations)) };
  }

  #describe(groupId: string, operations: number): DescribedGroup {
    const described = (errorCode: number, groupState: string): DescribedGroup => ({ errorCode, groupId, groupState, protocolType: '', protocolData: '', members: [], authorizedOperations: operations });
    const groupIdError = this.#checkGroupId(groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return described(groupIdError, '');
    if (this.#closed) return described(ErrorCode.COORDINATOR_NOT_AVAILABLE, '');
    const group = this.#groups.get(groupId);
    // Kafka describes a group it does not know as Dead, without an error.
    if (group === undefined) return described(ErrorCode.NONE, 'Dead');
    // Metadata and assignments belong to a generation, so only a Stable group shows them.
    const stableProtocol = group.is('Stable') ? group.protocolName : null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stableProtocol ?? '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stableProtocol === null ? EMPTY_BYTES : member.metadataFor(stableProtocol),
        memberAssignment: stableProtocol === null ? EMPTY_BYTES : member.assignment,
      })),
      authorizedOperations: operations,
    };
  }

  /** Deletes groups that have no members, with their committed offsets. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResponse> {
    const results = await Promise.all(groupIds.map(async (groupId) => ({ groupId, errorCode: await this.#deleteGroup(groupId) })));
    return { results };
  }

  async #deleteGroup(groupId: string): Promise<number> {
    const groupIdError = this.#checkGroupId(groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return groupIdError;
    if (this.#closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = this.#groups.get(groupId);
    if (group === undefined || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    if (this.#store.isBacklogged) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Dead while the offsets are deleted: requests for the group meanwhile are told to retry.
    group.transitionTo('Dead');
    for (const memberId of [...group.pendingMembers.keys()]) group.removePendingMember(memberId);
    try {
      await this.#store.deleteGroup(groupId);
    } catch (error) {
      this.#logger.error({ groupId, err: error }, 'deleting a consumer group failed');
      if (this.#groups.get(groupId) === group) this.#groups.set(groupId, new ClassicGroup(groupId, group.protocolType));
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    if (this.#groups.get(groupId) === group) this.#groups.delete(groupId);
    this.#logger.info({ groupId }, 'consumer group deleted');
    this.events.emit('groupRemoved', { groupId, reason: 'deleted' });
    return ErrorCode.NONE;
  }

  /**
   * OffsetDelete (KIP-496): forgets a group's committed offsets of some partitions. A group
   * with members keeps the offsets of the topics its consumers subscribe to
   * (GROUP_SUBSCRIBED_TO_TOPIC per partition); when their subscriptions cannot be read, or
   * the group is not a consumer group, none are deleted while it has members.
   */
  async deleteOffsets(request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    const refuse = (errorCode: number): OffsetDeleteResponse => ({ errorCode, topics: [] });
    const groupIdError = this.#checkGroupId(request.groupId, { allowEmpty: true });
    if (groupIdError !== ErrorCode.NONE) return refuse(groupIdError);
    if (this.#closed || this.#store.isBacklogged) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const group = this.#groups.get(request.groupId);
    if (group === undefined ? !this.#store.hasOffsets(request.groupId) : group.is('Dead')) return refuse(ErrorCode.GROUP_ID_NOT_FOUND);
    const active = group !== undefined && !group.is('Empty');
    if (active && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return refuse(ErrorCode.NON_EMPTY_GROUP);
    const subscribed = active ? this.#subscribedTopics(group) : new Set<string>();
    const isSubscribed = (topic: string): boolean => subscribed === undefined || subscribed.has(topic);
    const deletable = request.topics.flatMap((topic) => (isSubscribed(topic.name) ? [] : topic.partitions.map((partition) => ({ topic: topic.name, partition: partition.partitionIndex }))));
    try {
      if (deletable.length > 0) await this.#store.deleteOffsets(request.groupId, deletable);
    } catch (error) {
      this.#logger.error({ groupId: request.groupId, err: error }, 'deleting committed offsets failed');
      return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (group !== undefined) this.#forgetGroupIfUnused(group);
    return {
      errorCode: ErrorCode.NONE,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: isSubscribed(topic.name) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE })),
      })),
    };
  }

  /** The topics the group's members subscribe to, or undefined when any member's subscription cannot be read. */
  #subscribedTopics(group: ClassicGroup): Set<string> | undefined {
    const topics = new Set<string>();
    for (const member of group.members.values()) {
      const protocol = group.protocolName ?? member.protocols[0]?.name;
      const subscription = protocol === undefined ? undefined : subscribedTopics(member.metadataFor(protocol));
      if (subscription === undefined) return undefined;
      for (const topic of subscription) topics.add(topic);
    }
    return topics;
  }

  // --- Shutdown -----------------------------------------------------------------------

  /** Stops every timer, answers every waiting request with NOT_COORDINATOR and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const group of this.#groups.values()) {
      if (group.joinPhase !== undefined) clearTimeout(group.joinPhase.timer);
      group.joinPhase = undefined;
      clearTimeout(group.syncTimer);
      group.syncTimer = undefined;
      for (const memberId of [...group.pendingMembers.keys()]) group.removePendingMember(memberId);
      for (const member of group.members.values()) {
        member.clearSessionTimer();
        // As when a coordinator moves: the client looks for the coordinator again.
        this.#answerJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
        this.#answerSync(member, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    this.#groups.clear();
    await this.#store.close();
  }

  // --- Helpers ------------------------------------------------------------------------

  #checkGroupId(groupId: string, { allowEmpty }: { allowEmpty: boolean }): number {
    if (!allowEmpty && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (groupId.length > this.config.groupIdLengthMax) return ErrorCode.INVALID_GROUP_ID;
    return ErrorCode.NONE;
  }

  #joinResult(group: ClassicGroup, member: GroupMember, options: { members: JoinGroupResponse['members']; leader?: string; skipAssignment?: boolean }): JoinGroupResponse {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: options.leader ?? group.leaderId ?? '',
      skipAssignment: options.skipAssignment ?? false,
      memberId: member.memberId,
      members: options.members,
    };
  }

  #answerJoin(member: GroupMember, response: JoinGroupResponse): boolean {
    const waiter = member.joinWaiter;
    if (waiter === undefined) return false;
    member.joinWaiter = undefined;
    waiter(response);
    return true;
  }

  #answerSync(member: GroupMember, response: SyncGroupResponse): boolean {
    const waiter = member.syncWaiter;
    if (waiter === undefined) return false;
    member.syncWaiter = undefined;
    waiter(response);
    return true;
  }

  /** An Empty group with no one waiting to join and no committed offsets has nothing worth keeping. */
  #forgetGroupIfUnused(group: ClassicGroup): void {
    if (this.#groups.get(group.groupId) !== group) return;
    if (!group.is('Empty') || group.headCount > 0 || group.commitsInFlight > 0 || this.#store.hasOffsets(group.groupId)) return;
    this.#groups.delete(group.groupId);
    this.events.emit('groupRemoved', { groupId: group.groupId, reason: 'empty' });
  }

  #headCountTotal(): number {
    let count = 0;
    for (const group of this.#groups.values()) count += group.headCount;
    return count;
  }

  #refuse(limit: RefusedLimit, message: string): void {
    this.#metrics.limitRefusals.inc({ limit });
    const nowMs = Date.now();
    const lastMs = this.#lastLimitWarningMs.get(limit);
    if (lastMs !== undefined && nowMs - lastMs < LIMIT_WARNING_INTERVAL_MS) return;
    this.#lastLimitWarningMs.set(limit, nowMs);
    this.#logger.warn({ limit }, message);
  }
}

// --- Validation shared by the requests of a member --------------------------------------

/**
 * The member exists and, for a static member, the instance id still belongs to this member
 * id (KIP-345: a newer instance with the same id fences the older one).
 */
function validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const currentMemberId = group.staticMembers.get(groupInstanceId);
    if (currentMemberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (currentMemberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

/** Kafka's validateOffsetCommit for non-transactional commits. */
function validateOffsetCommit(group: ClassicGroup, generationId: number, memberId: string, groupInstanceId: string | null): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Generation -1 on an Empty group: an admin tool or a consumer without group management.
  if (generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const memberError = validateCurrentMember(group, memberId, groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    return generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }
  // Only members may commit for a group that has them.
  return group.is('Empty') ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/**
 * The member's protocols in its order of preference, each name once, with the metadata
 * copied: the request's buffers may be slices of a larger network buffer that must not be
 * kept alive for as long as the member stays.
 */
function copyProtocols(protocols: readonly { name: string; metadata: Uint8Array }[]): MemberProtocol[] {
  const seen = new Set<string>();
  const copied: MemberProtocol[] = [];
  for (const protocol of protocols) {
    if (seen.has(protocol.name)) continue;
    seen.add(protocol.name);
    copied.push({ name: protocol.name, metadata: Buffer.copyBytesFrom(protocol.metadata) });
  }
  return copied;
}

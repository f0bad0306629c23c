// The classic group protocol's requests: JoinGroup, SyncGroup, Heartbeat and LeaveGroup,
// answered as Apache Kafka's classic GroupCoordinator answers them for one broker, with the
// same error codes in the same situations, so that every Kafka client's group logic works
// unchanged. What the answers set going (rebalance phases, sessions, removals) is
// rebalance.ts's.
import { randomUUID } from 'node:crypto';
import { assert } from '../../../shared/errors.ts';
import type { AnswerOf } from '../../../shared/kafka/apis/index.ts';
import type { HeartbeatRequest, heartbeatApi } from '../../../shared/kafka/apis/heartbeat.ts';
import type { JoinGroupRequest } from '../../../shared/kafka/apis/join-group.ts';
import type { LeaveGroupRequest, leaveGroupApi } from '../../../shared/kafka/apis/leave-group.ts';
import type { SyncGroupRequest } from '../../../shared/kafka/apis/sync-group.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { GroupTable } from './group-table.ts';
import { GroupMember, type ClassicGroup, type JoinAnswer, type JoinWaiter, type MemberProtocol, type SyncAnswer } from './group.ts';
import { joinError, joinResult, syncError, type Rebalancer } from './rebalance.ts';

/** What the server knows about a request beyond its body. */
export interface RequestContext {
  /** The request's API version; some answers depend on it (KIP-394 from JoinGroup v4, KIP-345 skipAssignment from v9). */
  apiVersion: number;
  /** The request header's client id; Kafka prefixes generated member ids with it. */
  clientId: string;
  /** The client's address, shown by DescribeGroups. */
  clientHost: string;
}

type HeartbeatAnswer = AnswerOf<typeof heartbeatApi>;
type LeaveAnswer = AnswerOf<typeof leaveGroupApi>;
type LeavingMember = Pick<LeaveGroupRequest['members'][number], 'memberId' | 'groupInstanceId'>;

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

export class Membership {
  readonly #table: GroupTable;
  readonly #rebalancer: Rebalancer;

  constructor(table: GroupTable, rebalancer: Rebalancer) {
    this.#table = table;
    this.#rebalancer = rebalancer;
  }

  // --- JoinGroup ----------------------------------------------------------------------

  joinGroup(request: JoinGroupRequest, context: RequestContext): Promise<JoinAnswer> {
    const { groupId, memberId } = request;
    const config = this.#table.config;
    const groupIdError = this.#table.checkGroupId(groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return Promise.resolve(joinError(memberId, groupIdError));
    if (this.#table.isClosed) return Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (request.sessionTimeoutMs < config.sessionTimeoutMsMin || request.sessionTimeoutMs > config.sessionTimeoutMsMax) {
      return Promise.resolve(joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const protocols = copyProtocols(request.protocols);
    const metadataBytes = protocols.reduce((sum, protocol) => sum + Buffer.byteLength(protocol.name) + protocol.metadata.byteLength, 0);
    if (metadataBytes > config.memberMetadataBytesMax) {
      this.#table.refuse('member-metadata-bytes', `group ${groupId}: a JoinGroup from client ${context.clientId} carries ${metadataBytes} bytes of protocol metadata, above memberMetadataBytesMax (${config.memberMetadataBytesMax})`);
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
    let group = this.#table.get(groupId);
    if (group === undefined) {
      // A group is created by a member without an id; a member that has an id but no group
      // belongs to a group this coordinator no longer knows, and must start over.
      if (!isUnknownMember) return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.#table.create(groupId, 'a JoinGroup');
      if (group === undefined) return Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }

    const joiningGroup = group;
    return new Promise<JoinAnswer>((resolve) => {
      if (!this.#acceptJoiningMember(joiningGroup, memberId)) {
        const member = joiningGroup.members.get(memberId);
        if (member !== undefined) this.#rebalancer.dropMember(joiningGroup, member, 'capacity');
        else joiningGroup.removePendingMember(memberId);
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.#joinAsNewMember(joiningGroup, parameters, resolve);
      } else {
        this.#joinAsCurrentMember(joiningGroup, memberId, parameters, resolve);
      }
      if (joiningGroup.is('PreparingRebalance')) this.#rebalancer.tryCompleteJoin(joiningGroup);
      this.#table.forgetIfUnused(joiningGroup);
    });
  }

  /** Kafka's acceptJoiningMember, counting members-to-be too, and the limit across all groups. */
  #acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const config = this.#table.config;
    const member = group.members.get(memberId);
    const isPending = group.pendingMembers.has(memberId);
    const isNewcomer = member === undefined && !isPending;
    if (isNewcomer && this.#table.headCountTotal() >= config.membersTotalMax) {
      this.#table.refuse('members-total', `group ${group.groupId}: a new member was refused, all groups together already have membersTotalMax (${config.membersTotalMax}) members`);
      return false;
    }
    let accepted: boolean;
    switch (group.state) {
      case 'PreparingRebalance':
        // Counting the members that already rejoined, rather than all members, lets a
        // rebalance shed the members that come back last when the group is over its limit.
        accepted = member?.isAwaitingJoin === true || isPending || group.awaitingJoinCount + group.pendingMembers.size < config.membersPerGroupMax;
        break;
      case 'Empty':
      case 'CompletingRebalance':
      case 'Stable':
        accepted = !isNewcomer || group.headCount < config.membersPerGroupMax;
        break;
      case 'Dead':
        accepted = true;
        break;
    }
    if (!accepted) this.#table.refuse('members-per-group', `group ${group.groupId} already has membersPerGroupMax (${config.membersPerGroupMax}) members; a join was refused`);
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
    const memberError = group.memberError(memberId, join.groupInstanceId);
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
          resolve(joinResult(group, member, { members: group.isLeader(memberId) ? group.currentMemberMetadata() : [] }));
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
          resolve(joinResult(group, member, { members: [] }));
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
    this.#rebalancer.watchSession(group, member, this.#table.config.newMemberJoinTimeoutMs);
    this.#rebalancer.maybePrepareRebalance(group, `member ${memberId} joined (client reason: ${join.reason})`);
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, join: JoinParameters, resolve: JoinWaiter, reason: string): void {
    // A second JoinGroup from the same member replaces the first, which is answered so that no request is left hanging.
    this.#rebalancer.answerJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.clientId = join.clientId;
    member.clientHost = join.clientHost;
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, resolve);
    this.#rebalancer.maybePrepareRebalance(group, `${reason} (client reason: ${join.reason})`);
  }

  /** KIP-345: a static member rejoined without its member id; it takes over its old place under a new id. */
  #rejoinStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, join: JoinParameters, resolve: JoinWaiter): void {
    const previousLeader = group.leaderId;
    const member = group.replaceStaticMember(join.groupInstanceId!, oldMemberId, newMemberId);
    // Whoever still waits under the old id is a duplicate instance and is fenced.
    this.#rebalancer.answerJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.#rebalancer.answerSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.#rebalancer.keepAlive(group, member);
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
            ? joinResult(group, member, { members: isLeader ? group.currentMemberMetadata() : [], skipAssignment: isLeader })
            : joinResult(group, member, { members: [], leader: previousLeader ?? '' });
          this.#rebalancer.answerJoin(member, response);
          // The member's new id must outlive a restart: its next heartbeat carries it.
          this.#table.rememberMembership(group);
        } else {
          this.#rebalancer.maybePrepareRebalance(group, `static member ${join.groupInstanceId} rejoined with protocols that change the group's choice`);
        }
        return;
      case 'CompletingRebalance':
        // The leader may be assigning to the old id; only a new rebalance gives the new id an assignment.
        this.#rebalancer.prepareRebalance(group, `static member ${join.groupInstanceId} rejoined while the group completed a rebalance`);
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
    this.#table.logger.info({ groupId: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
    if (group.is('PreparingRebalance')) this.#rebalancer.tryCompleteJoin(group);
    this.#table.forgetIfUnused(group);
  }

  // --- SyncGroup ----------------------------------------------------------------------

  syncGroup(request: SyncGroupRequest): Promise<SyncAnswer> {
    const { groupId, memberId } = request;
    const groupIdError = this.#table.checkGroupId(groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return Promise.resolve(syncError(groupIdError));
    if (this.#table.isClosed) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const group = this.#table.get(groupId);
    if (group === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const validationError = validateSync(group, request);
    if (validationError !== ErrorCode.NONE) return Promise.resolve(syncError(validationError));
    const member = group.members.get(memberId);
    assert(member !== undefined, 'a validated member exists');

    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.#rebalancer.markSynced(group, memberId);
        this.#rebalancer.keepAlive(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'Dead':
        assert(false, 'a Dead group fails validation');
      case 'CompletingRebalance':
        return new Promise((resolve) => {
          this.#rebalancer.answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.syncWaiter = resolve;
          this.#rebalancer.markSynced(group, memberId);
          if (group.isLeader(memberId)) this.#rebalancer.completeAssignment(group, request.assignments);
        });
    }
  }

  // --- Heartbeat ----------------------------------------------------------------------

  heartbeat(request: HeartbeatRequest): HeartbeatAnswer {
    const groupIdError = this.#table.checkGroupId(request.groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return { errorCode: groupIdError };
    if (this.#table.isClosed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const group = this.#table.get(request.groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const memberError = group.memberError(request.memberId, request.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return { errorCode: memberError };
    if (request.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    if (group.is('Empty')) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    this.#rebalancer.keepAlive(group, group.members.get(request.memberId)!);
    // During a rebalance the heartbeat is how a member learns it must rejoin.
    return { errorCode: group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE };
  }

  // --- LeaveGroup ---------------------------------------------------------------------

  leaveGroup(request: LeaveGroupRequest, context: Pick<RequestContext, 'apiVersion'>): LeaveAnswer {
    // v0–2 name one member and answer with its error at the top level; v3+ name a batch.
    const isSingle = context.apiVersion <= 2;
    const leaving: LeavingMember[] = isSingle ? [{ memberId: request.memberId, groupInstanceId: null }] : request.members;
    const topLevel = (errorCode: number, members: LeaveAnswer['members']): LeaveAnswer => ({
      errorCode: isSingle && errorCode === ErrorCode.NONE ? (members[0]?.errorCode ?? ErrorCode.NONE) : errorCode,
      members,
    });
    const groupIdError = this.#table.checkGroupId(request.groupId, { allowEmpty: false });
    if (groupIdError !== ErrorCode.NONE) return topLevel(groupIdError, []);
    if (this.#table.isClosed) return topLevel(ErrorCode.COORDINATOR_NOT_AVAILABLE, []);
    const group = this.#table.get(request.groupId);
    const answer = (identity: LeavingMember, errorCode: number): LeaveAnswer['members'][number] => ({
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
        this.#rebalancer.removeMemberAndUpdateGroup(group, group.members.get(currentId)!, 'leave');
        return answer(identity, ErrorCode.NONE);
      }
      if (group.removePendingMember(identity.memberId)) {
        if (group.is('PreparingRebalance')) this.#rebalancer.tryCompleteJoin(group);
        return answer(identity, ErrorCode.NONE);
      }
      const memberError = group.memberError(identity.memberId, identity.groupInstanceId);
      if (memberError !== ErrorCode.NONE) return answer(identity, memberError);
      this.#rebalancer.removeMemberAndUpdateGroup(group, group.members.get(identity.memberId)!, 'leave');
      return answer(identity, ErrorCode.NONE);
    });
    this.#table.forgetIfUnused(group);
    return topLevel(ErrorCode.NONE, responses);
  }
}

function validateSync(group: ClassicGroup, request: SyncGroupRequest): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const memberError = group.memberError(request.memberId, request.groupInstanceId);
  if (memberError !== ErrorCode.NONE) return memberError;
  if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (request.protocolType != null && request.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  if (request.protocolName != null && request.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  return ErrorCode.NONE;
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

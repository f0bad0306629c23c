// How a classic group moves between generations, and how its members are watched: the
// rebalance phases (Kafka's InitialDelayedJoin, DelayedJoin and DelayedSync), the handing
// out of the leader's assignment, each member's session timer, and taking a member out.
// The requests that set these going are membership.ts's; offsets.ts keeps a committing
// member's session alive through here too.
//
// Durability. The group's membership is stored (group-table.ts, group-snapshot.ts) at every
// step a restart should come back to: a rebalance starting, a generation starting, a member
// removed, and a generation Stable, which is written before any member is answered its
// assignment (Kafka's storeGroup in doSyncGroup). Restored groups get fresh session timers.
//
// Timing. Each member has one timer for its session, re-armed by every sign of life; each
// rebalancing group has one timer for the phase it waits in. Nothing polls. All state
// changes happen on the event loop's one thread, so no request ever sees another half done.
import { assert } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { GroupTable } from './group-table.ts';
import { EMPTY_BYTES, type ClassicGroup, type GroupMember, type JoinAnswer, type JoinPhase, type SyncAnswer } from './group.ts';
import type { MemberRemovalReason } from './metrics.ts';

export class Rebalancer {
  readonly #table: GroupTable;

  constructor(table: GroupTable) {
    this.#table = table;
  }

  // --- Rebalance phases ---------------------------------------------------------------

  maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  /**
   * A group restored from the store: each member's session starts now, as Kafka's does when a
   * coordinator loads the group, so members that heartbeat carry on and those gone time out.
   * A group stored between generations rebalances at once.
   */
  resume(group: ClassicGroup, rebalancePending: boolean): void {
    for (const member of group.members.values()) this.keepAlive(group, member);
    if (rebalancePending) this.prepareRebalance(group, 'the group was between generations when the coordinator stopped');
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    assert(group.joinPhase === undefined, `group ${group.groupId} is already preparing a rebalance`);
    // Members waiting for an assignment are told to rejoin instead.
    if (group.is('CompletingRebalance')) this.#propagateAssignment(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#cancelSyncExpiry(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.#table.metrics.rebalances.inc({ reason: wasEmpty ? 'first-member' : 'membership' });
    this.#table.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'consumer group rebalancing');
    this.#table.events.emit('rebalanceStarted', { groupId: group.groupId, generationId: group.generationId, reason });
    this.#table.rememberMembership(group);
    if (wasEmpty) {
      const delayMs = this.#table.config.initialRebalanceDelayMs;
      this.#startJoinPhase(group, 'initial', delayMs, Math.max(group.rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.#startJoinPhase(group, 'rejoin', group.rebalanceTimeoutMs, 0);
      this.tryCompleteJoin(group);
    }
  }

  #startJoinPhase(group: ClassicGroup, kind: JoinPhase['kind'], delayMs: number, remainingMs: number): void {
    const phase: JoinPhase = { kind, delayMs, remainingMs, timer: setTimeout(() => this.#onJoinPhaseExpired(group, phase), delayMs) };
    group.joinPhase = phase;
  }

  /** Completes the join phase early once everyone is in; the initial delay always runs to its end. */
  tryCompleteJoin(group: ClassicGroup): void {
    if (group.joinPhase?.kind === 'rejoin' && group.hasAllMembersJoined) this.#completeJoin(group);
  }

  #onJoinPhaseExpired(group: ClassicGroup, phase: JoinPhase): void {
    if (group.joinPhase !== phase) return;
    if (phase.kind === 'initial' && group.newMemberAdded && phase.remainingMs > 0) {
      // Newcomers arrived during the delay: wait once more for the ones still starting up.
      group.newMemberAdded = false;
      const delayMs = Math.min(this.#table.config.initialRebalanceDelayMs, phase.remainingMs);
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
      if (!member.isAwaitingJoin && member.groupInstanceId === null) this.dropMember(group, member, 'rebalance-timeout');
    }
    if (!group.electJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them, or for their sessions to end.
      this.#table.logger.warn({ groupId: group.groupId }, 'no member rejoined the consumer group within the rebalance timeout');
      this.#startJoinPhase(group, 'rejoin', group.rebalanceTimeoutMs, 0);
      return;
    }
    group.initNextGeneration();
    const memberIds = [...group.members.keys()];
    this.#table.events.emit('generationStarted', { groupId: group.groupId, generationId: group.generationId, memberIds });
    if (group.is('Empty')) {
      this.#table.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'consumer group is empty');
      this.#table.rememberMembership(group);
      this.#table.forgetIfUnused(group);
      return;
    }
    this.#table.logger.info({ groupId: group.groupId, generationId: group.generationId, members: memberIds.length, protocol: group.protocolName }, 'consumer group has a new generation');
    const leaderMetadata = group.currentMemberMetadata();
    for (const member of group.members.values()) {
      this.answerJoin(member, joinResult(group, member, { members: group.isLeader(member.memberId) ? leaderMetadata : [] }));
      this.keepAlive(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.#table.rememberMembership(group);
    // Every member must now send SyncGroup within the rebalance timeout (Kafka's DelayedSync).
    const generationId = group.generationId;
    group.syncTimer = setTimeout(() => this.#onSyncExpired(group, generationId), group.rebalanceTimeoutMs);
  }

  #onSyncExpired(group: ClassicGroup, generationId: number): void {
    group.syncTimer = undefined;
    if (!this.#table.isCurrent(group) || group.generationId !== generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const late = [...group.pendingSyncMembers];
    for (const memberId of late) {
      const member = group.members.get(memberId);
      if (member !== undefined) this.dropMember(group, member, 'sync-timeout');
    }
    this.prepareRebalance(group, `members ${late.join(', ')} did not send SyncGroup within the rebalance timeout`);
  }

  #cancelSyncExpiry(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
  }

  /** The member has sent its SyncGroup for this generation. */
  markSynced(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      clearTimeout(group.syncTimer);
      group.syncTimer = undefined;
    }
  }

  /**
   * The leader's assignment arrived: store the generation with it durably, then make the group
   * Stable and answer every waiting member with its own part, so that no member is told an
   * assignment a restart would take back. When the write fails the members are told to find
   * the coordinator again and the group rebalances (Kafka answers a failed storeGroup so).
   */
  completeAssignment(group: ClassicGroup, assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>): void {
    const assigned = new Map<string, Buffer>();
    for (const { memberId, assignment } of assignments) {
      if (!group.members.has(memberId)) continue;
      if (assignment.byteLength > this.#table.config.memberAssignmentBytesMax) {
        this.#table.refuse('member-assignment-bytes', `group ${group.groupId}: the leader assigned ${assignment.byteLength} bytes to member ${memberId}, above memberAssignmentBytesMax (${this.#table.config.memberAssignmentBytesMax})`);
        this.#propagateAssignment(group, ErrorCode.MESSAGE_TOO_LARGE);
        this.maybePrepareRebalance(group, 'the leader sent an assignment above the size limit');
        return;
      }
      // A copy, so that the request's buffer can be reused and is not kept alive by the group.
      assigned.set(memberId, Buffer.copyBytesFrom(assignment));
    }
    for (const member of group.members.values()) member.assignment = assigned.get(member.memberId) ?? EMPTY_BYTES;
    const generationId = group.generationId;
    // Only the generation the write was for may still become Stable: anything that moved the group on meanwhile answered its members already.
    const stillAssigning = (): boolean => this.#table.isCurrent(group) && group.generationId === generationId && group.is('CompletingRebalance');
    // Written as the Stable generation it becomes; until then it waits in CompletingRebalance, so that a SyncGroup meanwhile waits too.
    this.#table.storeMembership(group, { asStable: true }).then(() => {
      if (!stillAssigning()) return;
      group.transitionTo('Stable');
      this.#propagateAssignment(group, ErrorCode.NONE);
      this.#table.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'consumer group is stable');
      this.#table.events.emit('groupStable', { groupId: group.groupId, generationId: group.generationId });
    }, (error: unknown) => {
      if (!stillAssigning()) return;
      this.#table.logger.error({ groupId: group.groupId, generationId, err: error }, 'storing the consumer group\'s new generation failed; its members rebalance');
      this.#propagateAssignment(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      this.maybePrepareRebalance(group, 'storing the new generation failed');
    });
  }

  /** Answers every waiting SyncGroup: with its assignment, or with the error and no assignment. */
  #propagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) {
      if (errorCode !== ErrorCode.NONE) member.assignment = EMPTY_BYTES;
      const answered = this.answerSync(member, {
        errorCode,
        protocolType: errorCode === ErrorCode.NONE ? group.protocolType : null,
        protocolName: errorCode === ErrorCode.NONE ? group.protocolName : null,
        assignment: member.assignment,
      });
      // A member that waited in SyncGroup could not heartbeat; its session starts again now.
      if (answered) this.keepAlive(group, member);
    }
  }

  // --- Sessions and removal -----------------------------------------------------------

  /** A sign of life from the member: its session starts again, with its own timeout. */
  keepAlive(group: ClassicGroup, member: GroupMember): void {
    this.watchSession(group, member, member.sessionTimeoutMs);
  }

  /** (Re)arms the member's session timer; a new member is given the join timeout instead of its session. */
  watchSession(group: ClassicGroup, member: GroupMember, timeoutMs: number): void {
    member.clearSessionTimer();
    member.sessionTimer = setTimeout(() => this.#onSessionExpired(group, member), timeoutMs);
  }

  #onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    member.sessionTimer = undefined;
    if (!this.#table.isCurrent(group) || group.members.get(member.memberId) !== member) return;
    // A member parked in a rebalance is alive; its session starts again when the rebalance answers it.
    if (member.isExcusedFromHeartbeat) return;
    const reason: MemberRemovalReason = member.isNew ? 'join-timeout' : 'session-timeout';
    this.removeMemberAndUpdateGroup(group, member, reason);
  }

  /** Removes a member and moves the group on (Kafka's removeMemberAndUpdateGroup). */
  removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: MemberRemovalReason): void {
    this.dropMember(group, member, reason);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, `member ${member.memberId} left (${reason})`);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
    this.#table.rememberMembership(group);
    this.#table.forgetIfUnused(group);
  }

  /** Takes a member out, answering whatever it still waits for so that its client rejoins. */
  dropMember(group: ClassicGroup, member: GroupMember, reason: MemberRemovalReason): void {
    this.answerJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.#table.metrics.membersRemoved.inc({ reason });
    this.#table.logger.info({ groupId: group.groupId, memberId: member.memberId, reason }, 'member removed from consumer group');
    this.#table.events.emit('memberRemoved', { groupId: group.groupId, memberId: member.memberId, reason });
  }

  /** Stops the group's timers and answers every waiting request with NOT_COORDINATOR, as when a coordinator moves. */
  abandon(group: ClassicGroup): void {
    if (group.joinPhase !== undefined) clearTimeout(group.joinPhase.timer);
    group.joinPhase = undefined;
    clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
    for (const memberId of [...group.pendingMembers.keys()]) group.removePendingMember(memberId);
    for (const member of group.members.values()) {
      member.clearSessionTimer();
      // The client looks for the coordinator again.
      this.answerJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      this.answerSync(member, syncError(ErrorCode.NOT_COORDINATOR));
    }
  }

  // --- Answers to waiting requests ----------------------------------------------------

  /** Answers the member's waiting JoinGroup, if it has one. */
  answerJoin(member: GroupMember, response: JoinAnswer): boolean {
    const waiter = member.joinWaiter;
    if (waiter === undefined) return false;
    member.joinWaiter = undefined;
    waiter(response);
    return true;
  }

  /** Answers the member's waiting SyncGroup, if it has one. */
  answerSync(member: GroupMember, response: SyncAnswer): boolean {
    const waiter = member.syncWaiter;
    if (waiter === undefined) return false;
    member.syncWaiter = undefined;
    waiter(response);
    return true;
  }
}

/** A JoinGroup answer for a member of the current generation. */
export function joinResult(group: ClassicGroup, member: GroupMember, options: { members: JoinAnswer['members']; leader?: string; skipAssignment?: boolean }): JoinAnswer {
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

export function joinError(memberId: string, errorCode: number): JoinAnswer {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncAnswer {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

// The state of one classic consumer group and its members, and the bookkeeping rules
// that hold whatever request is being answered: which states may follow which, which
// protocol the group uses, who leads, who is a member. Membership and the rebalance
// machinery (membership.ts, rebalance.ts) drive it; this file starts no timer and answers
// no request, but clears the timers it is given when the thing they watch goes away.
//
// The model is Apache Kafka's classic group (GroupMetadata and MemberMetadata in its
// broker), reduced to one node. What of it outlives a restart is group-snapshot.ts's.
import { assert } from '../../../shared/errors.ts';
import type { AnswerOf } from '../../../shared/kafka/apis/index.ts';
import type { joinGroupApi } from '../../../shared/kafka/apis/join-group.ts';
import type { syncGroupApi } from '../../../shared/kafka/apis/sync-group.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';

export const GroupStates = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] as const;
export type GroupState = (typeof GroupStates)[number];

/** Kafka's state machine: each state and the states it may be entered from. */
const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** Shared by every empty assignment and metadata; never written to. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

/** What a JoinGroup is answered with; the server adds the throttle time. */
export type JoinAnswer = AnswerOf<typeof joinGroupApi>;
/** What a SyncGroup is answered with; the server adds the throttle time. */
export type SyncAnswer = AnswerOf<typeof syncGroupApi>;

export type JoinWaiter = (response: JoinAnswer) => void;
export type SyncWaiter = (response: SyncAnswer) => void;

/** Who a member is and how long it may be silent: what it joined with, and what a restart must keep (group-snapshot.ts). */
export interface MemberFields {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
}

export class GroupMember {
  /** Changes only when a static member rejoins without its id and gets a new one. */
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: MemberProtocol[];
  assignment: Buffer = EMPTY_BYTES;
  /** The pending JoinGroup, answered when the rebalance completes. */
  joinWaiter: JoinWaiter | undefined;
  /** The pending SyncGroup, answered when the leader's assignment arrives. */
  syncWaiter: SyncWaiter | undefined;
  /** Joined in the current rebalance for the first time; such a member is watched by the join timeout, not its session. */
  isNew = false;
  /** Fires when the member has been silent too long; re-armed by every sign of life. */
  sessionTimer: NodeJS.Timeout | undefined;

  constructor(fields: MemberFields & { protocolType: string; protocols: MemberProtocol[] }) {
    this.memberId = fields.memberId;
    this.groupInstanceId = fields.groupInstanceId;
    this.clientId = fields.clientId;
    this.clientHost = fields.clientHost;
    this.rebalanceTimeoutMs = fields.rebalanceTimeoutMs;
    this.sessionTimeoutMs = fields.sessionTimeoutMs;
    this.protocolType = fields.protocolType;
    this.protocols = fields.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== undefined;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== undefined;
  }

  /**
   * Whether a session expiry should be ignored. A member parked in a JoinGroup or SyncGroup
   * cannot heartbeat, so it counts as alive until the rebalance answers it; a new member is
   * the exception, because its JoinGroup may belong to a client that has already gone.
   */
  get isExcusedFromHeartbeat(): boolean {
    return !this.isNew && (this.isAwaitingJoin || this.isAwaitingSync);
  }

  metadataFor(protocolName: string): Buffer {
    const protocol = this.protocols.find((candidate) => candidate.name === protocolName);
    assert(protocol !== undefined, `member ${this.memberId} does not support protocol ${protocolName}`);
    return protocol.metadata;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((protocol, index) => {
      const mine = this.protocols[index]!;
      return protocol.name === mine.name && Buffer.compare(protocol.metadata, mine.metadata) === 0;
    });
  }

  /** The member's most preferred protocol among those every member supports. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((protocol) => candidates.has(protocol.name));
    assert(choice !== undefined, `member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }

  clearSessionTimer(): void {
    clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
  }
}

/** What a rebalance in PreparingRebalance is waiting for. */
export interface JoinPhase {
  /**
   * initial: a group leaving Empty waits the initial delay for more members, and waits
   * again while new members keep arriving, up to the rebalance timeout (Kafka's
   * InitialDelayedJoin). rejoin: the group waits for every known member to rejoin, at
   * most the rebalance timeout (Kafka's DelayedJoin).
   */
  kind: 'initial' | 'rejoin';
  timer: NodeJS.Timeout;
  /** For 'initial': the delay that may still be added by later arrivals. */
  remainingMs: number;
  /** For 'initial': the delay of the wait now running. */
  delayMs: number;
}

export class ClassicGroup {
  readonly groupId: string;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion order decides the next leader when the leader goes. */
  readonly members = new Map<string, GroupMember>();
  /** KIP-345: group instance id to the member id currently holding it. */
  readonly staticMembers = new Map<string, string>();
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED, each with the timer that forgets it. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Members that joined this generation and have not yet sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** Set while waiting for a first generation's members, so that the initial delay is extended. */
  newMemberAdded = false;
  joinPhase: JoinPhase | undefined;
  /** Fires when the members of a new generation have been given their rebalance timeout to sync. */
  syncTimer: NodeJS.Timeout | undefined;
  /** OffsetCommit writes under way; a group is not forgotten while one is. */
  commitsInFlight = 0;
  /** How many members support each protocol name. */
  readonly #protocolSupport = new Map<string, number>();

  constructor(groupId: string, protocolType: string | null = null) {
    this.groupId = groupId;
    this.protocolType = protocolType;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState): void {
    assert(VALID_PREVIOUS_STATES[state].includes(this.state), `group ${this.groupId} cannot go from ${this.state} to ${state}`);
    this.state = state;
  }

  /** A rebalance can start from here (Kafka's canRebalance). */
  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /**
   * NONE when the member exists and, for a static member, the instance id still belongs to
   * this member id (KIP-345: a newer instance with the same id fences the older one); else
   * the error its request is answered with.
   */
  memberError(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const currentMemberId = this.staticMembers.get(groupInstanceId);
      if (currentMemberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (currentMemberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  get awaitingJoinCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.isAwaitingJoin) count += 1;
    return count;
  }

  /** Everyone known has sent its JoinGroup and no one is still fetching a member id. */
  get hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount === this.members.size && this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout of any member: the group waits as long as its most patient member allows. */
  get rebalanceTimeoutMs(): number {
    let timeout = 0;
    for (const member of this.members.values()) timeout = Math.max(timeout, member.rebalanceTimeoutMs);
    return timeout;
  }

  /** Whether a member with this protocol type and these protocols may join (Kafka's supportsProtocols). */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocolNames.length > 0;
    return this.protocolType === protocolType && protocolNames.some((name) => (this.#protocolSupport.get(name) ?? 0) === this.members.size);
  }

  add(member: GroupMember, joinWaiter: JoinWaiter | undefined): void {
    assert(!this.members.has(member.memberId), `member ${member.memberId} is already in group ${this.groupId}`);
    if (member.groupInstanceId !== null) {
      assert(!this.staticMembers.has(member.groupInstanceId), `instance ${member.groupInstanceId} is already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, 'a member joined with another protocol type');
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.#countProtocols(member, 1);
    member.joinWaiter = joinWaiter;
    this.removePendingMember(member.memberId);
  }

  /** Takes a member out of the group's books. Its waiters and timer are the caller's to settle first. */
  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.#countProtocols(member, -1);
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
      member.clearSessionTimer();
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.removePendingMember(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  updateMember(member: GroupMember, protocols: MemberProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, joinWaiter: JoinWaiter | undefined): void {
    this.#countProtocols(member, -1);
    member.protocols = protocols;
    this.#countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    member.joinWaiter = joinWaiter;
  }

  /** KIP-345: a static member came back without its member id; it keeps its place under a new id. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId);
    assert(member !== undefined, `cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  addPendingMember(memberId: string, timer: NodeJS.Timeout): void {
    assert(!this.members.has(memberId), `pending member ${memberId} is already a member`);
    this.pendingMembers.set(memberId, timer);
  }

  removePendingMember(memberId: string): boolean {
    const timer = this.pendingMembers.get(memberId);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.pendingMembers.delete(memberId);
    return true;
  }

  /**
   * Makes sure the leader is a member that rejoined; returns false when no member rejoined
   * (or the group has no members), so the generation cannot advance.
   */
  electJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.isAwaitingJoin) return true;
    for (const member of this.members.values()) {
      if (member.isAwaitingJoin) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** The protocol every member supports that most members prefer. */
  selectProtocol(): string {
    assert(this.members.size > 0, `cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, count] of this.#protocolSupport) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = 0;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    assert(best !== undefined, 'a non-empty group has a protocol');
    return best;
  }

  /** Starts the next generation: CompletingRebalance with the members there are, or Empty without any. */
  initNextGeneration(): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** Every member's metadata for the chosen protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinAnswer['members'] {
    assert(this.protocolName !== null && (this.is('CompletingRebalance') || this.is('Stable')), `group ${this.groupId} has no current generation`);
    const protocolName = this.protocolName;
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(protocolName),
    }));
  }

  /** Members plus members-to-be: what the size limits count. */
  get headCount(): number {
    return this.members.size + this.pendingMembers.size;
  }

  #countProtocols(member: GroupMember, delta: 1 | -1): void {
    for (const protocol of member.protocols) {
      const count = (this.#protocolSupport.get(protocol.name) ?? 0) + delta;
      if (count === 0) this.#protocolSupport.delete(protocol.name);
      else this.#protocolSupport.set(protocol.name, count);
    }
  }
}

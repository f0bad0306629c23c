// The groups this coordinator knows and what every part of it shares: the settings, the
// offset store, the metrics, the log and the events. Membership, offsets and listing each
// act on the groups through this table; none of them holds state of its own about groups.
//
// A group is known while it has members, members-to-be or committed offsets. One that has
// none of these is forgotten at once (Kafka forgets it at its next cleanup pass).
//
// Groups come back after a restart as they were last stored (group-snapshot.ts): with the
// members of their last generation, or Empty when they only have committed offsets.
import { EventEmitter } from 'node:events';
import type { Logger } from '../../../shared/logger.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { GroupCoordinatorConfig } from './config.ts';
import { ClassicGroup } from './group.ts';
import { restoreGroup, snapshotOf } from './group-snapshot.ts';
import type { GroupMetrics, MemberRemovalReason, RefusedLimit } from './metrics.ts';
import type { OffsetStore } from './offset-store.ts';

/** A warning about a refused request is logged at most this often, so a retrying client cannot flood the log. */
const LIMIT_WARNING_INTERVAL_MS = 60_000;

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

export interface GroupTableParts {
  config: GroupCoordinatorConfig;
  store: OffsetStore;
  metrics: GroupMetrics;
  logger: Logger;
}

export class GroupTable {
  readonly events = new EventEmitter<GroupCoordinatorEvents>();
  readonly config: GroupCoordinatorConfig;
  readonly store: OffsetStore;
  readonly metrics: GroupMetrics;
  readonly logger: Logger;
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #lastLimitWarningMs = new Map<RefusedLimit, number>();
  /** Groups restored with members, and whether each was between generations when stored; taken once by takeRestored. */
  #restored: { group: ClassicGroup; rebalancePending: boolean }[] = [];
  #closed = false;

  constructor(parts: GroupTableParts) {
    this.config = parts.config;
    this.store = parts.store;
    this.metrics = parts.metrics;
    this.logger = parts.logger;
    // Groups that committed offsets before a restart exist again, Empty, so that ListGroups
    // and DescribeGroups show them and their members can find their offsets.
    for (const [groupId, protocolType] of parts.store.groups()) {
      this.#groups.set(groupId, new ClassicGroup(groupId, protocolType === '' ? null : protocolType));
    }
    // Stored memberships replace those: the group continues its generation.
    for (const snapshot of parts.store.takeLoadedSnapshots()) {
      const group = restoreGroup(snapshot);
      this.#groups.set(group.groupId, group);
      if (group.members.size > 0) this.#restored.push({ group, rebalancePending: snapshot.rebalancePending });
    }
  }

  /** The groups restored with members, for their sessions to be started; empty after the first call. */
  takeRestored(): { group: ClassicGroup; rebalancePending: boolean }[] {
    const restored = this.#restored;
    this.#restored = [];
    return restored;
  }

  /**
   * Stores the group's membership as it stands now, durably (forgotten with the group when it
   * is no longer known). Resolves once written; a failure is the caller's to answer.
   */
  storeMembership(group: ClassicGroup, options: { asStable?: boolean } = {}): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.store.storeMembership(group.groupId, this.isCurrent(group) ? snapshotOf(group, options) : undefined);
  }

  /** storeMembership for a change no request waits on: a failure is logged, and the next change of the group writes it again. */
  rememberMembership(group: ClassicGroup): void {
    this.storeMembership(group).catch((error: unknown) => {
      this.logger.error({ groupId: group.groupId, err: error }, `the membership of consumer group ${group.groupId} could not be stored; after a restart its members may have to rejoin`);
    });
  }

  /** True once the coordinator is closing: every request is then answered COORDINATOR_NOT_AVAILABLE. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Stops taking requests and returns the groups, for their timers and waiters to be settled; the table is then empty. */
  close(): ClassicGroup[] {
    this.#closed = true;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    return groups;
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Whether `group` is still the one known under its id (a timer may outlive a deleted group). */
  isCurrent(group: ClassicGroup): boolean {
    return this.#groups.get(group.groupId) === group;
  }

  all(): IterableIterator<ClassicGroup> {
    return this.#groups.values();
  }

  /**
   * A new Empty group, or undefined when the table already holds groupsMax groups (the
   * refusal is counted and logged, naming `what` wanted the group).
   */
  create(groupId: string, what: string): ClassicGroup | undefined {
    if (this.#groups.size >= this.config.groupsMax) {
      this.refuse('groups', `group ${groupId} cannot be created by ${what}: the coordinator already has groupsMax (${this.config.groupsMax}) groups; delete unused groups`);
      return undefined;
    }
    const group = new ClassicGroup(groupId);
    this.#groups.set(groupId, group);
    return group;
  }

  /** Puts `group` in place of whatever is known under its id. */
  replace(group: ClassicGroup): void {
    this.#groups.set(group.groupId, group);
  }

  /** Forgets `group` if it is still the one known under its id. */
  delete(group: ClassicGroup): void {
    if (this.isCurrent(group)) this.#groups.delete(group.groupId);
  }

  /** INVALID_GROUP_ID for an id no group may have, else NONE. Some requests allow the empty id (clients older than group management). */
  checkGroupId(groupId: string, { allowEmpty }: { allowEmpty: boolean }): number {
    if (!allowEmpty && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (groupId.length > this.config.groupIdLengthMax) return ErrorCode.INVALID_GROUP_ID;
    return ErrorCode.NONE;
  }

  /** An Empty group with no one waiting to join and no committed offsets has nothing worth keeping. */
  forgetIfUnused(group: ClassicGroup): void {
    if (!this.isCurrent(group)) return;
    if (!group.is('Empty') || group.headCount > 0 || group.commitsInFlight > 0 || this.store.hasOffsets(group.groupId)) return;
    this.#groups.delete(group.groupId);
    this.rememberMembership(group);
    this.events.emit('groupRemoved', { groupId: group.groupId, reason: 'empty' });
  }

  /** Members and members-to-be of every group: what membersTotalMax counts. */
  headCountTotal(): number {
    let count = 0;
    for (const group of this.#groups.values()) count += group.headCount;
    return count;
  }

  /** Counts a request refused at a limit, and says so in the log at most once a minute per limit. */
  refuse(limit: RefusedLimit, message: string): void {
    this.metrics.limitRefusals.inc({ limit });
    const nowMs = Date.now();
    const lastMs = this.#lastLimitWarningMs.get(limit);
    if (lastMs !== undefined && nowMs - lastMs < LIMIT_WARNING_INTERVAL_MS) return;
    this.#lastLimitWarningMs.set(limit, nowMs);
    this.logger.warn({ limit }, message);
  }
}

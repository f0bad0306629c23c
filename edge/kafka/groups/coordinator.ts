// The consumer-group coordinator of a single-node broker: what the Kafka server's group
// handlers call. It opens the offset store and puts the parts together, each in its file:
//
//   group-table.ts   the groups known, and what every part shares (settings, store, metrics, events)
//   membership.ts    JoinGroup, SyncGroup, Heartbeat, LeaveGroup (the classic group protocol)
//   rebalance.ts     rebalance phases, sessions and member removal, which those requests set going
//   offsets.ts       OffsetCommit, OffsetFetch, OffsetDelete
//   listing.ts       ListGroups, DescribeGroups, DeleteGroups
//
// It behaves as Apache Kafka's classic GroupCoordinator does for one broker, with the
// same error codes in the same situations, so that every Kafka client's group logic works
// unchanged. What differs, because there is one node:
// - There is no __consumer_offsets topic: a group's membership (Kafka's GroupMetadata) and
//   its offsets are kept in the group store (offset-store.ts). After a restart a group comes
//   back with its last generation's members, whose sessions start again from the restart,
//   as Kafka's do when a coordinator loads the group.
// - A group that is Empty and has no committed offsets is forgotten at once, where Kafka
//   forgets it at its next cleanup pass.
// - Committed offsets are kept until their group is deleted (no offsets.retention.minutes).
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/logger.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { resolveGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.ts';
import { GroupStates, type GroupState } from './group.ts';
import { GroupTable, type GroupCoordinatorEvents } from './group-table.ts';
import { GroupListing } from './listing.ts';
import { Membership } from './membership.ts';
import { GroupMetrics } from './metrics.ts';
import { OffsetCommits } from './offsets.ts';
import { OffsetStore } from './offset-store.ts';
import { Rebalancer } from './rebalance.ts';

export type { GroupCoordinatorEvents } from './group-table.ts';
export type { RequestContext } from './membership.ts';
export type { MemberRemovalReason } from './metrics.ts';
export type { OffsetRow, OffsetWrite } from './offset-store.ts';
export { OFFSET_ROW_COLUMNS, offsetWriteOfRow } from './offset-store.ts';

/** Where the committed offsets live, under the data directory. */
export const GROUPS_DATABASE_PATH = join('meta', 'groups.sqlite');

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

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  /** What happens to groups, for metrics, logs and tests. */
  readonly events: EventEmitter<GroupCoordinatorEvents>;
  readonly #table: GroupTable;
  readonly #rebalancer: Rebalancer;
  readonly #membership: Membership;
  readonly #offsets: OffsetCommits;
  readonly #listing: GroupListing;

  private constructor(store: OffsetStore, options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    const metrics = new GroupMetrics(options.registry, {
      groupsByState: () => {
        const counts = new Map<GroupState, number>(GroupStates.map((state) => [state, 0]));
        for (const group of this.#table.all()) counts.set(group.state, (counts.get(group.state) ?? 0) + 1);
        return counts;
      },
      memberCount: () => this.#table.headCountTotal(),
    });
    this.#table = new GroupTable({ config: this.config, store, metrics, logger: options.logger ?? silentLogger() });
    this.events = this.#table.events;
    this.#rebalancer = new Rebalancer(this.#table);
    for (const { group, rebalancePending } of this.#table.takeRestored()) this.#rebalancer.resume(group, rebalancePending);
    this.#membership = new Membership(this.#table, this.#rebalancer);
    this.#offsets = new OffsetCommits(this.#table, this.#rebalancer, { partitionExists: options.partitionExists ?? (() => true), now: options.now ?? Date.now });
    this.#listing = new GroupListing(this.#table);
  }

  static async open(options: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const store = await OffsetStore.open(join(options.dataDir, GROUPS_DATABASE_PATH));
    return new GroupCoordinator(store, options);
  }

  /** False once closed: FindCoordinator should then answer COORDINATOR_NOT_AVAILABLE. */
  get isActive(): boolean {
    return !this.#table.isClosed;
  }

  // Each request goes to the part that answers it; the signatures are the parts'.
  readonly joinGroup: Membership['joinGroup'] = (request, context) => this.#membership.joinGroup(request, context);
  readonly syncGroup: Membership['syncGroup'] = (request) => this.#membership.syncGroup(request);
  readonly heartbeat: Membership['heartbeat'] = (request) => this.#membership.heartbeat(request);
  readonly leaveGroup: Membership['leaveGroup'] = (request, context) => this.#membership.leaveGroup(request, context);
  readonly commitOffsets: OffsetCommits['commitOffsets'] = (request) => this.#offsets.commitOffsets(request);
  readonly fetchOffsets: OffsetCommits['fetchOffsets'] = (request) => this.#offsets.fetchOffsets(request);
  readonly deleteOffsets: OffsetCommits['deleteOffsets'] = (request) => this.#offsets.deleteOffsets(request);
  readonly checkTransactionalCommit: OffsetCommits['checkTransactionalCommit'] = (request) => this.#offsets.checkTransactionalCommit(request);
  readonly commitTransactionalOffsets: OffsetCommits['commitTransactionalOffsets'] = (groupId, writes) => this.#offsets.commitTransactionalOffsets(groupId, writes);
  readonly listGroups: GroupListing['listGroups'] = (request) => this.#listing.listGroups(request);
  readonly describeGroups: GroupListing['describeGroups'] = (request) => this.#listing.describeGroups(request);
  readonly deleteGroups: GroupListing['deleteGroups'] = (groupIds) => this.#listing.deleteGroups(groupIds);

  /** Stops every timer, answers every waiting request with NOT_COORDINATOR and closes the database. */
  async close(): Promise<void> {
    if (this.#table.isClosed) return;
    for (const group of this.#table.close()) this.#rebalancer.abandon(group);
    await this.#table.store.close();
  }
}

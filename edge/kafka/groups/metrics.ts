// Prometheus metrics of the group coordinator. They are registered in the registry the
// daemon passes in; without one they are kept but exported nowhere.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GroupState } from './group.ts';

export type MemberRemovalReason = 'leave' | 'session-timeout' | 'join-timeout' | 'rebalance-timeout' | 'sync-timeout' | 'capacity';
export type RefusedLimit = 'groups' | 'members-per-group' | 'members-total' | 'member-metadata-bytes' | 'member-assignment-bytes' | 'offset-metadata-length' | 'write-queue';

export interface GroupCensus {
  groupsByState(): ReadonlyMap<GroupState, number>;
  memberCount(): number;
}

export class GroupMetrics {
  readonly rebalances: Counter<'reason'>;
  readonly membersRemoved: Counter<'reason'>;
  readonly offsetsCommitted: Counter;
  readonly limitRefusals: Counter<'limit'>;

  constructor(registry: Registry | undefined, census: GroupCensus) {
    const registers = registry === undefined ? [] : [registry];
    this.rebalances = new Counter({
      name: 'tributary_group_rebalances_total',
      help: 'Rebalances started in consumer groups, by what started them.',
      labelNames: ['reason'],
      registers,
    });
    this.membersRemoved = new Counter({
      name: 'tributary_group_members_removed_total',
      help: 'Members removed from consumer groups, by why.',
      labelNames: ['reason'],
      registers,
    });
    this.offsetsCommitted = new Counter({
      name: 'tributary_group_offsets_committed_total',
      help: 'Partition offsets committed durably by consumer groups.',
      registers,
    });
    this.limitRefusals = new Counter({
      name: 'tributary_group_limit_refusals_total',
      help: 'Requests refused because a consumer-group limit was reached, by limit.',
      labelNames: ['limit'],
      registers,
    });
    new Gauge({
      name: 'tributary_groups',
      help: 'Consumer groups known to the coordinator, by state.',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of census.groupsByState()) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'tributary_group_members',
      help: 'Members of all consumer groups.',
      registers,
      collect() {
        this.set(census.memberCount());
      },
    });
  }
}

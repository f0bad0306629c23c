// A classic group's membership as the group store keeps it across a restart, and the way
// back from it. Apache Kafka writes the same to __consumer_offsets (its GroupMetadata value:
// protocol type, generation, protocol, leader, and per member its id, instance id, client id
// and host, session and rebalance timeouts, subscription and assignment) and reloads it when
// a coordinator takes the partition over, so that members keep heartbeating under the same
// member id and generation across a failover.
//
// A group is written when it reaches a state worth coming back to: Stable (before the
// members are answered their assignments), Empty, and every change of its members in
// between (a member left, timed out or was replaced), so that a member gone before a crash
// does not come back with it. Members that joined a rebalance still under way have no
// generation yet and are not written: their clients rejoin, as they would after a move.
import { assert } from '../../../shared/errors.ts';
import { ClassicGroup, GroupMember, type MemberFields } from './group.ts';

export interface MemberSnapshot extends MemberFields {
  /** The member's metadata for the group's protocol (its subscription). */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupSnapshot {
  groupId: string;
  protocolType: string;
  /** Null for an Empty group. */
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  /**
   * The group was between generations when written (a member had gone, or a rebalance was
   * under way): after a restart it rebalances at once, with the members written.
   */
  rebalancePending: boolean;
  /** In the group's order, which decides the next leader. */
  members: MemberSnapshot[];
}

/**
 * The group as it should come back; undefined for a group with nothing to come back to (never
 * had a generation). `asStable`: the generation completing now, written before it is Stable.
 */
export function snapshotOf(group: ClassicGroup, { asStable = false }: { asStable?: boolean } = {}): GroupSnapshot | undefined {
  if (group.protocolType === null || group.generationId === 0 || group.is('Dead')) return undefined;
  const protocolName = group.protocolName;
  const members: MemberSnapshot[] = [];
  if (protocolName !== null) {
    for (const member of group.members.values()) {
      // A member that joined the rebalance under way has no generation to come back to.
      if (member.isNew || !member.protocols.some((protocol) => protocol.name === protocolName)) continue;
      members.push({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        sessionTimeoutMs: member.sessionTimeoutMs,
        subscription: member.metadataFor(protocolName),
        assignment: member.assignment,
      });
    }
  }
  const leaderId = members.some((member) => member.memberId === group.leaderId) ? group.leaderId : (members[0]?.memberId ?? null);
  return {
    groupId: group.groupId,
    protocolType: group.protocolType,
    protocolName: members.length === 0 ? null : protocolName,
    generationId: group.generationId,
    leaderId,
    rebalancePending: members.length > 0 && !asStable && !group.is('Stable'),
    members,
  };
}

/**
 * The group a snapshot describes: Stable with its members (their only protocol the
 * group's, with the subscription written), or Empty at its generation. Session timers are
 * the caller's to start, from now (Kafka starts them when the group is loaded).
 */
export function restoreGroup(snapshot: GroupSnapshot): ClassicGroup {
  const group = new ClassicGroup(snapshot.groupId, snapshot.protocolType);
  group.generationId = snapshot.generationId;
  if (snapshot.members.length === 0) return group;
  const protocolName = snapshot.protocolName;
  assert(protocolName !== null, `stored group ${snapshot.groupId} has members but no protocol`);
  for (const stored of snapshot.members) {
    const member = new GroupMember({
      memberId: stored.memberId,
      groupInstanceId: stored.groupInstanceId,
      clientId: stored.clientId,
      clientHost: stored.clientHost,
      rebalanceTimeoutMs: stored.rebalanceTimeoutMs,
      sessionTimeoutMs: stored.sessionTimeoutMs,
      protocolType: snapshot.protocolType,
      protocols: [{ name: protocolName, metadata: stored.subscription }],
    });
    member.assignment = stored.assignment;
    group.add(member, undefined);
  }
  group.protocolName = protocolName;
  group.leaderId = snapshot.leaderId !== null && group.members.has(snapshot.leaderId) ? snapshot.leaderId : group.members.keys().next().value!;
  // Loaded, not reached by a transition: Kafka's loadGroup sets the state the same way.
  group.state = 'Stable';
  return group;
}

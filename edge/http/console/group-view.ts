// A consumer group as the console shows it: per partition the committed offset, the log
// end and the lag (edge/cli/ops/group-lag.ts, the same as `tributary groups describe`),
// and who is assigned it. The mirror's own group is the one exception: its offsets are
// the mirror's report of what it delivered, committed every second for retention, so the
// lag shown is the mirror's backlog itself (the number `tributary mirror status` and
// tributary_mirror_lag_records give), never a second figure for the same thing.
import { partitionLag } from '../../cli/ops/group-lag.ts';
import type { MirrorReportJson } from '../../cli/ops/mirror-report.ts';
import type { GroupSnapshot, TopicSnapshot } from './providers.ts';

export interface GroupPartitionRow {
  topic: string;
  partition: number;
  committedOffset: bigint | null;
  logEndOffset: bigint | null;
  /** Null when the topic no longer exists: offsets can outlive it. */
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocolType: string;
  /** Set for the mirror's delivered-offsets group: its lag is the mirror's backlog. */
  mirror: boolean;
  members: GroupSnapshot['members'];
  partitions: GroupPartitionRow[];
  totalLag: bigint;
}

/** Log start and end of every partition, keyed "topic:partition". */
export function logOffsetsOf(topics: readonly TopicSnapshot[]): Map<string, { logStartOffset: bigint; logEndOffset: bigint }> {
  const offsets = new Map<string, { logStartOffset: bigint; logEndOffset: bigint }>();
  for (const topic of topics) for (const partition of topic.partitions) offsets.set(`${topic.name}:${partition.partition}`, partition);
  return offsets;
}

export function groupView(group: GroupSnapshot, logOffsets: ReadonlyMap<string, { logStartOffset: bigint; logEndOffset: bigint }>, mirror?: { deliveredGroup: string; report: MirrorReportJson | undefined }): GroupView {
  const isMirror = mirror !== undefined && group.groupId === mirror.deliveredGroup;
  const mirrorRows = new Map((isMirror ? mirror.report?.partitions ?? [] : []).map((row) => [`${row.topic}:${row.partition}`, row]));
  const committed = new Map(group.offsets.map((entry) => [`${entry.topic}:${entry.partition}`, entry.committedOffset]));
  const owners = new Map<string, { memberId: string; clientId: string }>();
  for (const member of group.members) {
    for (const assignment of member.assignments) for (const partition of assignment.partitions) owners.set(`${assignment.topic}:${partition}`, member);
  }
  // Lag is shown for every partition the group has committed to or is assigned, as the CLI does.
  const keys = new Set([...committed.keys(), ...owners.keys(), ...mirrorRows.keys()]);
  let totalLag = 0n;
  const partitions = [...keys].map((key): GroupPartitionRow => {
    const separator = key.lastIndexOf(':');
    const topic = key.slice(0, separator);
    const partition = Number(key.slice(separator + 1));
    const log = logOffsets.get(key);
    const mirrorRow = mirrorRows.get(key);
    const committedOffset = committed.get(key);
    const lag = mirrorRow !== undefined ? BigInt(mirrorRow.backlogRecords) : log === undefined ? null : partitionLag(log.logStartOffset, log.logEndOffset, committedOffset);
    if (lag !== null) totalLag += lag;
    const owner = owners.get(key);
    return { topic, partition, committedOffset: committedOffset ?? null, logEndOffset: log?.logEndOffset ?? null, lag, memberId: owner?.memberId ?? null, clientId: owner?.clientId ?? null };
  }).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { groupId: group.groupId, state: group.state, protocolType: group.protocolType, mirror: isMirror, members: group.members, partitions, totalLag };
}

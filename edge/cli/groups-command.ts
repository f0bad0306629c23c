// `tributary groups list|describe|reset-offsets`: consumer groups over the Kafka protocol,
// in the manner of Kafka's kafka-consumer-groups.sh. `describe` shows each partition's lag:
// the log end offset minus the group's committed offset.
import type { Admin } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { partitionOffsets, requireTopic, withAdmin } from './kafka-admin-client.ts';
import { DEFAULT_BOOTSTRAP, optionInvalid, parseBootstrap } from './ops/bootstrap.ts';
import { integerOption, offsetOption, parseCommandArgs, requiredName, timestampOption } from './ops/command-args.ts';
import { partitionLag } from './ops/group-lag.ts';
import { ProgressBar } from './ops/progress-bar.ts';

const USAGE = `usage: tributary groups <action> [options]

actions:
  list                                   group ids with their state
  describe --group NAME                  members, and per partition the committed offset,
                                         the log end offset and the lag between them
  reset-offsets --group NAME --topic T   move the group's committed offsets (the group
      [--partition N]                    must have no running members); prints the plan,
      --to-earliest | --to-latest |      and applies it only with --execute
      --to-offset N | --to-datetime TIME | --shift-by N
      [--execute]

options:
  --bootstrap HOST:PORT   the broker (default ${DEFAULT_BOOTSTRAP})
  --json                  print JSON instead of text (list, describe)`;

const OPTIONS = {
  bootstrap: { type: 'string', short: 'b', default: DEFAULT_BOOTSTRAP },
  group: { type: 'string', short: 'g' },
  topic: { type: 'string', short: 't' },
  partition: { type: 'string', short: 'p' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'to-datetime': { type: 'string' },
  'shift-by': { type: 'string' },
  execute: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Groups named in a "no group named X" message; beyond this the list says how many more. */
const GROUPS_LISTED_MAX = 20;

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** Null when the group has committed nothing for the partition. */
  committedOffset: string | null;
  logEndOffset: string;
  /** Records the group has yet to read: log end − committed (the whole log when nothing is committed). */
  lag: string;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupDescriptionJson {
  group: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string; assignments: { topic: string; partitions: number[] }[] }[];
  partitions: GroupPartitionLag[];
  totalLag: string;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const bootstrap = parseBootstrap(values.bootstrap);
  switch (action) {
    case 'list': {
      const groups = await withAdmin(bootstrap, 'listing groups', async (admin) => [...(await admin.listGroups()).values()].sort((a, b) => a.id.localeCompare(b.id)));
      if (values.json) console.log(JSON.stringify(groups.map((group) => ({ group: group.id, state: group.state, protocolType: group.protocolType }))));
      else console.log(groups.map((group) => `${group.id}\t${group.state}`).join('\n'));
      return 0;
    }
    case 'describe': {
      const group = requiredName('group', values.group, rest);
      const description = await withAdmin(bootstrap, `describing group ${group}`, (admin) => describeGroup(admin, group));
      console.log(values.json ? JSON.stringify(description, null, 2) : describeText(description));
      return 0;
    }
    case 'reset-offsets':
      return resetOffsets(bootstrap, values, rest);
    default:
      throw new TributaryError('CLI_OPTION_INVALID', `unknown action "${action}"; tributary groups --help lists the actions`);
  }
}

export async function describeGroup(admin: Admin, groupId: string): Promise<GroupDescriptionJson> {
  const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  // DescribeGroups answers an unknown group with state Dead and no members, as Kafka does;
  // a group that has committed offsets but has no members is Empty.
  if (!group || group.state.toLowerCase() === 'dead') throw await noSuchGroup(admin, groupId);
  const [offsets] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const owners = new Map<string, { memberId: string; clientId: string; host: string }>();
  const members = [...group.members.values()].map((member) => {
    const assignments = [...(member.assignments?.values() ?? [])].map((assignment) => ({ topic: assignment.topic, partitions: [...assignment.partitions].sort((a, b) => a - b) }));
    for (const assignment of assignments) {
      for (const partition of assignment.partitions) owners.set(`${assignment.topic}:${partition}`, { memberId: member.id, clientId: member.clientId, host: member.clientHost });
    }
    return { memberId: member.id, clientId: member.clientId, host: member.clientHost, assignments };
  });
  // Lag is shown for every partition the group has committed to or is assigned.
  const committed = new Map<string, bigint>();
  const topics = new Set<string>();
  for (const topic of offsets?.topics ?? []) {
    topics.add(topic.name);
    for (const partition of topic.partitions) if (partition.committedOffset >= 0n) committed.set(`${topic.name}:${partition.partitionIndex}`, partition.committedOffset);
  }
  for (const key of owners.keys()) topics.add(key.slice(0, key.lastIndexOf(':')));
  const partitions: GroupPartitionLag[] = [];
  let totalLag = 0n;
  const existing = new Set(await admin.listTopics());
  for (const topicName of [...topics].sort()) {
    // Offsets may outlive their topic; a deleted topic has no log end to compare with.
    if (!existing.has(topicName)) continue;
    const layout = await requireTopic(admin, topicName);
    for (const entry of await partitionOffsets(admin, layout)) {
      const key = `${topicName}:${entry.partition}`;
      const committedOffset = committed.get(key);
      const owner = owners.get(key);
      if (committedOffset === undefined && owner === undefined) continue;
      const clamped = partitionLag(entry.logStartOffset, entry.logEndOffset, committedOffset);
      totalLag += clamped;
      partitions.push({
        topic: topicName,
        partition: entry.partition,
        committedOffset: committedOffset === undefined ? null : committedOffset.toString(),
        logEndOffset: entry.logEndOffset.toString(),
        lag: clamped.toString(),
        memberId: owner?.memberId ?? null,
        clientId: owner?.clientId ?? null,
        host: owner?.host ?? null,
      });
    }
  }
  if (members.length === 0 && partitions.length === 0) throw await noSuchGroup(admin, groupId);
  return { group: groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members, partitions, totalLag: totalLag.toString() };
}

async function noSuchGroup(admin: Admin, groupId: string): Promise<TributaryError> {
  const known = [...(await admin.listGroups()).keys()].sort();
  const shown = known.slice(0, GROUPS_LISTED_MAX).join(', ');
  const more = known.length > GROUPS_LISTED_MAX ? ` and ${known.length - GROUPS_LISTED_MAX} more` : '';
  return new TributaryError('GROUP_NOT_FOUND', `no group named ${groupId}; ${known.length === 0 ? 'there are no groups' : `groups: ${shown}${more}`}`, { group: groupId });
}

function describeText(description: GroupDescriptionJson): string {
  const header = ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
  const rows = description.partitions.map((entry) => [entry.topic, String(entry.partition), entry.committedOffset ?? '-', entry.logEndOffset, entry.lag, entry.memberId ?? '-', entry.host ?? '-', entry.clientId ?? '-']);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [
    `Group: ${description.group}  State: ${description.state}  Members: ${description.members.length}  Total lag: ${description.totalLag}`,
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}

type ResetValues = { group?: string; topic?: string; partition?: string; 'to-earliest'?: boolean; 'to-latest'?: boolean; 'to-offset'?: string; 'to-datetime'?: string; 'shift-by'?: string; execute?: boolean };

async function resetOffsets(bootstrap: string[], values: ResetValues, rest: string[]): Promise<number> {
  const groupId = requiredName('group', values.group, rest);
  if (values.topic === undefined) throw optionInvalid('reset-offsets needs --topic NAME');
  const topicName = values.topic;
  const onlyPartition = integerOption('partition', values.partition, 0);
  const toOffset = offsetOption('to-offset', values['to-offset']);
  const toDatetime = timestampOption('to-datetime', values['to-datetime']);
  const shiftBy = values['shift-by'] === undefined ? undefined : BigInt(integerOption('shift-by', values['shift-by'], Number.MIN_SAFE_INTEGER)!);
  const chosen = [values['to-earliest'] && '--to-earliest', values['to-latest'] && '--to-latest', toOffset !== undefined && '--to-offset', toDatetime !== undefined && '--to-datetime', shiftBy !== undefined && '--shift-by'].filter(Boolean);
  if (chosen.length !== 1) throw optionInvalid(`reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by${chosen.length > 1 ? ` (got ${chosen.join(', ')})` : ''}`);

  const plan = await withAdmin(bootstrap, `resetting offsets of group ${groupId}`, async (admin) => {
    const layout = await requireTopic(admin, topicName);
    if (onlyPartition !== undefined && onlyPartition >= layout.partitions) throw new TributaryError('PARTITION_NOT_FOUND', `topic ${topicName} has partitions 0–${layout.partitions - 1}; there is no partition ${onlyPartition}`);
    const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
    if (group && group.members.size > 0) {
      throw new TributaryError('BROKER_REQUEST_FAILED', `group ${groupId} has ${group.members.size} running member${group.members.size === 1 ? '' : 's'} (state ${group.state}); stop its consumers before moving its offsets`, { group: groupId });
    }
    const bounds = await partitionOffsets(admin, layout);
    const [current] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    const committedOf = (partition: number): bigint | undefined => {
      const found = current?.topics.find((topic) => topic.name === topicName)?.partitions.find((entry) => entry.partitionIndex === partition)?.committedOffset;
      return found === undefined || found < 0n ? undefined : found;
    };
    const byTime = toDatetime === undefined ? undefined : await admin.listOffsets({ topics: [{ name: topicName, partitions: bounds.map((entry) => ({ partitionIndex: entry.partition, timestamp: toDatetime })) }] });
    const progress = new ProgressBar({ label: 'planning', total: bounds.length, unit: 'partitions' });
    const rows: { partition: number; from: bigint | undefined; to: bigint }[] = [];
    for (const entry of bounds) {
      if (onlyPartition !== undefined && entry.partition !== onlyPartition) continue;
      let target: bigint;
      if (values['to-earliest']) target = entry.logStartOffset;
      else if (values['to-latest']) target = entry.logEndOffset;
      else if (toOffset !== undefined) target = toOffset;
      else if (byTime !== undefined) {
        const found = byTime[0]?.partitions.find((answer) => answer.partitionIndex === entry.partition)?.offset ?? -1n;
        target = found < 0n ? entry.logEndOffset : found;
      } else target = (committedOf(entry.partition) ?? entry.logStartOffset) + shiftBy!;
      // Kafka's tool clamps to the log, so the group never points outside it.
      if (target < entry.logStartOffset) target = entry.logStartOffset;
      if (target > entry.logEndOffset) target = entry.logEndOffset;
      rows.push({ partition: entry.partition, from: committedOf(entry.partition), to: target });
      progress.advance();
    }
    progress.finish();
    if (values.execute) {
      await admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: topicName, partitionOffsets: rows.map((row) => ({ partition: row.partition, offset: row.to })) }] });
    }
    return rows;
  });
  console.log(['TOPIC\tPARTITION\tCURRENT-OFFSET\tNEW-OFFSET', ...plan.map((row) => `${topicName}\t${row.partition}\t${row.from ?? '-'}\t${row.to}`)].join('\n'));
  console.log(values.execute ? `moved the offsets of group ${groupId} on ${plan.length} partition${plan.length === 1 ? '' : 's'}` : 'dry run: nothing changed; add --execute to apply');
  return 0;
}

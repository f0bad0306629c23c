// The three-consumer rebalance scenario, the same with every client: six partitions split
// two each; one member is killed with SIGKILL; the two survivors take over its partitions
// and read what is produced next, in order.
import * as assert from 'uvu/assert';
import { waitForMembers, type MemberProcess } from './member-process.ts';

const PARTITIONS = 6;

/** Waits until every member holds `each` partitions and together they hold all six. */
export function waitForEvenSplit(members: MemberProcess[], each: number, waitMs: number): Promise<void> {
  const evenlySplit = () => members.every((member) => member.assignment.length === each) && new Set(members.flatMap((member) => member.assignment)).size === PARTITIONS;
  const what = members.length === 3 ? 'assignment of two partitions to each of three members' : `reassignment of all six partitions to the ${members.length} members`;
  return waitForMembers(members, evenlySplit, what, waitMs);
}

/**
 * With three members evenly assigned: once a settling round is consumed, a round is
 * consumed with each member reading only its own partitions; the first member is killed;
 * the survivors split all six partitions and read the next round in offset order. `produceRound(label)` returns the values it sent.
 */
export async function checkRebalanceAfterKill(members: MemberProcess[], produceRound: (label: string) => Promise<string[]>, waitMs: number): Promise<void> {
  const consumedBy = (group: MemberProcess[], values: string[]) => () => {
    const seen = new Set(group.flatMap((member) => member.records.map((record) => record.value)));
    return values.every((value) => seen.has(value));
  };

  // A settling round first, not checked for ownership: a fetch a client sent under its
  // previous assignment may still be in flight when the new one arrives, and some clients
  // (@platformatic/kafka was seen to) hand over what it returns.
  const settling = await produceRound('settling');
  await waitForMembers(members, consumedBy(members, settling), 'consumption of the settling round', waitMs);
  const before = await produceRound('before');
  await waitForMembers(members, consumedBy(members, before), 'consumption of the first round', waitMs);
  const firstRound = new Set(before);
  for (const member of members) {
    for (const record of member.records.filter((candidate) => firstRound.has(candidate.value!))) assert.ok(record.heldPartitions.includes(record.partition), `${member.name} read only partitions it held (${record.partition} while holding ${record.heldPartitions.join(', ')}); events: ${member.history.join(' ')}`);
  }

  const [victim, ...survivors] = members as [MemberProcess, MemberProcess, MemberProcess];
  const orphaned = victim.assignment;
  await victim.kill();
  await waitForEvenSplit(survivors, 3, waitMs);
  for (const partition of orphaned) assert.ok(survivors.some((member) => member.assignment.includes(partition)), `partition ${partition} of the killed member was taken over`);

  const after = await produceRound('after');
  await waitForMembers(survivors, consumedBy(survivors, after), 'consumption of the second round by the survivors', waitMs);
  for (const member of survivors) {
    for (const partition of member.assignment) {
      const offsets = member.records.filter((record) => record.partition === partition && record.value!.startsWith('after-')).map((record) => record.offset);
      assert.equal(offsets, [...offsets].sort((a, b) => (a < b ? -1 : 1)), `${member.name} read partition ${partition} in order`);
    }
  }
}

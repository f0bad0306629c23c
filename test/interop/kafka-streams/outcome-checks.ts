// What a killed run must show under either guarantee: the inputs stored once each; the
// joined records and the windows against what the inputs determine (exactly once under
// exactly_once_v2, at least once under at_least_once); the store restored from its
// changelog equal to the last output; the internal topics created by Streams itself with
// the configs it asked for; the repartition topic purged by Streams with DeleteRecords.
import * as assert from 'uvu/assert';
import { checkEnriched, checkInputs, checkRestored, checkWindows, describeProblems, expectedWindows, latestByKey, DEVICE_COUNT, WINDOW_COUNT } from './readings.ts';
import type { KilledRunOutcome } from './killed-run.ts';
import { offsetsWithoutRecords, type Guarantee } from './streams-programs.ts';

export function checkStreamsOutcome(outcome: KilledRunOutcome, guarantee: Guarantee): void {
  const { topics, sent } = outcome;
  const fail = (what: string, problems: string[]): void => {
    const message = describeProblems(what, problems);
    if (message !== undefined) assert.unreachable(message);
  };
  fail('input topic', checkInputs(topics.readings.records, sent));
  fail(`enriched (read ${outcome.isolation})`, checkEnriched(topics.enriched.records, sent, guarantee));
  // Transaction markers take offsets of their own: they show the output was written in transactions, and only then.
  const unread = offsetsWithoutRecords(topics.enriched);
  if (guarantee === 'exactly_once_v2') assert.ok(unread > 0, 'under exactly_once_v2 the enriched topic holds transaction markers');
  else assert.is(unread, 0, 'under at_least_once every offset of the enriched topic holds a record');
  const expected = expectedWindows(sent);
  assert.is(expected.size, DEVICE_COUNT * WINDOW_COUNT, 'the inputs fall in every window of every device');
  fail(`windows (read ${outcome.isolation})`, checkWindows(topics.windows.records, expected, guarantee));
  fail('window store restored from the changelog', checkRestored(outcome.restored, latestByKey(topics.windows.records), expected, guarantee));

  const internal = new Map(outcome.internalTopics.map((line) => [line.name as string, line]));
  const expectedInternal = {
    [`${outcome.applicationId}-by-device-repartition`]: 'delete',
    [`${outcome.applicationId}-devices-store-changelog`]: 'compact',
    [`${outcome.applicationId}-uids-per-window-changelog`]: 'compact,delete',
  };
  assert.equal([...internal.keys()].sort(), Object.keys(expectedInternal).sort(), 'the internal topics, created by Streams itself');
  for (const [name, policy] of Object.entries(expectedInternal)) {
    const topic = internal.get(name)!;
    assert.is(topic.partitions, 3, `${name}: partitions`);
    assert.is((topic.configs as Record<string, string>)['cleanup.policy'], policy, `${name}: cleanup.policy as Streams asked for it`);
  }
  const copies = topics.enriched.records.length - sent.length;
  console.log(`${guarantee}: ${sent.length} readings; enriched holds ${topics.enriched.records.length} records (${copies} repeated) and ${unread} offsets of markers or aborted records, of which ${outcome.abortedEnriched} aborted records; windows ${topics.windows.records.length} updates; repartition purged to ${topics.repartition.logStartOffsets.join(', ')} of ${topics.repartition.endOffsets.join(', ')}; ${outcome.timeline.join(', ')}`);
  const logStarts = topics.repartition.logStartOffsets;
  assert.ok(logStarts.reduce((sum, offset) => sum + offset, 0) > 0, `the repartition topic purged by Streams with DeleteRecords (log start offsets ${logStarts.join(', ')})`);
}

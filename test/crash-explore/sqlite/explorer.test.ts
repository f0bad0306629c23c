// Crash states of the SQLite databases (topics, consumer-group offsets, MQTT sessions): the
// workload's I/O recorded by strace holds every kind of operation and every store's
// acknowledgements, the checker fails a state that lost a synced WAL write and a trace
// whose commits were answered before their fdatasync, and a CI run's worth of states opens
// with every acknowledged offset, session, subscription and QoS 2 identifier there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { KEEP_ALL, KEEP_NONE, TraceIndex, type MetadataModel } from '../crash-states.ts';
import { ciSeed, describeReport } from '../ci-run.ts';
import { statesRoot } from '../materialise.ts';
import type { Recording } from '../trace.ts';
import { GROUPS_DATABASE, judgeSqlite, recoverSqlite } from './checker.ts';
import { exploreSqlite } from './explorer.ts';
import type { WorkloadMarker } from './facts.ts';
import { recordSqliteWorkload } from './strace-recorder.ts';

/** States a CI run checks: every crash point of the trace several times under ext4's ordered journal, and more than once without it. */
const CI_STATES = { ordered: 6_000, 'per-directory': 2_000 } as const;
/** States of the trace whose commits were answered before their fdatasync: enough to reach past the first acknowledgements. */
const UNSYNCED_STATES = 400;
/**
 * Facts the workload's 12 rounds leave: 2 groups × 3 partitions and the last one-off group's
 * 3; 2 sessions, each with 2 subscriptions, 1 QoS 2 identifier and 3 held messages; a
 * topic a round kept, the last round's other topic and the long-lived one.
 */
const FINAL_FACTS = 9 + 2 * (1 + 2 + 1 + 3) + 12 + 1 + 1;

/** The workload is recorded once, when the first test asks, and its trace shared (a test without strace fails naming its package). */
let recorded: Promise<Recording> | undefined;
function recording(): Promise<Recording> {
  return (recorded ??= recordSqliteWorkload());
}

function markers(entries: Recording['entries']): WorkloadMarker[] {
  return entries.flatMap((entry) => (entry.kind === 'marker' ? [JSON.parse(entry.text) as WorkloadMarker] : []));
}

async function problemsAt(trace: Recording, crashPoint: number, keepAll: boolean): Promise<{ problems: string[]; facts: number }> {
  const root = statesRoot();
  try {
    const state = new TraceIndex(trace).state(crashPoint, keepAll ? KEEP_ALL : KEEP_NONE, keepAll ? 'all' : 'none');
    const observation = await recoverSqlite(trace, state, join(root, 'state'));
    return { problems: judgeSqlite(trace, observation, state), facts: 'values' in observation ? observation.values.size : 0 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the trace holds SQLite\'s journal, WAL, checkpoints and syncs, without the wal-index, and every store\'s acknowledgements; at its end every fact is there', async () => {
  const trace = await recording();
  const kinds = new Set(trace.entries.map((entry) => entry.kind));
  for (const kind of ['create', 'write', 'truncate', 'sync', 'syncDirectory', 'unlink', 'marker'] as const) assert.ok(kinds.has(kind), `no ${kind} in the trace`);
  const created = trace.entries.flatMap((entry) => (entry.kind === 'create' ? [entry.path] : []));
  for (const path of ['meta/topics.sqlite', 'meta/topics.sqlite-wal', 'meta/groups.sqlite', 'meta/groups.sqlite-wal', 'meta/mqtt.sqlite', 'meta/mqtt.sqlite-wal']) assert.ok(created.includes(path), `${path} created`);
  assert.ok(!created.some((path) => path.endsWith('-shm')), 'the wal-index is not durable state');
  const all = markers(trace.entries);
  const acknowledgedIds = new Set(all.flatMap((marker) => (marker.phase === 'acknowledged' ? [marker.id] : [])));
  for (const store of ['topics', 'groups', 'mqtt']) assert.ok(all.some((marker) => marker.phase === 'submitted' && marker.store === store && acknowledgedIds.has(marker.id)), `${store} acknowledged`);
  assert.equal(await problemsAt(trace, trace.entries.length, true), { problems: [], facts: FINAL_FACTS });
});

test('the checker fails a state in which the WAL frames of an acknowledged offset commit never reached the disk', async () => {
  const trace = await recording();
  const all = markers(trace.entries);
  const committed = all.find((marker) => marker.phase === 'submitted' && marker.store === 'groups')!;
  const acknowledgedAt = trace.entries.findIndex((entry) => entry.kind === 'marker' && entry.text === JSON.stringify({ phase: 'acknowledged', id: committed.id }));
  assert.ok(acknowledgedAt > 0, 'the first offset commit was acknowledged');
  assert.equal((await problemsAt(trace, acknowledgedAt + 1, false)).problems, [], 'the state as recorded is sound');
  // The same trace, but every write to the groups WAL before the acknowledgement is zeros on the disk, as lost writes leave them.
  const walInode = trace.entries.find((entry) => entry.kind === 'create' && entry.path === `${GROUPS_DATABASE}-wal`);
  assert.ok(walInode?.kind === 'create');
  const entries = trace.entries.map((entry, index) => (entry.kind === 'write' && entry.inode === walInode.inode && index < acknowledgedAt ? { ...entry, bytes: Buffer.alloc(entry.bytes.length) } : entry));
  const { problems } = await problemsAt({ ...trace, entries }, acknowledgedAt + 1, false);
  const key = committed.phase === 'submitted' ? committed.facts[0]!.key : '';
  assert.ok(problems.some((problem) => problem.startsWith(`${key} is gone, but`)), problems.join('\n'));
});

test('commits answered before their fdatasync (the trace without its file syncs, as synchronous=OFF would make it) lose acknowledged sessions and offsets', async () => {
  const trace = await recording();
  const unsynced = { ...trace, entries: trace.entries.filter((entry) => entry.kind !== 'sync') };
  const report = await exploreSqlite(unsynced, { seed: 1, states: UNSYNCED_STATES });
  assert.ok(report.violations.some((violation) => violation.problems.some((problem) => / is gone, but .* committed/.test(problem))), describeReport(report));
});

for (const [model, states] of Object.entries(CI_STATES) as [MetadataModel, number][]) {
  test(`${states} crash states (${model} metadata) open with every acknowledged topic, offset, session, subscription, QoS 2 identifier and held message, and pass SQLite's integrity check`, async () => {
    const report = await exploreSqlite(await recording(), { seed: ciSeed(), states, model });
    assert.is(report.statesChecked, states);
    assert.equal(report.violations, [], describeReport(report));
  });
}

test.run();

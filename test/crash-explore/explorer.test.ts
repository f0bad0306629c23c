// The crash-state explorer on the real store: the checker fails a state that lost a synced
// write and a store that acknowledges before it syncs, and a CI run's worth of states from
// the real workload recovers with nothing acknowledged lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { readBatchHeader } from '../../shared/kafka/record-batch.ts';
import { KEEP_ALL, KEEP_NONE, SECTOR_BYTES, TraceIndex, type MetadataModel } from './crash-states.ts';
import { judge, recover } from './checker.ts';
import { explore } from './explorer.ts';
import { ciSeed, describeReport } from './ci-run.ts';
import { statesRoot } from './materialise.ts';
import { exploreRecoveryCrashes, recordRecovery } from './recovery-crashes.ts';
import type { Recording } from './trace.ts';
import { recordWorkload } from './workload.ts';

/**
 * States a CI run checks, under each metadata model: every crash point of the workload
 * several times under ext4's ordered journal and at least once without it, plus crashes
 * during the recovery of some of those states — 10,000 in all, in under two minutes.
 */
const CI_STATES = { ordered: 7_000, 'per-directory': 2_000 } as const;
/** Crash states whose recovery is recorded and crashed in turn, and the states explored in each. */
const CI_RECOVERIES = 40;
const CI_STATES_PER_RECOVERY = 25;
/** Rounds of the small workloads below: a few rolls and acknowledgements are all they need. */
const SMALL_ROUNDS = 3;

async function problemsAt(recording: Recording, crashPoint: number): Promise<string[]> {
  const root = statesRoot();
  try {
    const state = new TraceIndex(recording).state(crashPoint, KEEP_NONE, 'none');
    return judge(recording, await recover(recording, state, join(root, 'state')), state.acknowledged);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the workload makes every kind of operation the model knows, and the recovery of a torn tail cuts it', async () => {
  const recording = await recordWorkload({ rounds: SMALL_ROUNDS });
  const kinds = new Set(recording.entries.map((entry) => entry.kind));
  for (const kind of ['mkdir', 'create', 'write', 'sync', 'syncDirectory', 'rename', 'unlink', 'appended', 'logStartMoved'] as const) assert.ok(kinds.has(kind), `no ${kind} in the trace`);
  assert.ok(recording.entries.some((entry) => entry.kind === 'appended' && readBatchHeader(entry.batch).producerId >= 0n), 'idempotent producers\' batches');
  // The store cuts files only after a failure or in recovery: crash while a batch is being written, keep its first sectors, and record the recovery.
  const tornAt = recording.entries.findIndex((entry) => entry.kind === 'write' && entry.bytes.length > 2 * SECTOR_BYTES);
  assert.ok(tornAt >= 0, 'a write of several sectors');
  const torn = new TraceIndex(recording).state(tornAt + 1, { ...KEEP_ALL, sectorsKept: (count) => Array.from({ length: count - 1 }, (_, index) => index) }, 'torn');
  const root = statesRoot();
  try {
    const recovery = await recordRecovery(recording, torn, join(root, 'state'));
    assert.ok(recovery.entries.some((entry) => entry.kind === 'truncate'), 'recovery cut the torn batch');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the checker fails a state in which a synced write never reached the disk', async () => {
  const recording = await recordWorkload({ rounds: SMALL_ROUNDS });
  const acknowledgedAt = recording.entries.findIndex((entry) => entry.kind === 'appended');
  const acknowledged = recording.entries[acknowledgedAt]!;
  assert.ok(acknowledged.kind === 'appended');
  const writeAt = recording.entries.findIndex((entry) => entry.kind === 'write' && entry.bytes.includes(acknowledged.batch));
  assert.ok(writeAt >= 0 && writeAt < acknowledgedAt, 'the acknowledged batch was written before it was acknowledged');
  assert.equal(await problemsAt(recording, acknowledgedAt + 1), [], 'the state as recorded is sound');
  // The same trace, but the write's bytes are zeros on the disk, as a lost write leaves them.
  const write = recording.entries[writeAt]!;
  assert.ok(write.kind === 'write');
  const entries = recording.entries.with(writeAt, { ...write, bytes: Buffer.alloc(write.bytes.length) });
  const problems = await problemsAt({ ...recording, entries }, acknowledgedAt + 1);
  const partition = `${acknowledged.topic}-${acknowledged.partition}`;
  assert.ok(problems.includes(`${partition}: acknowledged batch at ${acknowledged.baseOffset} is missing`), problems.join('\n'));
});

test('under the os flush policy an append is answered before its fdatasync, and crash states lose acknowledged batches', async () => {
  const recording = await recordWorkload({ rounds: SMALL_ROUNDS, flushPolicy: 'os' });
  const report = await explore(recording, { seed: 1, states: 500 });
  assert.ok(report.violations.some((violation) => violation.problems.some((problem) => problem.includes('is missing'))), describeReport(report));
});

for (const [model, states] of Object.entries(CI_STATES) as [MetadataModel, number][]) {
  test(`${states} crash states (${model} metadata) recover with every acknowledged batch, contiguous offsets and sound producer state`, async () => {
    const seed = ciSeed();
    const report = await explore(await recordWorkload(), { seed, states, model });
    assert.is(report.statesChecked, states);
    assert.equal(report.violations, [], describeReport(report));
  });
}

test(`crashes during the recovery of ${CI_RECOVERIES} crash states (${CI_RECOVERIES * CI_STATES_PER_RECOVERY} states) lose nothing acknowledged before the first crash`, async () => {
  const seed = ciSeed();
  const report = await exploreRecoveryCrashes(await recordWorkload(), { seed, recoveries: CI_RECOVERIES, statesPerRecovery: CI_STATES_PER_RECOVERY });
  assert.is(report.statesChecked, CI_RECOVERIES * CI_STATES_PER_RECOVERY);
  assert.equal(report.violations, [], describeReport(report));
});

test.run();

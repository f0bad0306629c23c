// npm run crash-explore -- [--seed N] [--states N] [--model ordered|per-directory] [--rounds N]
//                          [--trace FILE [--state N ...]] [--recoveries N [--states-per-recovery N]]
//                          [--sqlite]
//
// Records the workload (or loads a saved trace), checks crash states from it and prints
// the states checked, the recoveries run, the violations and the seed to reproduce them.
// With --recoveries, it also crashes the recovery of that many states and explores those.
// With --sqlite, the workload is the SQLite stores' (offsets, MQTT sessions) recorded by
// strace, and the states are checked by sqlite/checker.ts.
// A run with violations saves its trace beside the system's temporary files and prints
// the command that checks those states again.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import type { MetadataModel } from './crash-states.ts';
import { explore } from './explorer.ts';
import { exploreSqlite } from './sqlite/explorer.ts';
import { recordSqliteWorkload } from './sqlite/strace-recorder.ts';
import { exploreRecoveryCrashes } from './recovery-crashes.ts';
import { loadRecording, saveRecording } from './trace-file.ts';
import { recordWorkload } from './workload.ts';

/** States a run checks unless told otherwise: ten times a CI run's. */
const DEFAULT_STATES = 100_000;
/** States explored in each recorded recovery: about every other crash point of a recovery's trace. */
const DEFAULT_STATES_PER_RECOVERY = 100;
/** Violations printed in full; the rest are counted. */
const VIOLATIONS_PRINTED = 20;

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    states: { type: 'string', default: String(DEFAULT_STATES) },
    model: { type: 'string', default: 'ordered' },
    rounds: { type: 'string' },
    trace: { type: 'string' },
    state: { type: 'string', multiple: true },
    recoveries: { type: 'string', default: '0' },
    'states-per-recovery': { type: 'string', default: String(DEFAULT_STATES_PER_RECOVERY) },
    sqlite: { type: 'boolean', default: false },
  },
});

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const states = Number(values.states);
const model = values.model as MetadataModel;
if (model !== 'ordered' && model !== 'per-directory') throw new Error(`--model: ordered or per-directory, not ${model}`);
const sqlite = values.sqlite === true;
if (sqlite && Number(values.recoveries) > 0) throw new Error('--recoveries: crashes during recovery are explored for the log store only, not with --sqlite');
const started = Date.now();
const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
const recording = values.trace !== undefined ? loadRecording(values.trace) : sqlite ? await recordSqliteWorkload({ rounds }) : await recordWorkload({ rounds });
const recordedMs = Date.now() - started;
let lastPrinted = Date.now();
const report = await (sqlite ? exploreSqlite : explore)(recording, {
  seed,
  states,
  model,
  only: values.state?.map(Number),
  onProgress: (checked) => {
    if (Date.now() - lastPrinted < 10_000) return;
    lastPrinted = Date.now();
    console.log(`${checked} states checked`);
  },
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`trace: ${report.traceEntries} entries (${values.trace ?? `recorded in ${recordedMs} ms`})`);
console.log(`states checked: ${report.statesChecked} (${report.recoveries} distinct, recovered) in ${seconds} s`);
console.log(`violations: ${report.violations.length}`);
console.log(`seed: ${seed}, metadata model: ${model}${sqlite ? ', SQLite stores' : ''}`);
for (const violation of report.violations.slice(0, VIOLATIONS_PRINTED)) {
  console.log(`state ${violation.stateNumber} (crash after ${violation.crashPoint} entries, ${violation.choice}):`);
  for (const problem of violation.problems) console.log(`  ${problem}`);
}
if (report.violations.length > 0) {
  const traceFile = values.trace ?? join(tmpdir(), `tributary-crash-trace-${sqlite ? 'sqlite-' : ''}${seed}.v8.gz`);
  if (values.trace === undefined) saveRecording(recording, traceFile);
  const first = report.violations[0]!.stateNumber;
  console.log(`again: npm run crash-explore -- --trace ${traceFile} --seed ${seed} --states ${states} --model ${model}${sqlite ? ' --sqlite' : ''} --state ${first}`);
  process.exitCode = 1;
}
const recoveries = Number(values.recoveries);
if (recoveries > 0 && values.state === undefined) {
  const duringStarted = Date.now();
  const during = await exploreRecoveryCrashes(recording, { seed, recoveries, statesPerRecovery: Number(values['states-per-recovery']), model });
  console.log(`crashes during recovery: ${during.statesChecked} states in the recoveries of ${recoveries} crash states (${during.recoveries} distinct, recovered), ${during.violations.length} violations, in ${((Date.now() - duringStarted) / 1000).toFixed(1)} s`);
  for (const violation of during.violations.slice(0, VIOLATIONS_PRINTED)) console.log(`  ${violation.choice}, crash after ${violation.crashPoint} entries: ${violation.problems.join('; ')}`);
  if (during.violations.length > 0) process.exitCode = 1;
}

// Crashes during recovery: a crash state is recovered on the recording file layer (open,
// then a clean close), and the states a second power cut could leave during that recovery
// are explored in turn, held to what was acknowledged before the first. Recovery cuts torn
// tails, rebuilds indexes and writes checkpoints; a crash halfway through any of that must
// lose nothing either.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { openStore } from '../edge/storage/helpers.ts';
import { TraceIndex, type CrashState, type MetadataModel } from './crash-states.ts';
import { explore, stateOf, type ExploreReport } from './explorer.ts';
import { materialise, statesRoot } from './materialise.ts';
import { RecordingFileLayer } from './recording-file-layer.ts';
import type { Recording } from './trace.ts';

export interface RecoveryCrashOptions {
  seed: number;
  /** First crash states whose recovery is recorded, spread over the trace as a run of that many states spreads them. */
  recoveries: number;
  /** States explored in each recorded recovery. */
  statesPerRecovery: number;
  model?: MetadataModel;
}

/** Records the recovery of one crash state in `directory`: its trace starts with what the workload had been told before the crash. */
export async function recordRecovery(recording: Recording, state: CrashState, directory: string): Promise<Recording> {
  materialise(state, directory);
  const files = new RecordingFileLayer(directory, { directories: [...state.directories], files: state.files });
  for (const entry of state.acknowledged) files.record(entry);
  const store = await openStore(directory, { fileLayer: files });
  await store.close();
  return { ...recording, base: { directories: [...state.directories], files: state.files }, entries: files.entries };
}

/** Explores crashes during the recovery of `options.recoveries` crash states of `recording`; one report for all. */
export async function exploreRecoveryCrashes(recording: Recording, options: RecoveryCrashOptions): Promise<ExploreReport> {
  const index = new TraceIndex(recording, options.model);
  const root = statesRoot();
  const total: ExploreReport = { seed: options.seed, traceEntries: recording.entries.length, statesChecked: 0, recoveries: 0, violations: [] };
  try {
    for (let stateNumber = 0; stateNumber < options.recoveries; stateNumber++) {
      const state = stateOf(index, options.seed, options.recoveries, stateNumber);
      const recovery = await recordRecovery(recording, state, join(root, String(stateNumber)));
      const report = await explore(recovery, { seed: options.seed, states: options.statesPerRecovery, model: options.model });
      total.statesChecked += report.statesChecked;
      total.recoveries += report.recoveries;
      total.violations.push(...report.violations.map((violation) => ({ ...violation, choice: `recovery of state ${stateNumber}, then ${violation.choice}` })));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return total;
}

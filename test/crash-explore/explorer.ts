// The explorer: records the workload once, then builds, recovers and judges crash states
// from its trace. States are taken crash point by crash point, so that the states of one
// point, which often hold the same files, follow each other: states with the same files
// share one recovery, and each is judged against what it had been told.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRandom } from '../../firmware-sim/random.ts';
import { KEEP_ALL, KEEP_NONE, TraceIndex, sampledChoice, type CrashState, type MetadataModel } from './crash-states.ts';
import { judge, recover } from './checker.ts';
import { statesRoot } from './materialise.ts';
import type { Recording } from './trace.ts';

/** Recoveries run at once: a recovery mostly waits on the thread pool (file I/O, SQLite), so twice the pool's 4 threads keeps it busy while others run. */
export const RECOVERIES_IN_FLIGHT = 8;
/** Recoveries remembered for states with the same files; an observation holds digests only, so this bounds memory to a few tens of MiB. */
export const RECOVERY_CACHE_MAX = 20_000;

export interface Violation {
  /** The state's number in the run: with the seed and the trace it rebuilds the state. */
  stateNumber: number;
  crashPoint: number;
  choice: string;
  problems: string[];
}

export interface ExploreReport {
  seed: number;
  traceEntries: number;
  statesChecked: number;
  /** Recoveries actually run: states with files already recovered reuse that recovery. */
  recoveries: number;
  violations: Violation[];
}

/** A number from the seed and the state's number, so that each state's sample is rebuilt from those two alone. */
function stateSeed(seed: number, stateNumber: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(stateNumber, 0x85ebca6b)) >>> 0;
}

/**
 * The crash state numbered `stateNumber` of a run of `states` over `index`: the states are
 * spread evenly over the crash points; at each point the first is KEEP_NONE, the second
 * KEEP_ALL and the rest samples.
 */
export function stateOf(index: TraceIndex, seed: number, states: number, stateNumber: number): CrashState {
  const perPoint = Math.max(1, Math.ceil(states / index.length));
  const groups = Math.ceil(states / perPoint);
  const crashPoint = 1 + Math.floor((Math.floor(stateNumber / perPoint) * index.length) / groups);
  const variant = stateNumber % perPoint;
  if (variant === 0) return index.state(crashPoint, KEEP_NONE, 'none');
  if (variant === 1) return index.state(crashPoint, KEEP_ALL, 'all');
  return index.state(crashPoint, sampledChoice(createRandom(stateSeed(seed, stateNumber))), `sample ${stateNumber}`);
}

/** A digest of a state's directories and files: equal digests, equal recoveries. */
function filesDigest(state: CrashState): string {
  const hash = createHash('sha1');
  for (const directory of [...state.directories].sort()) hash.update(`d ${directory}\n`);
  for (const path of [...state.files.keys()].sort()) {
    const bytes = state.files.get(path)!;
    hash.update(`f ${path} ${bytes.length}\n`).update(bytes);
  }
  return hash.digest('base64');
}

/** How a state is recovered and judged: the log store's checker unless another is given (sqlite/). */
export interface StateChecks<Observation> {
  /** Materialises the state in `directory`, recovers it with the real code and observes the result; removes the directory. */
  recover: (recording: Recording, state: CrashState, directory: string) => Promise<Observation>;
  /** What is wrong with an observation, given the state it came from (and what that state had been told). */
  judge: (recording: Recording, observation: Observation, state: CrashState) => string[];
}

const LOG_STORE_CHECKS: StateChecks<Awaited<ReturnType<typeof recover>>> = {
  recover,
  judge: (recording, observation, state) => judge(recording, observation, state.acknowledged),
};

export interface ExploreOptions {
  seed: number;
  states: number;
  model?: MetadataModel;
  /** Only these state numbers (to replay a violation); all of them when undefined. */
  only?: number[];
  onProgress?: (checked: number) => void;
}

export function explore(recording: Recording, options: ExploreOptions): Promise<ExploreReport> {
  return exploreWith(recording, options, LOG_STORE_CHECKS);
}

export async function exploreWith<Observation>(recording: Recording, options: ExploreOptions, checks: StateChecks<Observation>): Promise<ExploreReport> {
  const index = new TraceIndex(recording, options.model);
  const root = statesRoot();
  const recoveries = new Map<string, Promise<Observation>>();
  const report: ExploreReport = { seed: options.seed, traceEntries: index.length, statesChecked: 0, recoveries: 0, violations: [] };
  const numbers = options.only ?? Array.from({ length: options.states }, (_, number) => number);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < numbers.length) {
      const stateNumber = numbers[next++]!;
      const state = stateOf(index, options.seed, options.states, stateNumber);
      const digest = filesDigest(state);
      let observation = recoveries.get(digest);
      if (observation === undefined) {
        if (recoveries.size >= RECOVERY_CACHE_MAX) recoveries.delete(recoveries.keys().next().value!);
        observation = checks.recover(recording, state, join(root, String(stateNumber)));
        recoveries.set(digest, observation);
        report.recoveries += 1;
      }
      const problems = checks.judge(recording, await observation, state);
      if (problems.length > 0) report.violations.push({ stateNumber, crashPoint: state.crashPoint, choice: state.choice, problems });
      report.statesChecked += 1;
      options.onProgress?.(report.statesChecked);
    }
  };
  try {
    await Promise.all(Array.from({ length: RECOVERIES_IN_FLIGHT }, work));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  report.violations.sort((a, b) => a.stateNumber - b.stateNumber);
  return report;
}

// `npm run fuzz -- [--seconds N] [--runs N] [--seed N] [--timeout-ms N] [target …]`: runs each
// fuzz target (all of them when none is named) for N seconds, one after the other, and
// prints what it did: inputs run, the corpus, the coverage reached, and any finding.
//
// Findings are written under ~/.cache/tributary/fuzz/findings/TARGET/ (or $XDG_CACHE_HOME)
// with a line saying how to make one a regression test; inputs that reached new coverage
// go to ~/.cache/tributary/fuzz/corpus/TARGET/ and seed the next run. The committed seeds
// are in test/fuzz/corpus/TARGET/. Exit status 1 when anything was found.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { TARGETS } from './targets/index.ts';
import { DICTIONARIES } from './targets/dictionaries.ts';
import type { CoverageFigures } from './engine/coverage.ts';
import type { FindingKind, WorkerData, WorkerMessage } from './engine/protocol.ts';

const HERE = import.meta.dirname;
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tributary', 'fuzz');
/** One input that runs longer than this is a hang (generous: the machine may be loaded). */
const INPUT_TIMEOUT_MS_DEFAULT = 10_000;
/** How often the supervisor looks whether the worker still makes progress. */
const WATCHDOG_INTERVAL_MS = 250;
/** Heap of the fuzzing worker: a decoder that needs more for one input is a finding. */
const WORKER_HEAP_MB = 512;

interface Finding { target: string; kind: FindingKind; input: Buffer; message: string; path: string }

interface TargetReport {
  target: string;
  seconds: number;
  executions: number;
  executionsPerSecond: number;
  seeds: number;
  corpus: number;
  coverage: CoverageFigures | undefined;
  findings: Finding[];
}

function saveFinding(target: string, kind: FindingKind, input: Buffer, message: string): Finding {
  const directory = join(CACHE, 'findings', target);
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${kind}-${createHash('sha1').update(input).digest('hex')}`);
  writeFileSync(path, input);
  writeFileSync(`${path}.txt`, `${message}\n`);
  return { target, kind, input, message, path };
}

function runTarget(target: string, options: { seconds: number; runs: number; seed: number; timeoutMs: number }): Promise<TargetReport> {
  const entry = TARGETS[target]!;
  const shared = new SharedArrayBuffer(8 + entry.inputBytesMax);
  const header = new Int32Array(shared, 0, 2);
  const data: WorkerData = {
    target,
    seconds: options.seconds,
    executionsMax: options.runs,
    seed: options.seed,
    corpusDirectories: [join(HERE, 'corpus', target), join(HERE, 'regressions', target), join(CACHE, 'corpus', target)],
    discoveredDirectory: join(CACHE, 'corpus', target),
    dictionary: DICTIONARIES[target] ?? [],
    shared,
  };
  const started = Date.now();
  const report: TargetReport = { target, seconds: 0, executions: 0, executionsPerSecond: 0, seeds: 0, corpus: 0, coverage: undefined, findings: [] };
  const currentInput = (): Buffer => Buffer.from(new Uint8Array(shared, 8, Atomics.load(header, 1)));
  return new Promise((resolveRun) => {
    const worker = new Worker(new URL('./engine/worker.ts', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    let lastExecutions = -1;
    let lastProgress = Date.now();
    const watchdog = setInterval(() => {
      const executions = Atomics.load(header, 0);
      if (executions !== lastExecutions) { lastExecutions = executions; lastProgress = Date.now(); return; }
      // Before the first input the worker is still loading and instrumenting: not a hang.
      if (executions > 0 && Date.now() - lastProgress > options.timeoutMs) {
        report.findings.push(saveFinding(target, 'hang', currentInput(), `one input ran longer than ${options.timeoutMs} ms`));
        void worker.terminate();
      }
    }, WATCHDOG_INTERVAL_MS);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'finding') {
        report.findings.push(saveFinding(target, message.kind, Buffer.from(message.input), message.message));
        return;
      }
      Object.assign(report, { executions: message.executions, seeds: message.seeds, corpus: message.corpus, coverage: message.coverage });
      if (message.type === 'stats') process.stderr.write(`  ${target}: ${message.executions} inputs, corpus ${message.corpus}, ${message.coverage.features} features\r`);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const kind: FindingKind = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crash';
      report.findings.push(saveFinding(target, kind, currentInput(), `the worker died: ${error.stack ?? error.message}`));
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      report.seconds = (Date.now() - started) / 1000;
      report.executions = Math.max(report.executions, Atomics.load(header, 0));
      report.executionsPerSecond = Math.round(report.executions / Math.max(report.seconds, 0.001));
      resolveRun(report);
    });
  });
}

function percent(part: { covered: number; total: number }): string {
  return `${part.covered}/${part.total} (${part.total === 0 ? 0 : ((100 * part.covered) / part.total).toFixed(1)}%)`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      runs: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
      seed: { type: 'string' },
      'timeout-ms': { type: 'string', default: String(INPUT_TIMEOUT_MS_DEFAULT) },
      json: { type: 'boolean', default: false },
    },
  });
  const unknown = positionals.filter((name) => !(name in TARGETS));
  if (unknown.length > 0) {
    console.error(`fuzz: unknown target ${unknown.join(', ')}; targets: ${Object.keys(TARGETS).join(', ')}`);
    return 2;
  }
  const targets = positionals.length > 0 ? positionals : Object.keys(TARGETS);
  const options = { seconds: Number(values.seconds), runs: Number(values.runs), seed: Number(values.seed ?? Date.now() % 0xffffffff), timeoutMs: Number(values['timeout-ms']) };
  const reports: TargetReport[] = [];
  for (const target of targets) {
    console.log(`fuzzing ${target} for ${options.seconds} s (seed ${options.seed}): ${TARGETS[target]!.description}`);
    const report = await runTarget(target, options);
    reports.push(report);
    const coverage = report.coverage;
    console.log(`  ${target}: ${report.executions} inputs in ${report.seconds.toFixed(1)} s (${report.executionsPerSecond}/s), corpus ${report.corpus} (${report.seeds} at start)`);
    if (coverage) console.log(`  coverage of ${coverage.files} files: statements ${percent(coverage.statements)}, branches ${percent(coverage.branches)}, functions ${percent(coverage.functions)}, ${coverage.features} features`);
    for (const finding of report.findings) {
      console.log(`  FINDING ${finding.kind}: ${finding.path}\n    ${finding.message.split('\n').join('\n    ')}`);
    }
  }
  if (values.json) console.log(JSON.stringify(reports.map(({ findings, ...rest }) => ({ ...rest, findings: findings.map(({ input: _input, ...finding }) => finding) }))));
  const found = reports.flatMap((report) => report.findings);
  if (found.length > 0) {
    console.log(`\n${found.length} finding(s). Once fixed, copy each input to test/fuzz/regressions/TARGET/ (a short name saying what it was): npm test replays them.`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();

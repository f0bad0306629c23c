// Runs one fuzz target in a worker thread and watches it: an input that runs past the time
// bound (a hang) or a worker that dies (out of memory, a crash outside the target) is saved
// with the input that was running, which the worker keeps in shared memory.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CoverageFigures } from './coverage.ts';
import type { FindingKind, WorkerData, WorkerMessage } from './protocol.ts';

/** How often the supervisor looks whether the worker still makes progress. */
const WATCHDOG_INTERVAL_MS = 250;
/** Time a worker may take to load and instrument the target before its first input. */
const LOAD_TIMEOUT_MS = 120_000;
/** Heap of the fuzzing worker: a decoder that needs more for one input is a finding. */
const WORKER_HEAP_MB = 512;

export interface Finding { target: string; kind: FindingKind; input: Buffer; message: string; path: string }

export interface TargetReport {
  target: string;
  seconds: number;
  executions: number;
  executionsPerSecond: number;
  seeds: number;
  corpus: number;
  coverage: CoverageFigures | undefined;
  findings: Finding[];
}

export interface RunOptions {
  seconds: number;
  runs: number;
  seed: number;
  /** One input that runs longer than this is a hang. */
  timeoutMs: number;
  /** Findings are written under it, in a folder per target. */
  findingsDirectory: string;
}

function saveFinding(directory: string, target: string, kind: FindingKind, input: Buffer, message: string): Finding {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${kind}-${createHash('sha1').update(input).digest('hex')}`);
  writeFileSync(path, input);
  writeFileSync(`${path}.txt`, `${message}\n`);
  return { target, kind, input, message, path };
}

export function runTarget(data: Omit<WorkerData, 'shared' | 'seconds' | 'executionsMax' | 'seed'>, options: RunOptions): Promise<TargetReport> {
  const { target } = data;
  const shared = new SharedArrayBuffer(8 + data.inputBytesMax);
  const header = new Int32Array(shared, 0, 2);
  const workerData: WorkerData = { ...data, seconds: options.seconds, executionsMax: options.runs, seed: options.seed, shared };
  const findings = join(options.findingsDirectory, target);
  const started = Date.now();
  const report: TargetReport = { target, seconds: 0, executions: 0, executionsPerSecond: 0, seeds: 0, corpus: 0, coverage: undefined, findings: [] };
  const currentInput = (): Buffer => Buffer.from(new Uint8Array(shared, 8, Atomics.load(header, 1)));
  return new Promise((resolveRun) => {
    // stripTypeScriptTypes is marked experimental; its warning would open every run's output.
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB }, execArgv: ['--disable-warning=ExperimentalWarning'] });
    let lastExecutions = -1;
    let lastProgress = Date.now();
    let running = true;
    const watchdog = setInterval(() => {
      const executions = Atomics.load(header, 0);
      if (executions !== lastExecutions) { lastExecutions = executions; lastProgress = Date.now(); return; }
      if (!running) return;
      // Before the first input the worker is still loading and instrumenting: not a hang, unless it never ends.
      if (executions === 0 && Date.now() - started > LOAD_TIMEOUT_MS) {
        running = false;
        report.findings.push(saveFinding(findings, target, 'crash', Buffer.alloc(0), `the target did not load within ${LOAD_TIMEOUT_MS} ms`));
        void worker.terminate();
      } else if (executions > 0 && Date.now() - lastProgress > options.timeoutMs) {
        running = false;
        report.findings.push(saveFinding(findings, target, 'hang', currentInput(), `one input ran longer than ${options.timeoutMs} ms`));
        void worker.terminate();
      }
    }, WATCHDOG_INTERVAL_MS);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'finding') {
        report.findings.push(saveFinding(findings, target, message.kind, Buffer.from(message.input), message.message));
        return;
      }
      Object.assign(report, { executions: message.executions, seeds: message.seeds, corpus: message.corpus, coverage: message.coverage });
      if (message.type === 'stats') process.stderr.write(`  ${target}: ${message.executions} inputs, corpus ${message.corpus}, ${message.coverage.features} features\r`);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      running = false;
      const kind: FindingKind = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crash';
      report.findings.push(saveFinding(findings, target, kind, currentInput(), `the worker died: ${error.stack ?? error.message}`));
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

// The fuzzing loop, in a worker thread of its own so that the supervisor can stop an input
// that hangs and survive one that exhausts the heap. It instruments the target's sources,
// runs every corpus entry once, then mutates entries for the time given, keeping each input
// that reaches new coverage. The input being run is always in shared memory, so that the
// supervisor can save it whatever happens to this thread.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { CoverageMap, instrumentSources } from './coverage.ts';
import { installAllocationCounter, takeAllocatedBytes } from './allocations.ts';
import { readCorpus } from './corpus.ts';
import { Mutator, Random } from './mutator.ts';
import { describeThrown, type WorkerData, type WorkerMessage } from './protocol.ts';
import type { FuzzTarget } from '../targets/target.ts';

/** How often progress is reported to the supervisor. */
const STATS_INTERVAL_MS = 2_000;
/** Distinct findings reported per run; past this the target is too broken to learn more. */
const FINDINGS_MAX = 20;
/** Corpus entries kept in memory to mutate; later discoveries are still written to disk. */
const CORPUS_ENTRIES_MAX = 20_000;

const data = workerData as WorkerData;
const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
instrumentSources(PROJECT_ROOT, data.coverage);
installAllocationCounter();
const target = (await import(data.moduleUrl)).default as FuzzTarget;

const header = new Int32Array(data.shared, 0, 2);
const inputView = new Uint8Array(data.shared, 8);
const send = (message: WorkerMessage): void => parentPort!.postMessage(message);

const coverage = new CoverageMap();
const signatures = new Set<string>();
let executions = 0;

/** Runs one input; returns the new features it reached. */
function run(input: Buffer): number {
  inputView.set(input.subarray(0, inputView.length));
  Atomics.store(header, 1, Math.min(input.length, inputView.length));
  // Counted before it runs: the supervisor sees an input that never returns, the first one too.
  Atomics.store(header, 0, executions + 1);
  takeAllocatedBytes();
  try {
    target.fuzz(input);
  } catch (error) {
    if (!target.isExpectedError(error)) report('crash', input, describeThrown(error));
  }
  const allocated = takeAllocatedBytes();
  const allowed = target.allocationBytesMax(input);
  if (allocated > allowed) report('allocation', input, `allocated ${allocated} bytes of Buffers for a ${input.length}-byte input; the bound is ${allowed}`);
  executions++;
  coverage.refresh();
  return coverage.collect();
}

function report(kind: 'crash' | 'allocation', input: Buffer, message: string): void {
  const signature = `${kind}:${message.split('\n').slice(0, 2).join('|').replace(/\d+/g, 'N')}`;
  if (signatures.has(signature) || signatures.size >= FINDINGS_MAX) return;
  signatures.add(signature);
  send({ type: 'finding', kind, input, message });
}

const random = new Random(data.seed);
const corpus = readCorpus(data.corpusDirectories, data.inputBytesMax);
const mutator = new Mutator(random, data.inputBytesMax, data.dictionary.map((token) => Buffer.from(token, 'latin1')));
mkdirSync(data.discoveredDirectory, { recursive: true });

coverage.reset();
// Every entry runs once; all stay in the corpus as material to mutate.
for (const input of corpus) run(input);
if (corpus.length === 0) corpus.push(Buffer.alloc(0));
const seeds = corpus.length;

function stats(final: boolean): WorkerMessage {
  return { type: final ? 'done' : 'stats', executions, corpus: corpus.length, seeds, coverage: coverage.figures() };
}

const deadline = Date.now() + data.seconds * 1000;
let nextStats = Date.now() + STATS_INTERVAL_MS;
while (executions < data.executionsMax) {
  // Check the clock every 256 inputs: a clock read per input would cost more than some inputs.
  if ((executions & 0xff) === 0) {
    const now = Date.now();
    if (now >= deadline) break;
    if (now >= nextStats) { send(stats(false)); nextStats = now + STATS_INTERVAL_MS; }
  }
  const base = corpus[random.below(corpus.length)]!;
  const input = mutator.mutate(base, corpus[random.below(corpus.length)]!);
  if (run(input) > 0) {
    if (corpus.length < CORPUS_ENTRIES_MAX) corpus.push(input);
    writeFileSync(join(data.discoveredDirectory, createHash('sha1').update(input).digest('hex')), input);
  }
}
send(stats(true));

// Pipelines benchmark (not a test). On a real log store (real files, fdatasync), the same
// JSON readings are read from `sensors` and written on, two ways, taking turns:
//   baseline  plain consume-and-produce: each record read and appended unchanged to a topic,
//             one append per read, as a minimal Kafka Streams-less forwarder would;
//   pipeline  the README's example pipeline (filter, then a 60 s window with avg, max and
//             count per key), run by the pipeline runner with its commits and state topic.
// It prints records/s and CPU microseconds per record of each, and their ratio. Then it
// measures the heap that 100 open windows × 1,000 keys hold in a window step.
//
//   npm run bench:pipelines
//   BENCH_RECORDS=200000 BENCH_ROUNDS=3 npm run bench:pipelines
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_STORAGE_CONFIG, DEFAULT_TOPIC_CONFIG } from '../shared/config/topic-config.ts';
import { decodeRecords, encodeRecordBatch, iterateBatchHeaders, type RecordInput } from '../shared/kafka/record-batch.ts';
import { silentLogger } from '../shared/logger.ts';
import type { PipelineConfig } from '../shared/config/pipelines-schema.ts';
import { LogStore } from '../edge/storage/index.ts';
import { PipelineRunner } from '../edge/pipelines/index.ts';
import { RecordScope } from '../edge/pipelines/expression/record-scope.ts';
import { planPipelines } from '../edge/pipelines/plan.ts';
import { buildSteps } from '../edge/pipelines/step-chain.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = 1000;
/** Readings per produce batch, as an MQTT ingest of 1 Hz sensors coalesces them. */
const RECORDS_PER_BATCH = 100;
/** Bytes per read of the baseline: its re-encoded batch must stay under maxMessageBytes (1 MiB). */
const READ_BYTES = 512 * 1024;
const T0 = 1_700_000_040_000;

const EXAMPLE: PipelineConfig = {
  name: 'greenhouse-1m', from: 'sensors', to: 'sensors-1m', decode: 'json', encode: 'json', startFrom: 'earliest', commitIntervalMs: 1000,
  steps: [{ filter: 'temp >= -40 and temp <= 85' }, { window: { size: '60s', grace: '5s', aggregate: { avg: 'avg(temp)', max: 'max(temp)', n: 'count()' } } }],
  limits: { openWindows: 1000, keysPerWindow: 100_000, dedupeEntries: 100_000, throttleKeys: 100_000, recordBytes: 1024 * 1024 },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function openStore(dataDir: string): Promise<LogStore> {
  return LogStore.open({ dataDir, logger: silentLogger(), registry: new Registry(), storage: { ...DEFAULT_STORAGE_CONFIG, retentionCheckCron: '0 0 1 1 *' }, topicDefaults: DEFAULT_TOPIC_CONFIG });
}

/** 1 Hz readings of KEYS sensors: one record per key per second of event time, 2 % out of range. */
async function fillInput(store: LogStore): Promise<void> {
  await store.createTopic('sensors');
  const partition = store.partition('sensors', 0);
  for (let start = 0; start < RECORDS; start += RECORDS_PER_BATCH) {
    const records: RecordInput[] = [];
    for (let index = start; index < Math.min(RECORDS, start + RECORDS_PER_BATCH); index++) {
      const temp = index % 50 === 0 ? 120 : 15 + (index % 170) / 10;
      records.push({ key: `sensor-${index % KEYS}`, value: `{"temp":${temp},"humidity":${40 + (index % 20)}}`, timestampMs: T0 + Math.floor(index / KEYS) * 1000 });
    }
    await partition.append(encodeRecordBatch({ records }));
  }
}

interface Measurement { seconds: number; cpuMicroseconds: number }

async function measure(work: () => Promise<void>): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMicroseconds: used.user + used.system };
}

/** Consume-and-produce: every record read and appended as it is to `copy-N`, one append per read. */
async function baseline(store: LogStore, round: number): Promise<Measurement> {
  const target = `copy-${round}`;
  await store.createTopic(target);
  const input = store.partition('sensors', 0);
  const output = store.partition(target, 0);
  return measure(async () => {
    let offset = 0n;
    while (offset < input.highWatermark) {
      const { batches } = await input.read(offset, READ_BYTES);
      const records: RecordInput[] = [];
      for (const header of iterateBatchHeaders(batches)) {
        for (const record of decodeRecords(batches, header.position)) records.push({ key: record.key, value: record.value, timestampMs: record.timestamp, headers: record.headers });
        offset = header.lastOffset + 1n;
      }
      await output.append(encodeRecordBatch({ records }));
    }
  });
}

/** The example pipeline under a fresh name, until it has committed the whole input. */
async function pipeline(store: LogStore, round: number): Promise<Measurement> {
  const config = { ...EXAMPLE, name: `bench-${round}`, to: `summaries-${round}` };
  const input = store.partition('sensors', 0);
  let runner: PipelineRunner | undefined;
  const result = await measure(async () => {
    runner = await PipelineRunner.start({ pipelines: [config], log: store, registry: new Registry(), logger: silentLogger() });
    for (;;) {
      const status = runner.report()[0]!.partitions[0];
      if (status !== undefined && BigInt(status.committedPosition) >= input.highWatermark) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  await runner?.close();
  return result;
}

function heapAfterCollection(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Heap held by a window step with 100 open windows of 1,000 keys each (the example's three aggregates). */
function windowMemory(): { bytes: number; entries: number; openWindows: number } {
  const config = { ...EXAMPLE, steps: [{ window: { size: '1m', grace: '1000h', aggregate: { avg: 'avg(temp)', max: 'max(temp)', n: 'count()' } } }] } as PipelineConfig;
  const [plan] = planPipelines([config]);
  const counters = { filtered: 0, late: 0, errors: 0, limitDrops: 0 };
  const before = heapAfterCollection();
  const [step] = buildSteps(plan!, { scope: new RecordScope(), counters, report: () => undefined }, config.limits);
  let offset = 0n;
  for (let window = 0; window < 100; window++) {
    for (let key = 0; key < 1000; key++) {
      step!.process({ key: Buffer.from(`sensor-${key}`), value: { temp: 20 + key / 100 }, timestamp: T0 + window * 60_000, headers: [], offset: offset++ }, () => undefined);
    }
  }
  step!.state!.takeChanges();
  const bytes = heapAfterCollection() - before;
  const size = step!.state!.size();
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') console.log('(run with node --expose-gc for an exact heap figure)');
  return { bytes, ...size };
}

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-pipelines-'));
try {
  const store = await openStore(dataDir);
  await fillInput(store);
  console.log(`input: ${RECORDS} JSON readings of ${KEYS} sensors (1 Hz event time), ${(store.partition('sensors', 0).segments.reduce((sum, segment) => sum + segment.sizeBytes, 0) / 1e6).toFixed(1)} MB in one partition`);
  const results = { baseline: [] as Measurement[], pipeline: [] as Measurement[] };
  for (let round = 0; round < ROUNDS; round++) {
    results.baseline.push(await baseline(store, round));
    results.pipeline.push(await pipeline(store, round));
  }
  await store.close();
  const report = (name: string, runs: Measurement[]) => {
    const recordsPerSecond = median(runs.map((run) => RECORDS / run.seconds));
    const cpuPerRecord = median(runs.map((run) => run.cpuMicroseconds / RECORDS));
    console.log(`${name.padEnd(42)} ${Math.round(recordsPerSecond).toLocaleString('en').padStart(10)} records/s  ${cpuPerRecord.toFixed(2).padStart(6)} µs CPU/record  (median of ${runs.length})`);
    return { recordsPerSecond, cpuPerRecord };
  };
  const plain = report('baseline: consume and produce', results.baseline);
  const example = report('example pipeline (filter, 60 s window)', results.pipeline);
  console.log(`ratio pipeline / baseline: throughput ${(example.recordsPerSecond / plain.recordsPerSecond).toFixed(2)}, CPU per record ${(example.cpuPerRecord / plain.cpuPerRecord).toFixed(2)}`);
  const memory = windowMemory();
  console.log(`window state: ${memory.openWindows} open windows × ${memory.entries / memory.openWindows} keys = ${memory.entries} accumulators hold ${(memory.bytes / 1024 / 1024).toFixed(1)} MiB of heap (${Math.round(memory.bytes / memory.entries)} bytes each)`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

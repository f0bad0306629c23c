// Kafka-protocol benchmark (not a test): the edge next to Apache Kafka 4.4 on the same
// machine, in the same run, with the same clients. Three brokers (bench/kafka/brokers.ts):
// the edge as it ships (fdatasync before every acknowledgement), Kafka with its defaults (no
// fsync) and Kafka with flush.messages=1 (fsync before every acknowledgement, the edge's
// durability). Every run starts each broker fresh, in an order that rotates from run to run,
// and puts it through the same phases (bench/kafka/measure-broker.ts): Kafka's own
// ProducerPerformance and ConsumerPerformance with 100-byte records and acks=all, kcat, and
// paced latency. The figures are medians over the runs with their range; the ratios are
// taken within each run.
//
//   npm run bench:kafka
//   BENCH_RUNS=3 BENCH_RECORDS=1000000 BENCH_WARMUP_RECORDS=250000 BENCH_PACED_RATE=5000 BENCH_PACED_SECONDS=10 \
//     BENCH_PACED_WARM_UP_SECONDS=2 BENCH_BROKERS=tributary,kafka,kafka-fsync BENCH_DIR=/var/tmp npm run bench:kafka
//   BENCH_BROKERS=tributary BENCH_CPU_PROFILE_DIR=profiles npm run bench:kafka && node bench/cpu-profile-summary.ts profiles/*.cpuprofile
//
// Needs kcat and the Apache Kafka jars (scripts/apache-kafka/fetch.sh).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpOnCrash } from './cleanup-on-crash.ts';
import { BROKER_DESCRIPTIONS, BROKER_NAMES, startBroker, warmCompileCache, type BrokerName } from './kafka/brokers.ts';
import { kcatProduceToMockBroker, writeRecordsFile } from './kafka/kcat.ts';
import { measureBroker, type BrokerFigures, type KafkaBenchSizes } from './kafka/measure-broker.ts';
import { loadAverage } from './process-stats.ts';
import { count, fixed, goalLine, renderTable, runRatios, type FigureRow, type Goal, type RatioColumn } from './report.ts';
import { spread } from './statistics.ts';

function numberOption(name: string, fallback: number): number {
  const raw = process.env[`BENCH_${name}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`BENCH_${name}: "${raw}" is not a whole number`);
  return value;
}

const RUNS = Math.max(1, numberOption('RUNS', 3));
const SIZES: KafkaBenchSizes = {
  records: numberOption('RECORDS', 1_000_000),
  warmUpRecords: numberOption('WARMUP_RECORDS', 250_000),
  recordBytes: 100,
  partitions: 6,
  pacedRecordsPerSecond: numberOption('PACED_RATE', 5_000),
  pacedSeconds: numberOption('PACED_SECONDS', 10),
  pacedWarmUpSeconds: numberOption('PACED_WARM_UP_SECONDS', 2),
};
const BROKERS = (process.env.BENCH_BROKERS?.split(',') ?? [...BROKER_NAMES]) as BrokerName[];
for (const name of BROKERS) if (!BROKER_NAMES.includes(name)) throw new Error(`BENCH_BROKERS: no broker "${name}" (${BROKER_NAMES.join(', ')})`);

/** Where the edge writes a V8 CPU profile of each run, with the times of its phases beside it (bench/cpu-profile-summary.ts reads both); none when unset. */
const CPU_PROFILE_DIRECTORY = process.env.BENCH_CPU_PROFILE_DIR;
if (CPU_PROFILE_DIRECTORY !== undefined) mkdirSync(CPU_PROFILE_DIRECTORY, { recursive: true });

const EDGE = 'tributary' satisfies BrokerName;
const RATIOS: RatioColumn<BrokerName>[] = (['kafka', 'kafka-fsync'] as const).filter((name) => BROKERS.includes(EDGE) && BROKERS.includes(name)).map((denominator) => ({ numerator: EDGE, denominator }));

/** The rows of the table: which figure, which way is better, how it is printed. */
const ROWS: { key: keyof BrokerFigures; label: string; better: 'higher' | 'lower'; format: (value: number) => string }[] = [
  { key: 'produceRecordsPerSecond', label: 'produce records/s (ProducerPerformance, steady state)', better: 'higher', format: count },
  { key: 'produceP50Ms', label: '  its send-to-ack latency p50 ms (full speed: queueing)', better: 'lower', format: count },
  { key: 'produceP99Ms', label: '  p99 ms', better: 'lower', format: count },
  { key: 'produceP999Ms', label: '  p99.9 ms', better: 'lower', format: count },
  { key: 'produceCpuSecondsPerMillion', label: '  broker CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'produceClientCpuSecondsPerMillion', label: '  client CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'produceMeanSyncMs', label: '  edge fdatasync mean ms (what an ack waits for)', better: 'lower', format: fixed(1) },
  { key: 'consumeRecordsPerSecond', label: 'consume records/s (ConsumerPerformance, fetching)', better: 'higher', format: count },
  { key: 'consumeWithJoinRecordsPerSecond', label: '  with the group join', better: 'higher', format: count },
  { key: 'consumeCpuSecondsPerMillion', label: '  broker CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'consumeClientCpuSecondsPerMillion', label: '  client CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'kcatProduceRecordsPerSecond', label: 'produce records/s (kcat)', better: 'higher', format: count },
  { key: 'kcatProduceCpuSecondsPerMillion', label: '  broker CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'kcatProduceClientCpuSecondsPerMillion', label: '  client CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'kcatConsumeRecordsPerSecond', label: 'consume records/s (kcat)', better: 'higher', format: count },
  { key: 'kcatConsumeCpuSecondsPerMillion', label: '  broker CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'kcatConsumeClientCpuSecondsPerMillion', label: '  client CPU s per million records', better: 'lower', format: fixed(2) },
  { key: 'pacedP50Ms', label: `paced ${count(SIZES.pacedRecordsPerSecond)}/s send-to-ack p50 ms (ProducerPerformance)`, better: 'lower', format: count },
  { key: 'pacedP99Ms', label: '  p99 ms', better: 'lower', format: count },
  { key: 'pacedP999Ms', label: '  p99.9 ms', better: 'lower', format: count },
  { key: 'pacedMeanSyncMs', label: '  edge fdatasync mean ms', better: 'lower', format: fixed(1) },
  { key: 'pacedSyncP99BoundMs', label: '  edge fdatasync p99 at most, ms', better: 'lower', format: fixed(1) },
  { key: 'endToEndP50Ms', label: `paced ${count(SIZES.pacedRecordsPerSecond)}/s end-to-end p50 ms (@platformatic/kafka)`, better: 'lower', format: fixed(2) },
  { key: 'endToEndP99Ms', label: '  p99 ms', better: 'lower', format: fixed(2) },
  { key: 'endToEndP999Ms', label: '  p99.9 ms', better: 'lower', format: fixed(2) },
  { key: 'idleRssMiB', label: 'RSS after start, MiB', better: 'lower', format: fixed(1) },
  { key: 'peakRssMiB', label: 'peak RSS (VmHWM), MiB', better: 'lower', format: fixed(1) },
  { key: 'durableAppendRatio', label: 'kcat produce / durable-append baseline (edge)', better: 'higher', format: fixed(2) },
  { key: 'bytesPerSync', label: '  bytes per fdatasync (edge)', better: 'higher', format: count },
];

const loadText = (): string => loadAverage().map((value) => value.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-kafka-bench-'));
  console.log(`Kafka benchmark: ${count(SIZES.records)} records of ${SIZES.recordBytes} bytes (after ${count(SIZES.warmUpRecords)} warm-up records) to ${SIZES.partitions} partitions, acks=all, ${RUNS} run${RUNS === 1 ? '' : 's'}`);
  for (const name of BROKERS) console.log(`  ${name.padEnd(12)} ${BROKER_DESCRIPTIONS[name]}`);
  console.log(`load average (1, 5, 15 min) at start: ${loadText()}`);
  const figures = Object.fromEntries(BROKERS.map((name) => [name, [] as BrokerFigures[]])) as Record<BrokerName, BrokerFigures[]>;
  const mockRecordsPerSecond: number[] = [];
  const loads: string[] = [];
  try {
    const recordsFile = join(root, 'records.txt');
    writeRecordsFile(recordsFile, SIZES.records, SIZES.recordBytes);
    if (BROKERS.includes(EDGE)) await warmCompileCache(root);
    for (let run = 0; run < RUNS; run++) {
      // Each broker goes first in turn, so that a slow spell of the shared machine does not always fall on the same one.
      const order = BROKERS.map((_unused, index) => BROKERS[(index + run) % BROKERS.length]!);
      mockRecordsPerSecond.push(SIZES.records / (await kcatProduceToMockBroker('bench-mock', recordsFile)));
      for (const name of order) {
        const directory = mkdtempSync(join(root, `run-${run + 1}-${name}-`));
        const broker = await startBroker(name, directory, name === 'tributary' ? CPU_PROFILE_DIRECTORY : undefined);
        const forget = cleanUpOnCrash(() => broker.cleanup());
        try {
          const { figures: result, phases } = await measureBroker(broker, SIZES, recordsFile, directory);
          figures[name].push(result);
          if (CPU_PROFILE_DIRECTORY !== undefined && name === 'tributary') writeFileSync(join(CPU_PROFILE_DIRECTORY, `phases-${broker.pid}.json`), JSON.stringify(phases));
          console.log(`run ${run + 1} ${name.padEnd(12)} produce ${count(result.produceRecordsPerSecond)}/s, consume ${count(result.consumeRecordsPerSecond)}/s, kcat ${count(result.kcatProduceRecordsPerSecond)}/s and ${count(result.kcatConsumeRecordsPerSecond)}/s, paced p99 ${count(result.pacedP99Ms)} ms, peak RSS ${result.peakRssMiB.toFixed(1)} MiB`);
        } finally {
          await broker.cleanup();
          forget();
          rmSync(directory, { recursive: true, force: true });
        }
      }
      loads.push(loadText());
      console.log(`run ${run + 1} done; load average ${loads.at(-1)}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  report(figures, mockRecordsPerSecond, loads);
}

function report(figures: Record<BrokerName, BrokerFigures[]>, mockRecordsPerSecond: number[], loads: string[]): void {
  const rows: FigureRow<BrokerName>[] = ROWS.map((row) => ({ label: row.label, better: row.better, format: row.format, values: Object.fromEntries(BROKERS.map((name) => [name, figures[name].map((run) => run[row.key])])) as Record<BrokerName, number[]> }));
  const rowOf = (key: keyof BrokerFigures): FigureRow<BrokerName> => rows[ROWS.findIndex((row) => row.key === key)]!;
  console.log(`\nmedian (lowest–highest) of ${RUNS} run${RUNS === 1 ? '' : 's'}; ratios within each run`);
  for (const line of renderTable(BROKERS, RATIOS, rows)) console.log(line);
  const mock = spread(mockRecordsPerSecond);
  console.log(`kcat against librdkafka's in-memory mock broker (the client's own ceiling here): ${count(mock.median)} records/s (${count(mock.min)}–${count(mock.max)})`);
  console.log(`load average (1, 5, 15 min) after each run: ${loads.join('; ')}`);

  console.log('\ngoals (judged on the median of the same-run ratios)');
  const goals: Goal[] = [];
  const toKafka = RATIOS.find((ratio) => ratio.denominator === 'kafka');
  const toFsync = RATIOS.find((ratio) => ratio.denominator === 'kafka-fsync');
  // The goals, with Kafka's own tools (the figures the goals are set on) and again with kcat,
  // whose client leaves more of the machine to the broker.
  for (const [client, produceKey, consumeKey] of [['', 'produceRecordsPerSecond', 'consumeRecordsPerSecond'], [' (kcat)', 'kcatProduceRecordsPerSecond', 'kcatConsumeRecordsPerSecond']] as const) {
    if (toFsync) goals.push({ label: `produce${client} vs Kafka at equal durability (flush.messages=1)`, values: runRatios(rowOf(produceKey), toFsync), atLeast: 1.0 });
    if (toKafka) goals.push({ label: `produce${client} vs Kafka with its defaults (no fsync)`, values: runRatios(rowOf(produceKey), toKafka), atLeast: 0.8 });
    if (toKafka) goals.push({ label: `consume${client} vs Kafka with its defaults`, values: runRatios(rowOf(consumeKey), toKafka), atLeast: 1.0 });
    if (toFsync) goals.push({ label: `consume${client} vs Kafka with flush.messages=1`, values: runRatios(rowOf(consumeKey), toFsync), atLeast: 1.0 });
  }
  if (toKafka) goals.push({ label: 'peak RSS vs Kafka with its defaults', values: runRatios(rowOf('peakRssMiB'), toKafka), atMost: 0.25 });
  if (toFsync) goals.push({ label: 'peak RSS vs Kafka with flush.messages=1', values: runRatios(rowOf('peakRssMiB'), toFsync), atMost: 0.25 });
  if (BROKERS.includes(EDGE)) {
    goals.push({ label: 'edge kcat produce vs the durable-append baseline', values: figures[EDGE].map((run) => run.durableAppendRatio), atLeast: 0.5 });
    goals.push({ label: 'edge kcat consume, million records/s', values: figures[EDGE].map((run) => run.kcatConsumeRecordsPerSecond / 1e6), atLeast: 1.0 });
    goals.push({ label: 'edge paced end-to-end p99, ms', values: figures[EDGE].map((run) => run.endToEndP99Ms), atMost: 10 });
  }
  for (const goal of goals) console.log(`  ${goalLine(goal)}`);
  console.log(JSON.stringify({ bench: 'kafka', sizes: SIZES, runs: RUNS, brokers: BROKERS, loadAverages: loads, mockRecordsPerSecond, figures }));
}

await main();

// Storage benchmark (not a test): appends 100-byte records from several concurrent
// producers under the default flush policy (always: fdatasync before acknowledging) and
// compares with a baseline measured in the same run on the same disk: plain sequential
// appends of the same bytes to one file with one fdatasync per the same number of bytes.
//
//   npm run bench:storage
//   BENCH_SECONDS=9 BENCH_PRODUCERS=8 BENCH_WINDOW=32 BENCH_RECORDS_PER_BATCH=10 BENCH_PARTITIONS=1,4 npm run bench:storage
//
// It runs twice: on a one-partition topic (one file, the like-for-like comparison with
// the one-file baseline) and on a four-partition topic (four files synced in parallel
// per round, fewer bytes per fdatasync).
//
// Write amplification = bytes the device wrote / batch bytes the log accepted. Device
// bytes come from /proc/diskstats (sectors written by the block device holding the data
// directory: includes file system metadata and journal, and any other process writing to
// that device meanwhile) and /proc/self/io write_bytes (bytes this process caused to be
// written: data only, no journal). Both are printed.
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_STORAGE_CONFIG, DEFAULT_TOPIC_CONFIG } from '../shared/config/topic-settings.ts';
import { encodeRecordBatch } from '../shared/kafka/record-batch.ts';
import { silentLogger } from '../shared/logger.ts';
import { LogStore } from '../edge/storage/index.ts';
import { appendDurably } from './durable-append.ts';
import { median, percentile } from './statistics.ts';

/** Seconds of log-store appending per configuration, split over the rounds; the baselines take about as long again. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 9);
/** The log store and the baseline take turns this many times, so that a burst of other I/O on a shared disk hits both alike; medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 8);
/** Appends each producer keeps outstanding, like a Kafka client's in-flight window of produce requests. */
const WINDOW = Number(process.env.BENCH_WINDOW ?? 32);
const RECORDS_PER_BATCH = Number(process.env.BENCH_RECORDS_PER_BATCH ?? 10);
const PARTITION_COUNTS = (process.env.BENCH_PARTITIONS ?? '1,4').split(',').map(Number);
const RECORD_BYTES = 100;
const MAX_WAIT_MS = process.env.BENCH_MAX_WAIT_MS === undefined ? DEFAULT_STORAGE_CONFIG.groupCommitMaxWaitMs : Number(process.env.BENCH_MAX_WAIT_MS);
/** Latency samples kept; enough for any run of this length. */
const LATENCY_SAMPLES_MAX = 4_000_000;

interface DeviceCounters {
  deviceBytes: number;
  processBytes: number;
}

/** The block device holding `path`, as named in /proc/diskstats. */
function deviceOf(path: string): { name: string; major: number; minor: number } | undefined {
  const dev = statSync(path).dev;
  const major = Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (Number(fields[0]) === major && Number(fields[1]) === minor) return { name: fields[2]!, major, minor };
  }
  return undefined;
}

function counters(device: string | undefined): DeviceCounters {
  let deviceBytes = Number.NaN;
  if (device !== undefined) {
    for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      // Field 10 (index 9): sectors written, 512 bytes each whatever the device's sector size.
      if (fields[2] === device) deviceBytes = Number(fields[9]) * 512;
    }
  }
  const io = readFileSync('/proc/self/io', 'utf8');
  const processBytes = Number(/write_bytes:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN);
  return { deviceBytes, processBytes };
}

async function metricValue(registry: Registry, name: string, suffix: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name) as { values: { metricName?: string; value: number }[] } | undefined;
  return metric?.values.filter((value) => value.metricName === `${name}${suffix}`).reduce((sum, value) => sum + value.value, 0) ?? 0;
}

interface OursResult {
  records: number;
  batchBytes: number;
  seconds: number;
  latencies: Float64Array;
  syncs: number;
  device: DeviceCounters;
}

async function runOurs(dataDir: string, device: string | undefined, seconds: number, partitions: number): Promise<OursResult> {
  const registry = new Registry();
  const store = await LogStore.open({
    dataDir,
    logger: silentLogger(),
    registry,
    storage: { ...DEFAULT_STORAGE_CONFIG, groupCommitMaxWaitMs: MAX_WAIT_MS, retentionCheckCron: '0 0 1 1 *' },
    topicDefaults: { ...DEFAULT_TOPIC_CONFIG },
  });
  await store.createTopic('bench', { partitions });
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  const newBatch = (): Buffer => encodeRecordBatch({ records: Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })) });
  const batchSize = newBatch().length;

  execSync('sync');
  const before = counters(device);
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  const latencies = new Float64Array(LATENCY_SAMPLES_MAX);
  let samples = 0;
  let records = 0;

  async function producer(id: number): Promise<void> {
    const log = store.partition('bench', id % partitions);
    // Each outstanding slot reuses its buffer once its append is durable, like a client's send buffer.
    await Promise.all(Array.from({ length: WINDOW }, async () => {
      const buffer = newBatch();
      while (process.hrtime.bigint() < deadline) {
        const sent = process.hrtime.bigint();
        await log.append(buffer);
        const latency = Number(process.hrtime.bigint() - sent) / 1e6;
        if (samples < LATENCY_SAMPLES_MAX) latencies[samples++] = latency;
        records += RECORDS_PER_BATCH;
      }
    }));
  }
  await Promise.all(Array.from({ length: PRODUCERS }, (_, id) => producer(id)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const syncs = await metricValue(registry, 'tributary_storage_flush_duration_seconds', '_count');
  execSync('sync');
  const after = counters(device);
  await store.close();
  const sorted = latencies.slice(0, samples).sort();
  return {
    records,
    batchBytes: (records / RECORDS_PER_BATCH) * batchSize,
    seconds: elapsed,
    latencies: sorted,
    syncs,
    device: { deviceBytes: after.deviceBytes - before.deviceBytes, processBytes: after.processBytes - before.processBytes },
  };
}

/** The same bytes, appended to one file in chunks of bytesPerSync with an fdatasync after each. */
async function runBaseline(directory: string, totalBytes: number, bytesPerSync: number, device: string | undefined): Promise<{ seconds: number; device: DeviceCounters; syncs: number }> {
  execSync('sync');
  const before = counters(device);
  const { seconds, syncs } = await appendDurably(join(directory, 'baseline.log'), totalBytes, bytesPerSync);
  execSync('sync');
  const after = counters(device);
  return { seconds, syncs, device: { deviceBytes: after.deviceBytes - before.deviceBytes, processBytes: after.processBytes - before.processBytes } };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

async function runConfiguration(root: string, device: string | undefined, partitions: number): Promise<string> {
  console.log(`\n${partitions} partition${partitions === 1 ? '' : 's'}: ${ROUNDS} rounds of ${(SECONDS / ROUNDS).toFixed(1)} s, each followed by its baseline`);
  const rows: { records: number; rate: number; baselineRate: number; ratio: number; wa: number; waBaseline: number; waProcess: number; waProcessBaseline: number; bytesPerSync: number; syncs: number; valueRate: number }[] = [];
  const latencies: Float64Array[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dataDir = join(root, `data-${partitions}-${round}`);
    const ours = await runOurs(dataDir, device, SECONDS / ROUNDS, partitions);
    rmSync(dataDir, { recursive: true, force: true });
    const bytesPerSync = Math.max(1, Math.round(ours.batchBytes / Math.max(1, ours.syncs)));
    const baseline = await runBaseline(root, ours.batchBytes, bytesPerSync, device);
    rmSync(join(root, 'baseline.log'), { force: true });
    const row = {
      records: ours.records / ours.seconds,
      rate: ours.batchBytes / ours.seconds,
      valueRate: (ours.records * RECORD_BYTES) / ours.seconds,
      baselineRate: ours.batchBytes / baseline.seconds,
      ratio: baseline.seconds / ours.seconds,
      wa: ours.device.deviceBytes / ours.batchBytes,
      waBaseline: baseline.device.deviceBytes / ours.batchBytes,
      waProcess: ours.device.processBytes / ours.batchBytes,
      waProcessBaseline: baseline.device.processBytes / ours.batchBytes,
      bytesPerSync,
      syncs: ours.syncs,
    };
    rows.push(row);
    latencies.push(ours.latencies);
    console.log(`  round ${round + 1}: log store ${Math.round(row.records).toLocaleString('en')} records/s ${mib(row.rate)} MiB/s, baseline ${mib(row.baselineRate)} MiB/s, ratio ${row.ratio.toFixed(2)}; ${row.syncs} fdatasyncs of ${bytesPerSync.toLocaleString('en')} bytes; write amplification ${row.wa.toFixed(3)} (baseline ${row.waBaseline.toFixed(3)})`);
  }
  const all = new Float64Array(latencies.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of latencies) {
    all.set(array, at);
    at += array.length;
  }
  all.sort();
  const pick = (key: keyof (typeof rows)[number]): number => median(rows.map((row) => row[key]));
  console.log(`  medians:`);
  console.log(`    log store ${Math.round(pick('records')).toLocaleString('en')} records/s, ${mib(pick('rate'))} MiB/s of batches (${mib(pick('valueRate'))} MiB/s of record values)`);
  console.log(`    append-to-durable latency p50 ${percentile(all, 0.5).toFixed(2)} ms, p99 ${percentile(all, 0.99).toFixed(2)} ms (all rounds)`);
  console.log(`    baseline ${mib(pick('baselineRate'))} MiB/s: the same bytes appended to one file, fdatasync after each ${Math.round(pick('bytesPerSync')).toLocaleString('en')} bytes`);
  console.log(`    ratio ${pick('ratio').toFixed(2)} of baseline throughput (goal >= 0.8)`);
  console.log(`    write amplification (device bytes / batch bytes accepted; goal <= 1.1): /proc/diskstats ${pick('wa').toFixed(3)} (baseline ${pick('waBaseline').toFixed(3)}), /proc/self/io ${pick('waProcess').toFixed(3)} (baseline ${pick('waProcessBaseline').toFixed(3)})`);
  return `${String(partitions).padStart(10)} | ${Math.round(pick('records')).toLocaleString('en').padStart(11)} | ${mib(pick('rate')).padStart(6)} | ${percentile(all, 0.5).toFixed(2).padStart(5)} / ${percentile(all, 0.99).toFixed(2).padStart(6)} | ${pick('ratio').toFixed(2).padStart(5)} | ${pick('wa').toFixed(3)} / ${pick('waProcess').toFixed(3)}`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-bench-'));
  const device = deviceOf(root);
  try {
    console.log(`storage benchmark: ${PRODUCERS} producers x ${WINDOW} outstanding appends, ${RECORDS_PER_BATCH} x ${RECORD_BYTES}-byte records per batch, flush policy always, groupCommitMaxWaitMs ${MAX_WAIT_MS}`);
    console.log(`data directory on device ${device ? `${device.name} (${device.major}:${device.minor})` : 'unknown (no /proc/diskstats entry)'}; write amplification from its sectors written (/proc/diskstats: data, metadata, journal, and any other writer on that device) and from /proc/self/io write_bytes (this process's data only)`);
    const lines: string[] = [];
    for (const partitions of PARTITION_COUNTS) lines.push(await runConfiguration(root, device?.name, partitions));
    console.log('\npartitions |   records/s |  MiB/s | p50 / p99 ms   | ratio | write amplification diskstats / self-io');
    for (const line of lines) console.log(line);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();

// Kafka-protocol benchmark (not a test). Starts `tributary edge` as a user does, then with
// real clients:
//   produce  kcat (librdkafka) sends 100-byte records from a file with acks=all to a
//            6-partition topic: records/s and MB/s, next to the same kcat run against
//            librdkafka's in-memory mock broker (the client's own ceiling), and next to a
//            durable-append baseline measured in the same run on the same file system
//            (plain sequential appends of the same bytes to one file, one fdatasync per the
//            same number of bytes as the broker's group commit wrote between syncs), and
//            the ratio;
//   consume  kcat reads every record back: records/s and MB/s;
//   latency  @platformatic/kafka produces at a paced rate (acks=all) while a consumer in
//            the same process reads: end-to-end p50/p99 from send to receipt. (Not kcat:
//            records piped to it one by one were produced only when its input ended.)
// Each run uses a fresh daemon and data directory; medians over the runs are printed last.
//
//   npm run bench:kafka
//   BENCH_RUNS=3 BENCH_RECORDS=2000000 BENCH_PACED_RATE=5000 BENCH_PACED_SECONDS=5 BENCH_PACED_WARM_UP_SECONDS=2 BENCH_DIR=/var/tmp npm run bench:kafka
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, Producer, type Message } from '@platformatic/kafka';
import { Daemon, metricValue } from '../test/helpers/daemon.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 2_000_000);
const RECORD_BYTES = 100;
const PARTITIONS = 6;
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 5000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const PACED_WARM_UP_SECONDS = Number(process.env.BENCH_PACED_WARM_UP_SECONDS ?? 2);
/** The paced producer hands over the records that are due about every millisecond. */
const PACED_TICK_MS = 1;
/**
 * Produce requests the paced producer may have in flight. The client's default of 5 caps it
 * at 5 requests per produce latency, which a durable (fdatasync) acknowledgement of a few
 * milliseconds turns into a queue; librdkafka pipelines without such a cap.
 */
const PACED_IN_FLIGHT_MAX = 64;
const TOPIC = 'bench';
const LATENCY_TOPIC = 'bench-latency';
/** Bound on one client command; a run that hangs fails instead of waiting forever. */
const COMMAND_TIMEOUT_MS = 300_000;

interface RunResult {
  produceRecordsPerSecond: number;
  produceBytesPerSecond: number;
  /** The same kcat run against librdkafka's in-memory mock broker: what the client manages with no broker work at all. */
  mockProduceRecordsPerSecond: number;
  baselineBytesPerSecond: number;
  bytesPerSync: number;
  consumeRecordsPerSecond: number;
  consumeBytesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencySamples: number;
}

function command(name: string, args: string[], stdout: 'ignore' | 'count-lines' = 'ignore'): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(name, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout === 'count-lines') for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
    });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, lines });
      else reject(new Error(`${name} ${args.join(' ')} exited ${code}\n${stderr}`));
    });
  });
}

/** The records file kcat produces from: one 100-byte value per line. */
function writeRecordsFile(path: string): void {
  const line = Buffer.alloc(RECORD_BYTES + 1, 0x61);
  line[RECORD_BYTES] = 10;
  const linesPerChunk = 10_000;
  const chunk = Buffer.concat(Array.from({ length: linesPerChunk }, () => line));
  const fd = fs.openSync(path, 'w');
  for (let written = 0; written < RECORDS; written += linesPerChunk) {
    fs.writeSync(fd, chunk, 0, Math.min(linesPerChunk, RECORDS - written) * line.length);
  }
  fs.closeSync(fd);
}

function write(fd: number, buffer: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => fs.write(fd, buffer, 0, buffer.length, position, (error) => (error ? reject(error) : resolve())));
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** The durable-append baseline: `totalBytes` appended to one file in chunks of `bytesPerSync`, fdatasync after each. */
async function baseline(directory: string, totalBytes: number, bytesPerSync: number): Promise<number> {
  const path = join(directory, 'baseline.log');
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.alloc(bytesPerSync, 0x62);
  await command('sync', []);
  const started = process.hrtime.bigint();
  for (let position = 0; position < totalBytes; position += bytesPerSync) {
    const length = Math.min(bytesPerSync, totalBytes - position);
    await write(fd, length === chunk.length ? chunk : chunk.subarray(0, length), position);
    await fdatasync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.closeSync(fd);
  rmSync(path);
  return totalBytes / seconds;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/**
 * Paced produce with a consumer reading in the same process, so that both ends use one
 * clock: @platformatic/kafka (the mirror's client) with acks=all. Each tick hands the
 * records that are due to the producer as one request; the value carries its send time.
 */
async function pacedLatency(port: number): Promise<{ p50: number; p99: number; samples: number }> {
  const bootstrapBrokers = [`127.0.0.1:${port}`];
  const producer = new Producer({ clientId: 'bench-paced-producer', bootstrapBrokers, autocreateTopics: false, maxInflights: PACED_IN_FLIGHT_MAX });
  const consumer = new Consumer({ clientId: 'bench-paced-consumer', groupId: 'bench-paced', bootstrapBrokers, maxWaitTime: 500, minBytes: 1 });
  const total = PACED_RATE * PACED_SECONDS;
  const latencies = new Float64Array(total);
  let received = 0;
  const warmedUp = new Set<number>();
  const stream = await consumer.consume({ topics: [LATENCY_TOPIC], mode: 'latest', autocommit: false });
  const allReceived = new Promise<void>((resolve, reject) => {
    stream.on('data', (message: Message) => {
      const sentNs = message.value.readBigUInt64BE(0);
      // Warm-up records carry no send time: they show that the consumer reads every partition.
      if (sentNs === 0n) {
        warmedUp.add(message.partition);
        return;
      }
      if (received < total) latencies[received] = Number(process.hrtime.bigint() - sentNs) / 1e6;
      received++;
      if (received >= total) resolve();
    });
    stream.on('error', reject);
  });
  while (warmedUp.size < PARTITIONS) {
    const messages = Array.from({ length: PARTITIONS }, (_unused, partition) => ({ topic: LATENCY_TOPIC, partition, value: Buffer.alloc(RECORD_BYTES) }));
    await producer.send({ messages, acks: -1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // A paced warm-up first, not measured: the first seconds of a fresh connection and of
  // code not yet optimised say little about the steady state.
  const sends: Promise<unknown>[] = [];
  await pace(producer, PACED_RATE * PACED_WARM_UP_SECONDS, false, sends);
  await pace(producer, total, true, sends);
  await Promise.all(sends);
  await allReceived;
  await stream.close();
  await consumer.close(true);
  await producer.close();
  const sorted = latencies.slice(0, Math.min(received, total)).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length };
}

/** Sends `count` records at PACED_RATE, each tick's due records in one request; measured records carry their send time. */
async function pace(producer: Producer, count: number, measured: boolean, sends: Promise<unknown>[]): Promise<void> {
  const started = process.hrtime.bigint();
  const intervalNs = BigInt(Math.round(1e9 / PACED_RATE));
  for (let sent = 0; sent < count;) {
    const due = Math.min(count, Number((process.hrtime.bigint() - started) / intervalNs) + 1);
    if (due > sent) {
      const messages = [];
      for (; sent < due; sent++) {
        const value = Buffer.alloc(RECORD_BYTES, 0x63);
        value.writeBigUInt64BE(measured ? process.hrtime.bigint() : 0n, 0);
        messages.push({ topic: LATENCY_TOPIC, partition: sent % PARTITIONS, value });
      }
      sends.push(producer.send({ messages, acks: -1 }));
    }
    await new Promise((resolve) => setTimeout(resolve, PACED_TICK_MS));
  }
}

async function run(index: number, root: string): Promise<RunResult> {
  const directory = mkdtempSync(join(root, `run-${index}-`));
  const recordsFile = join(directory, 'records.txt');
  writeRecordsFile(recordsFile);
  const daemon = await Daemon.start({
    dataDir: join(directory, 'daemon'),
    config: { topics: { overrides: { [TOPIC]: { partitions: PARTITIONS }, [LATENCY_TOPIC]: { partitions: PARTITIONS } } } },
  });
  try {
    const broker = `127.0.0.1:${daemon.ports.kafka}`;
    await command('sync', []);
    const produced = await command('kcat', ['-b', broker, '-P', '-t', TOPIC, '-X', 'acks=all', '-X', 'linger.ms=5', '-l', recordsFile]);
    const mock = await command('kcat', ['-X', 'test.mock.num.brokers=1', '-b', '127.0.0.1:1', '-P', '-t', TOPIC, '-X', 'acks=all', '-X', 'linger.ms=5', '-l', recordsFile]);
    const metrics = await daemon.metrics();
    const appendedBytes = metricValue(metrics, 'tributary_storage_append_bytes_total', { topic: TOPIC }) ?? Number.NaN;
    const appendedRecords = metricValue(metrics, 'tributary_storage_append_records_total', { topic: TOPIC }) ?? Number.NaN;
    const syncs = metricValue(metrics, 'tributary_storage_flush_duration_seconds_count') ?? Number.NaN;
    if (appendedRecords !== RECORDS) throw new Error(`the broker appended ${appendedRecords} records, ${RECORDS} were sent`);
    const bytesPerSync = Math.max(1, Math.round(appendedBytes / syncs));
    const baselineBytesPerSecond = await baseline(directory, appendedBytes, bytesPerSync);

    const consumed = await command('kcat', ['-b', broker, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '\\n'], 'count-lines');
    if (consumed.lines !== RECORDS) throw new Error(`kcat consumed ${consumed.lines} records, ${RECORDS} were produced`);

    // The produce phase leaves hundreds of megabytes for the kernel to write back; let that
    // finish first, as before every disk measurement here, so the paced phase measures the broker.
    await command('sync', []);
    const latency = await pacedLatency(daemon.ports.kafka!);
    const result: RunResult = {
      produceRecordsPerSecond: RECORDS / produced.seconds,
      produceBytesPerSecond: appendedBytes / produced.seconds,
      mockProduceRecordsPerSecond: RECORDS / mock.seconds,
      baselineBytesPerSecond,
      bytesPerSync,
      consumeRecordsPerSecond: RECORDS / consumed.seconds,
      consumeBytesPerSecond: appendedBytes / consumed.seconds,
      latencyP50Ms: latency.p50,
      latencyP99Ms: latency.p99,
      latencySamples: latency.samples,
    };
    print(`run ${index + 1}`, result);
    return result;
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
}

const MB = 1e6;
const count = (value: number) => Math.round(value).toLocaleString('en');

function print(label: string, result: RunResult): void {
  const ratio = result.produceBytesPerSecond / result.baselineBytesPerSecond;
  console.log(`${label}:`);
  console.log(`  produce  ${count(result.produceRecordsPerSecond)} records/s, ${(result.produceBytesPerSecond / MB).toFixed(1)} MB/s of batches (kcat, acks=all)`);
  console.log(`           the same kcat run against librdkafka's in-memory mock broker: ${count(result.mockProduceRecordsPerSecond)} records/s (the client's own ceiling on this machine)`);
  console.log(`  baseline ${(result.baselineBytesPerSecond / MB).toFixed(1)} MB/s (sequential appends to one file, fdatasync every ${count(result.bytesPerSync)} bytes as the broker did); ratio ${ratio.toFixed(2)} (goal >= 0.5)`);
  console.log(`  consume  ${count(result.consumeRecordsPerSecond)} records/s, ${(result.consumeBytesPerSecond / MB).toFixed(1)} MB/s of batches (kcat; goal >= 1,000,000 records/s)`);
  console.log(`  paced end-to-end at ${count(PACED_RATE)} records/s after a ${PACED_WARM_UP_SECONDS} s warm-up: p50 ${result.latencyP50Ms.toFixed(2)} ms, p99 ${result.latencyP99Ms.toFixed(2)} ms over ${count(result.latencySamples)} records (@platformatic/kafka, acks=all; goal p99 < 10 ms)`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-kafka-bench-'));
  console.log(`Kafka benchmark: ${count(RECORDS)} records of ${RECORD_BYTES} bytes to ${PARTITIONS} partitions, flush policy always, ${RUNS} runs`);
  try {
    const results: RunResult[] = [];
    for (let index = 0; index < RUNS; index++) results.push(await run(index, root));
    if (results.length > 1) {
      const medianOf = (key: keyof RunResult) => median(results.map((result) => result[key]));
      print(`median of ${results.length} runs`, {
        produceRecordsPerSecond: medianOf('produceRecordsPerSecond'),
        produceBytesPerSecond: medianOf('produceBytesPerSecond'),
        mockProduceRecordsPerSecond: medianOf('mockProduceRecordsPerSecond'),
        baselineBytesPerSecond: medianOf('baselineBytesPerSecond'),
        bytesPerSync: medianOf('bytesPerSync'),
        consumeRecordsPerSecond: medianOf('consumeRecordsPerSecond'),
        consumeBytesPerSecond: medianOf('consumeBytesPerSecond'),
        latencyP50Ms: medianOf('latencyP50Ms'),
        latencyP99Ms: medianOf('latencyP99Ms'),
        latencySamples: medianOf('latencySamples'),
      });
      console.log('  (each figure is the median of its own; the ratio is of the median rates)');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();

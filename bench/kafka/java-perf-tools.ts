// Apache Kafka's own performance tools, run by main class as kafka-producer-perf-test.sh and
// kafka-consumer-perf-test.sh run them, with the same client settings whichever broker they
// measure: org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance (Kafka 4.4).
import { runJava } from '../../test/helpers/apache-kafka.ts';
import { PERF_TOOL_JVM_OPTIONS } from '../java-options.ts';

/**
 * Producer settings for every broker: acks=all, written out although it is the Java client's
 * default; the rest are the client's defaults too (idempotent, linger.ms 5, batch.size 16 KiB,
 * no compression).
 */
export const PRODUCER_PROPERTIES: readonly string[] = ['acks=all'];
/** One tool run at most; a broker that stalls fails the run instead of hanging it. */
const TOOL_TIMEOUT_MS = 600_000;
/**
 * ConsumerPerformance gives up when no record arrives for this long. Its default of 10 s
 * stops a consume early on a loaded machine; the bench waits for every record instead.
 */
const CONSUMER_IDLE_TIMEOUT_MS = 60_000;

export interface ProducerFigures {
  records: number;
  recordsPerSecond: number;
  averageMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface ConsumerFigures {
  records: number;
  /** Records per second while fetching, after the consumer joined its group. */
  fetchRecordsPerSecond: number;
  /** Records per second from the start, group join included. */
  overallRecordsPerSecond: number;
  rebalanceMs: number;
}

/**
 * The summary ProducerPerformance prints last: the steady-state line when warm-up records
 * were asked for, otherwise the whole run's line. Latency is from send to acknowledgement,
 * in whole milliseconds, as the tool measures it.
 */
export function parseProducerPerformance(stdout: string): ProducerFigures {
  const summary = /^(\d+) (?:steady state )?records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/gm;
  let last: RegExpExecArray | undefined;
  for (let match = summary.exec(stdout); match !== null; match = summary.exec(stdout)) last = match;
  if (last === undefined) throw new Error(`no ProducerPerformance summary in its output:\n${stdout}`);
  const [, records, recordsPerSecond, averageMs, maxMs, p50Ms, p95Ms, p99Ms, p999Ms] = last.map(Number) as number[];
  return { records: records!, recordsPerSecond: recordsPerSecond!, averageMs: averageMs!, maxMs: maxMs!, p50Ms: p50Ms!, p95Ms: p95Ms!, p99Ms: p99Ms!, p999Ms: p999Ms! };
}

/**
 * ConsumerPerformance's one line of figures: start.time, end.time, data.consumed.in.MB,
 * MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
 * fetch.nMsg.sec.
 */
export function parseConsumerPerformance(stdout: string): ConsumerFigures {
  const line = stdout.split('\n').map((text) => text.split(',').map((field) => field.trim())).find((fields) => fields.length === 10 && /^\d+$/.test(fields[4]!));
  if (line === undefined) throw new Error(`no ConsumerPerformance figures in its output:\n${stdout}`);
  return { records: Number(line[4]), overallRecordsPerSecond: Number(line[5]), rebalanceMs: Number(line[6]), fetchRecordsPerSecond: Number(line[9]) };
}

export interface ProducerRun {
  bootstrap: string;
  topic: string;
  records: number;
  /** Records sent first and left out of the figures: JIT compilation and connection set-up. */
  warmUpRecords: number;
  recordBytes: number;
  /** A paced run's rate; -1 sends as fast as the broker acknowledges. */
  recordsPerSecond: number;
}

export async function producerPerformance(run: ProducerRun): Promise<ProducerFigures> {
  const result = await runJava('org.apache.kafka.tools.ProducerPerformance', [
    '--bootstrap-server', run.bootstrap, '--topic', run.topic,
    '--num-records', String(run.records + run.warmUpRecords), ...(run.warmUpRecords > 0 ? ['--warmup-records', String(run.warmUpRecords)] : []),
    '--record-size', String(run.recordBytes), '--throughput', String(run.recordsPerSecond),
    '--command-property', ...PRODUCER_PROPERTIES,
  ], { jvmOptions: PERF_TOOL_JVM_OPTIONS, timeoutMs: TOOL_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`ProducerPerformance exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  const figures = parseProducerPerformance(result.stdout);
  if (figures.records !== run.records) throw new Error(`ProducerPerformance measured ${figures.records} records, ${run.records} were asked for:\n${result.stdout}`);
  return figures;
}

export async function consumerPerformance(run: { bootstrap: string; topic: string; records: number; group: string }): Promise<ConsumerFigures> {
  const result = await runJava('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', run.bootstrap, '--topic', run.topic, '--num-records', String(run.records),
    '--group', run.group, '--timeout', String(CONSUMER_IDLE_TIMEOUT_MS),
  ], { jvmOptions: PERF_TOOL_JVM_OPTIONS, timeoutMs: TOOL_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`ConsumerPerformance exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  const figures = parseConsumerPerformance(result.stdout);
  if (figures.records < run.records) throw new Error(`ConsumerPerformance read ${figures.records} records, ${run.records} were produced:\n${result.stdout}\n${result.stderr}`);
  return figures;
}

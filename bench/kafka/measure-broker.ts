// One broker's turn in a run of bench:kafka: the same phases, with the same clients and
// settings, whichever broker it is. Each phase has a topic of its own, so that every consume
// reads exactly what its produce wrote.
//
//   warm-up    the warm-up records produced and consumed once, not measured;
//   produce    Kafka's ProducerPerformance, 100-byte records, acks=all, as fast as the broker
//              acknowledges; warm-up records first, left out of the figures;
//   consume    Kafka's ConsumerPerformance reads them all back;
//   kcat       the same produce and consume with kcat (librdkafka), a client that leaves more
//              of the two cores to the broker; on the edge, its produce is also compared with
//              the durable-append baseline at the edge's own sync cadence;
//   paced      ProducerPerformance at a fixed rate every broker sustains: send-to-acknowledgement
//              latency without a queue in front of the broker;
//   end-to-end @platformatic/kafka at the same rate, produce to consume.
//
// The broker's CPU time over each throughput phase comes from /proc, per million records; its
// resident memory after start (idle) and at its peak (VmHWM) at the end.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurably } from '../durable-append.ts';
import { cpuSeconds, endedChildrenCpuSeconds, memoryKiB } from '../process-stats.ts';
import type { BrokerUnderTest } from './brokers.ts';
import { meanSyncMs, readStorageCounters, subtract, syncPercentileBoundMs, type StorageCounters } from './edge-storage-counters.ts';
import { consumerPerformance, producerPerformance } from './java-perf-tools.ts';
import { kcatConsume, kcatProduce } from './kcat.ts';
import { pacedLatency } from './paced-latency.ts';

export interface KafkaBenchSizes {
  records: number;
  warmUpRecords: number;
  recordBytes: number;
  partitions: number;
  pacedRecordsPerSecond: number;
  pacedSeconds: number;
  pacedWarmUpSeconds: number;
}

/** Every figure one broker gives in one run; NaN where a figure does not apply to it. */
export interface BrokerFigures {
  produceRecordsPerSecond: number;
  produceP50Ms: number;
  produceP99Ms: number;
  produceP999Ms: number;
  produceCpuSecondsPerMillion: number;
  produceClientCpuSecondsPerMillion: number;
  /** The edge's mean fdatasync time while ProducerPerformance ran: what each acknowledgement waits for (edge only). */
  produceMeanSyncMs: number;
  consumeRecordsPerSecond: number;
  consumeWithJoinRecordsPerSecond: number;
  consumeCpuSecondsPerMillion: number;
  consumeClientCpuSecondsPerMillion: number;
  kcatProduceRecordsPerSecond: number;
  kcatProduceCpuSecondsPerMillion: number;
  kcatProduceClientCpuSecondsPerMillion: number;
  kcatConsumeRecordsPerSecond: number;
  kcatConsumeCpuSecondsPerMillion: number;
  kcatConsumeClientCpuSecondsPerMillion: number;
  /** kcat's produce rate in bytes ÷ the durable-append baseline's, at the edge's own bytes per fdatasync (edge only). */
  durableAppendRatio: number;
  bytesPerSync: number;
  pacedP50Ms: number;
  pacedP99Ms: number;
  pacedP999Ms: number;
  /** The edge's mean fdatasync time in the paced phase, and the histogram bound its p99 lies under (edge only). */
  pacedMeanSyncMs: number;
  pacedSyncP99BoundMs: number;
  endToEndP50Ms: number;
  endToEndP99Ms: number;
  endToEndP999Ms: number;
  idleRssMiB: number;
  peakRssMiB: number;
}

const TOPICS = { warmUp: 'bench-warm-up', produce: 'bench-perf', kcat: 'bench-kcat', paced: 'bench-paced', endToEnd: 'bench-end-to-end' } as const;

/** Lets the kernel write back what the previous phase left dirty, so that each produce phase starts from the same state. */
function syncDisks(): void {
  execFileSync('sync');
}

/** When a phase ran, on the machine's monotonic clock (CLOCK_MONOTONIC, the clock of a V8 CPU profile's timestamps), in microseconds. */
export interface PhaseMark { phase: string; startMicroseconds: number; endMicroseconds: number }

const monotonicMicroseconds = (): number => Number(process.hrtime.bigint() / 1000n);

interface PhaseOutcome<T> {
  result: T;
  /** CPU seconds the broker spent in the phase, per million of its records. */
  cpuSecondsPerMillion: number;
  /** The same for the client the phase ran (each phase runs one, as a child process). */
  clientCpuSecondsPerMillion: number;
}

/** Runs one phase, and notes when it ran. */
async function phase<T>(marks: PhaseMark[], broker: BrokerUnderTest, name: string, records: number, work: () => Promise<T>): Promise<PhaseOutcome<T>> {
  const cpuBefore = cpuSeconds(broker.pid);
  const clientCpuBefore = endedChildrenCpuSeconds();
  const startMicroseconds = monotonicMicroseconds();
  const result = await work();
  marks.push({ phase: name, startMicroseconds, endMicroseconds: monotonicMicroseconds() });
  const perMillion = (seconds: number): number => (seconds / records) * 1e6;
  return { result, cpuSecondsPerMillion: perMillion(cpuSeconds(broker.pid) - cpuBefore), clientCpuSecondsPerMillion: perMillion(endedChildrenCpuSeconds() - clientCpuBefore) };
}

export async function measureBroker(broker: BrokerUnderTest, sizes: KafkaBenchSizes, recordsFile: string, directory: string): Promise<{ figures: BrokerFigures; phases: PhaseMark[] }> {
  const idleRssMiB = memoryKiB(broker.pid, 'VmRSS') / 1024;
  for (const topic of Object.values(TOPICS)) await broker.createTopic(topic, sizes.partitions);
  const marks: PhaseMark[] = [];

  // The broker's own warm-up, not measured: a fresh JVM spends its first seconds of load
  // compiling (and V8 optimising), which would count in the broker's CPU time per record
  // and in the first phase's rate rather than show its steady state.
  if (sizes.warmUpRecords > 0) {
    await phase(marks, broker, 'warm-up', sizes.warmUpRecords, async () => {
      await producerPerformance({ bootstrap: broker.bootstrap, topic: TOPICS.warmUp, records: sizes.warmUpRecords, warmUpRecords: 0, recordBytes: sizes.recordBytes, recordsPerSecond: -1 });
      await consumerPerformance({ bootstrap: broker.bootstrap, topic: TOPICS.warmUp, records: sizes.warmUpRecords, group: 'bench-warm-up' });
    });
  }

  syncDisks();
  const produced = sizes.records + sizes.warmUpRecords;
  const storageBeforeProduce = await storageCounters(broker, TOPICS.produce);
  const produce = await phase(marks, broker, 'produce', produced, () => producerPerformance({ bootstrap: broker.bootstrap, topic: TOPICS.produce, records: sizes.records, warmUpRecords: sizes.warmUpRecords, recordBytes: sizes.recordBytes, recordsPerSecond: -1 }));
  const produceStorage = difference(await storageCounters(broker, TOPICS.produce), storageBeforeProduce);
  const consume = await phase(marks, broker, 'consume', produced, () => consumerPerformance({ bootstrap: broker.bootstrap, topic: TOPICS.produce, records: produced, group: 'bench-perf' }));

  syncDisks();
  const appendedBefore = await storageCounters(broker, TOPICS.kcat);
  const kcatProduced = await phase(marks, broker, 'kcat produce', sizes.records, () => kcatProduce(broker.bootstrap, TOPICS.kcat, recordsFile));
  const appended = difference(await storageCounters(broker, TOPICS.kcat), appendedBefore);
  const kcatConsumed = await phase(marks, broker, 'kcat consume', sizes.records, () => kcatConsume(broker.bootstrap, TOPICS.kcat));
  if (kcatConsumed.result.records !== sizes.records) throw new Error(`${broker.name}: kcat consumed ${kcatConsumed.result.records} records, ${sizes.records} were produced`);
  const durable = await durableAppendBaseline(appended, kcatProduced.result, directory);

  syncDisks();
  const pacedRecords = sizes.pacedRecordsPerSecond * sizes.pacedSeconds;
  const storageBeforePaced = await storageCounters(broker, TOPICS.paced);
  const paced = await phase(marks, broker, 'paced produce', pacedRecords, () => producerPerformance({ bootstrap: broker.bootstrap, topic: TOPICS.paced, records: pacedRecords, warmUpRecords: sizes.pacedRecordsPerSecond * sizes.pacedWarmUpSeconds, recordBytes: sizes.recordBytes, recordsPerSecond: sizes.pacedRecordsPerSecond }));
  const pacedStorage = difference(await storageCounters(broker, TOPICS.paced), storageBeforePaced);
  const endToEnd = await phase(marks, broker, 'paced end-to-end', pacedRecords, () => pacedLatency({ bootstrap: broker.bootstrap, topic: TOPICS.endToEnd, partitions: sizes.partitions, recordBytes: sizes.recordBytes, recordsPerSecond: sizes.pacedRecordsPerSecond, seconds: sizes.pacedSeconds, warmUpSeconds: sizes.pacedWarmUpSeconds }));

  const figures: BrokerFigures = {
    produceRecordsPerSecond: produce.result.recordsPerSecond,
    produceP50Ms: produce.result.p50Ms,
    produceP99Ms: produce.result.p99Ms,
    produceP999Ms: produce.result.p999Ms,
    produceCpuSecondsPerMillion: produce.cpuSecondsPerMillion,
    produceClientCpuSecondsPerMillion: produce.clientCpuSecondsPerMillion,
    produceMeanSyncMs: produceStorage === undefined ? Number.NaN : meanSyncMs(produceStorage),
    consumeRecordsPerSecond: consume.result.fetchRecordsPerSecond,
    consumeWithJoinRecordsPerSecond: consume.result.overallRecordsPerSecond,
    consumeCpuSecondsPerMillion: consume.cpuSecondsPerMillion,
    consumeClientCpuSecondsPerMillion: consume.clientCpuSecondsPerMillion,
    kcatProduceRecordsPerSecond: sizes.records / kcatProduced.result,
    kcatProduceCpuSecondsPerMillion: kcatProduced.cpuSecondsPerMillion,
    kcatProduceClientCpuSecondsPerMillion: kcatProduced.clientCpuSecondsPerMillion,
    kcatConsumeRecordsPerSecond: sizes.records / kcatConsumed.result.seconds,
    kcatConsumeCpuSecondsPerMillion: kcatConsumed.cpuSecondsPerMillion,
    kcatConsumeClientCpuSecondsPerMillion: kcatConsumed.clientCpuSecondsPerMillion,
    durableAppendRatio: durable.ratio,
    bytesPerSync: durable.bytesPerSync,
    pacedP50Ms: paced.result.p50Ms,
    pacedP99Ms: paced.result.p99Ms,
    pacedP999Ms: paced.result.p999Ms,
    pacedMeanSyncMs: pacedStorage === undefined ? Number.NaN : meanSyncMs(pacedStorage),
    pacedSyncP99BoundMs: pacedStorage === undefined ? Number.NaN : syncPercentileBoundMs(pacedStorage, 0.99),
    endToEndP50Ms: endToEnd.result.p50Ms,
    endToEndP99Ms: endToEnd.result.p99Ms,
    endToEndP999Ms: endToEnd.result.p999Ms,
    idleRssMiB,
    peakRssMiB: memoryKiB(broker.pid, 'VmHWM') / 1024,
  };
  return { figures, phases: marks };
}

/** The edge's storage counters now; undefined for Kafka, whose metrics are not read. */
async function storageCounters(broker: BrokerUnderTest, topic: string): Promise<StorageCounters | undefined> {
  return broker.metrics === undefined ? undefined : readStorageCounters(await broker.metrics(), topic);
}

function difference(after: StorageCounters | undefined, before: StorageCounters | undefined): StorageCounters | undefined {
  return after === undefined || before === undefined ? undefined : subtract(after, before);
}

/** The edge's kcat produce rate against the same bytes appended to one plain file at the same bytes per fdatasync. */
async function durableAppendBaseline(appended: StorageCounters | undefined, produceSeconds: number, directory: string): Promise<{ ratio: number; bytesPerSync: number }> {
  if (appended === undefined || appended.syncs === 0) return { ratio: Number.NaN, bytesPerSync: Number.NaN };
  const bytesPerSync = Math.max(1, Math.round(appended.bytes / appended.syncs));
  const path = join(directory, 'durable-append-baseline.log');
  syncDisks();
  const baseline = await appendDurably(path, appended.bytes, bytesPerSync);
  rmSync(path, { force: true });
  return { ratio: baseline.seconds / produceSeconds, bytesPerSync };
}

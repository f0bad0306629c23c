// The brokers bench:kafka puts side by side, each started fresh for every run, the way its
// users start it, with its log on the same file system:
//
//   tributary    `tributary edge` with its defaults: flush policy always, so a produce is
//                acknowledged after the fdatasync of its group commit;
//   kafka        Apache Kafka 4.4 as shipped: no fsync, the page cache and (in a cluster)
//                replication make a write durable;
//   kafka-fsync  the same, with the benchmark's topics at flush.messages=1: an fsync of the
//                log before every append is acknowledged, the edge's durability.
//
// Kafka runs with kafka-server-start.sh's JVM flags (BENCH_JVM_OPTIONS), its own default thread
// counts, and the small internal topics and log-cleaner buffer of test/helpers/apache-kafka.ts,
// which can only lower its memory (nothing here is compacted), never flatter the edge's share.
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { ApacheKafka, BENCH_JVM_OPTIONS } from '../../test/helpers/apache-kafka.ts';
import { Daemon } from '../../test/helpers/daemon.ts';

export const BROKER_NAMES = ['tributary', 'kafka', 'kafka-fsync'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

export const BROKER_DESCRIPTIONS: Record<BrokerName, string> = {
  'tributary': 'tributary edge, flush policy always (fdatasync per group commit before the acknowledgement)',
  'kafka': 'Apache Kafka 4.4, its defaults (no fsync)',
  'kafka-fsync': 'Apache Kafka 4.4, topics with flush.messages=1 (fsync per append before the acknowledgement)',
};

/**
 * Kafka's defaults for the settings test/helpers/apache-kafka.ts lowers so that three nodes
 * fit two cores: a produce with flush.messages=1 holds an I/O thread for its fsync, so their number
 * bounds the fsyncs under way at once.
 */
const KAFKA_DEFAULT_THREADS: Record<string, string> = { 'num.io.threads': '8', 'num.network.threads': '3' };
/**
 * A new consumer group rebalances at once on every broker: Kafka's 3 s default (which the
 * tests already set to 0) and the edge's 300 ms would otherwise count in the first
 * consume of a run.
 */
const GROUP_INITIAL_REBALANCE_DELAY_MS = 0;
/** Kafka's per-topic setting: fsync the log after every this many records appended. */
const FSYNC_EVERY_APPEND = { name: 'flush.messages', value: '1' };

export interface BrokerUnderTest {
  readonly name: BrokerName;
  readonly bootstrap: string;
  /** The broker's own process (the daemon's node, Kafka's JVM): its CPU time and memory are the broker's. */
  readonly pid: number;
  createTopic(topic: string, partitions: number): Promise<void>;
  /** The edge's Prometheus metrics text; Kafka's are not read. */
  readonly metrics: (() => Promise<string>) | undefined;
  cleanup(): Promise<void>;
}

/**
 * Starts the edge once and stops it as a service manager does (SIGTERM), so that Node.js
 * writes its compile cache: every measured start then finds it warm, as a device's daemon
 * does after its first start. A cold start strips the TypeScript again and holds the
 * stripping compiler in memory, some 25-30 MB more resident memory.
 */
export async function warmCompileCache(directory: string): Promise<void> {
  const daemon = await Daemon.start({ dataDir: join(directory, 'compile-cache-warm-up'), config: { log: { level: 'warn' } } });
  await daemon.stop();
  await daemon.cleanup();
}

/**
 * `cpuProfileDirectory`: the edge runs under `node --cpu-prof` and writes its CPU profile there
 * when it stops (bench/cpu-profile-summary.ts reads it).
 */
export async function startBroker(name: BrokerName, directory: string, cpuProfileDirectory?: string): Promise<BrokerUnderTest> {
  if (name === 'tributary') {
    const daemon = await Daemon.start({
      dataDir: join(directory, 'tributary'),
      nodeArguments: cpuProfileDirectory === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDirectory}`],
      config: { log: { level: 'warn' }, kafka: { groupInitialRebalanceDelayMs: GROUP_INITIAL_REBALANCE_DELAY_MS } },
    });
    const bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
    // Stopped with SIGTERM, as a service manager stops it: it writes its CPU profile, and its
    // compile cache stays warm for the next start.
    const cleanup = async (): Promise<void> => {
      await daemon.stop();
      await daemon.cleanup();
    };
    return { name, bootstrap, pid: daemon.process.pid!, createTopic: (topic, partitions) => createTopic(bootstrap, topic, partitions, []), metrics: () => daemon.metrics(), cleanup };
  }
  const kafka = await ApacheKafka.start({ jvmOptions: BENCH_JVM_OPTIONS, config: KAFKA_DEFAULT_THREADS, parentDirectory: directory });
  const topicConfigs = name === 'kafka-fsync' ? [FSYNC_EVERY_APPEND] : [];
  return { name, bootstrap: kafka.bootstrap, pid: kafka.nodes[0]!.process!.pid!, createTopic: (topic, partitions) => createTopic(kafka.bootstrap, topic, partitions, topicConfigs), metrics: undefined, cleanup: () => kafka.cleanup() };
}

async function createTopic(bootstrap: string, topic: string, partitions: number, configs: { name: string; value: string }[]): Promise<void> {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1, configs });
  } finally {
    await admin.close();
  }
}

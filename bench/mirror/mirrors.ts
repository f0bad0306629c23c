// The two mirrors bench:mirror drains the same edge backlog with, each a process of its own
// started as its users start it, reading the edge over its Kafka listener and writing to the
// central through the link:
//
//   tributary  `tributary mirror --config FILE` (mirror.embedded: false), the product's
//              defaults: exactly once (source coordinates in headers, idempotent producer),
//              zstd on the link, one request in flight per partition;
//   mm2        Apache Kafka's MirrorMaker 2 (connect-mirror 4.3.1, dedicated mode), its
//              defaults: at least once, no compression, one task.
//
// Where MirrorMaker 2 must be told something to run against the edge at all, the line in
// its properties says why; nothing else is tuned on either side.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnJava } from '../../test/helpers/apache-kafka.ts';
import { Daemon } from '../../test/helpers/daemon.ts';
import { MIRROR_MAKER_JVM_OPTIONS } from '../java-options.ts';

export const MIRROR_NAMES = ['tributary', 'mm2'] as const;
export type MirrorName = (typeof MIRROR_NAMES)[number];

export interface MirrorRun {
  /** The edge's Kafka listener, HOST:PORT. */
  edgeBootstrap: string;
  edgeId: string;
  /** The central as the link presents it. */
  centralBootstrap: string;
  topic: string;
  /** Distinguishes this run's target topics (and MirrorMaker 2's internal topics) from every other run's. */
  runName: string;
  directory: string;
}

export interface RunningMirror {
  readonly pid: number;
  /** The central topic the mirror writes the edge topic to. */
  readonly targetTopic: string;
  /** The process's last output, for the message of a failed run. */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** The last 64 KiB of a process's output: enough to say why a run failed. */
const OUTPUT_KEPT_BYTES = 65_536;
/** MirrorMaker 2 writes no state worth a clean shutdown here; past this it is killed. */
const STOP_TIMEOUT_MS = 10_000;

export function startMirror(name: MirrorName, run: MirrorRun): Promise<RunningMirror> {
  return name === 'tributary' ? startTributaryMirror(run) : startMirrorMaker2(run);
}

async function startTributaryMirror(run: MirrorRun): Promise<RunningMirror> {
  const daemon = await Daemon.start({
    subcommand: 'mirror',
    dataDir: join(run.directory, 'tributary-mirror'),
    config: {
      node: { id: run.edgeId },
      mirror: {
        embedded: false,
        source: { bootstrap: [run.edgeBootstrap] },
        target: { bootstrap: [run.centralBootstrap] },
        topics: { include: [run.topic], template: `${run.runName}.{topic}` },
        http: { port: 0 },
      },
    },
  });
  return {
    pid: daemon.process.pid!,
    targetTopic: `${run.runName}.${run.topic}`,
    output: () => daemon.logLines.slice(-50).map((line) => JSON.stringify(line)).join('\n'),
    alive: () => daemon.process.exitCode === null && daemon.process.signalCode === null,
    // SIGTERM, as a service manager stops it: Node.js then writes its compile cache.
    async stop() {
      await daemon.stop();
      await daemon.cleanup();
    },
  };
}

/**
 * Starts Tributary's mirror once, with nothing to mirror, and stops it, so that Node.js has
 * its compile cache warm for every measured start, as a device has after its first start: a
 * cold start strips the TypeScript again and holds that compiler in memory, some 25-30 MB.
 */
export async function warmTributaryMirror(run: MirrorRun): Promise<void> {
  const mirror = await startTributaryMirror({ ...run, topic: `${run.topic}-nothing-to-mirror` });
  await mirror.stop();
}

/** mm2.properties for one flow, edge -> central; the source alias names the target topic (DefaultReplicationPolicy: alias.topic). */
function mirrorMakerProperties(run: MirrorRun): string {
  const source = run.runName;
  return [
    `clusters = ${source}, central`,
    `${source}.bootstrap.servers = ${run.edgeBootstrap}`,
    `central.bootstrap.servers = ${run.centralBootstrap}`,
    `${source}->central.enabled = true`,
    `${source}->central.topics = ${run.topic}`,
    // One central node: MirrorMaker 2's topics cannot have the replication factors it asks for by default.
    'replication.factor = 1',
    'checkpoints.topic.replication.factor = 1',
    'heartbeats.topic.replication.factor = 1',
    'offset-syncs.topic.replication.factor = 1',
    'offset.storage.replication.factor = 1',
    'status.storage.replication.factor = 1',
    'config.storage.replication.factor = 1',
    // The offset-syncs topic is compacted, and the edge does not compact: keep it on the central.
    'offset-syncs.topic.location = target',
    // The edge serves no ACL requests; MirrorMaker 2 would log a failure every ten minutes.
    'sync.topic.acls.enabled = false',
    '',
  ].join('\n');
}

async function startMirrorMaker2(run: MirrorRun): Promise<RunningMirror> {
  const properties = join(run.directory, 'mm2.properties');
  writeFileSync(properties, mirrorMakerProperties(run));
  // --clusters central: this process drives the flows into the central only (none back into the edge).
  const child = spawnJava('org.apache.kafka.connect.mirror.MirrorMaker', [properties, '--clusters', 'central'], { set: 'mirror-maker', jvmOptions: MIRROR_MAKER_JVM_OPTIONS });
  let output = '';
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-OUTPUT_KEPT_BYTES); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.stdin!.end();
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    pid: child.pid!,
    targetTopic: `${run.runName}.${run.topic}`,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

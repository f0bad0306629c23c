// The mirror's fault scenario, end to end, every part a real process on loopback: a central
// cluster (`tributary central`, or Apache Kafka: the test files that run it say which), two
// edges (`tributary edge`), each with its mirror running as its own process (`tributary
// mirror`) and reaching every broker of the central through one fault-injecting link.
//
// 200,000 records are produced at the edges: 150,000 over the Kafka protocol, 50,000 over
// MQTT (mqtt.js, QoS 1). Meanwhile both links are cut again and again, each mirror is
// restarted twice (once with SIGTERM, once with SIGKILL), edge A is killed with SIGKILL
// and restarted, and the central suffers its own faults (a restart; a killed partition
// leader and a restart of the whole cluster). At the end the central must hold every record
// exactly once, in order per source partition, and every mirror's lag must be 0.
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Producer } from '@platformatic/kafka';
import mqtt from 'mqtt';
import { createLink, type Link } from '../../firmware-sim/link/link.ts';
import { Daemon } from '../helpers/daemon.ts';
import type { KafkaClient } from '../../shared/kafka/client/kafka-client.ts';
import { assertExactCopy, committedOffsets, freePort, kafkaClient, mirrorThroughLink, readPartition, waitFor } from '../mirror/cluster.ts';

/** Records produced over the Kafka protocol: at edge A and at edge B. */
const KAFKA_RECORDS_A = 100_000;
const KAFKA_RECORDS_B = 50_000;
/** MQTT publishes at edge B, from several devices. */
const MQTT_DEVICES = 10;
const MQTT_PUBLISHES_PER_DEVICE = 5_000;
/** Records per Kafka send. */
const SEND_SIZE = 1_000;
/** QoS 1 publishes a device keeps unacknowledged at once. */
const MQTT_IN_FLIGHT = 50;
/** Link cuts at least, on each link. */
const CUTS_MIN = 10;
/**
 * Each link's bandwidth cap: low enough that the mirrors are still sending while the
 * faults happen (values carry random digits, so compression cannot make them vanish).
 */
const LINK_BYTES_PER_SECOND = 600_000;

/** A value no other record has, with some bytes that do not compress. */
function uniqueValue(name: string): string {
  return `${name}-${randomBytes(24).toString('hex')}`;
}

interface EdgeSpec {
  id: string;
  kafkaPort: number;
  link: Link;
  topics: Record<string, number>;
  config: Record<string, unknown>;
  mirrorConfig: Record<string, unknown>;
  edge: Daemon;
  mirror: Daemon;
}

function edgeConfig(id: string, kafkaPort: number, topics: Record<string, number>, mirror: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    node: { id },
    listeners: { kafka: { port: kafkaPort } },
    topics: { overrides: Object.fromEntries(Object.entries(topics).map(([name, partitions]) => [name, { partitions }])) },
    mirror,
    ...extra,
  };
}

/** Produces `count` records over the Kafka protocol; `pause` holds it between sends (for a restart of its edge). */
class KafkaLoad {
  readonly edge: string;
  readonly topic: string;
  readonly partitions: number;
  readonly count: number;
  readonly values: string[] = [];
  #producer: Producer | undefined;
  #paused: Promise<void> | undefined;
  #resume: (() => void) | undefined;
  #sending: Promise<void> = Promise.resolve();
  port: number;
  readonly done: Promise<void>;

  constructor(edge: string, port: number, topic: string, partitions: number, count: number) {
    this.edge = edge;
    this.topic = topic;
    this.partitions = partitions;
    this.count = count;
    this.port = port;
    this.done = this.#run();
  }

  async #run(): Promise<void> {
    for (let sent = 0; sent < this.count; sent += SEND_SIZE) {
      if (this.#paused) await this.#paused;
      this.#producer ??= new Producer({ clientId: `load-${this.edge}`, bootstrapBrokers: [`127.0.0.1:${this.port}`], idempotent: true, acks: -1, retries: 10, retryDelay: 200 });
      const messages = Array.from({ length: Math.min(SEND_SIZE, this.count - sent) }, (_, index) => {
        const value = uniqueValue(`${this.edge}-${this.topic}-${sent + index}`);
        return { topic: this.topic, partition: (sent + index) % this.partitions, key: Buffer.from(`key-${(sent + index) % 17}`), value: Buffer.from(value) };
      });
      this.#sending = this.#producer.send({ messages }).then(() => undefined);
      await this.#sending;
      for (const message of messages) this.values.push(message.value.toString());
    }
    await this.#producer?.close();
  }

  /** Stops after the send in flight is acknowledged. */
  async pause(): Promise<void> {
    this.#paused = new Promise((resolve) => { this.#resume = resolve; });
    await this.#sending.catch(() => undefined);
    await this.#producer?.close().catch(() => undefined);
    this.#producer = undefined;
  }

  resume(port: number): void {
    this.port = port;
    const resume = this.#resume;
    this.#paused = undefined;
    this.#resume = undefined;
    resume?.();
  }
}

/** MQTT devices publishing at QoS 1; a publish counts once its PUBACK arrived (the record is then durable). */
async function mqttLoad(port: number): Promise<string[]> {
  const values: string[] = [];
  await Promise.all(Array.from({ length: MQTT_DEVICES }, async (_, device) => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `device-${device}`, clean: true, reconnectPeriod: 0 });
    try {
      for (let sent = 0; sent < MQTT_PUBLISHES_PER_DEVICE; sent += MQTT_IN_FLIGHT) {
        const batch = Array.from({ length: Math.min(MQTT_IN_FLIGHT, MQTT_PUBLISHES_PER_DEVICE - sent) }, (_, index) => uniqueValue(`mqtt-device-${device}-${sent + index}`));
        await Promise.all(batch.map((value) => client.publishAsync(`plant/device-${device}/temp`, value, { qos: 1 })));
        values.push(...batch);
      }
    } finally {
      await client.endAsync();
    }
  }));
  return values;
}

/** The central cluster the scenario mirrors to, and the faults it suffers. */
export interface FaultCentral {
  /** host:port of every broker, comma-separated, for the test's own reads. */
  readonly bootstrap: string;
  /** Ports of the brokers as the cluster advertises them: each edge's link has a route to each. */
  readonly brokerPorts: readonly number[];
  /** Mirror sections this central needs besides the scenario's; `target` keys join the link's (e.g. replicationFactor). */
  readonly mirrorSettings: Record<string, unknown>;
  /**
   * The central's own faults, while the mirrors are sending: called once 80,000 records are
   * on the central; it returns once it has done its faults and `progress` saw 110,000.
   */
  faults(scenario: ScenarioProgress): Promise<void>;
}

export interface ScenarioProgress {
  /** Waits until the central holds at least this many records in all. */
  progress(atLeast: number, what: string): Promise<void>;
  /** Every target partition with the records its edge holds and the central holds now, the largest backlog first. */
  backlogs(): Promise<PartitionBacklog[]>;
}

export interface PartitionBacklog {
  target: string;
  partition: number;
  atEdge: bigint;
  atCentral: bigint;
}

async function centralCount(bootstrap: string, specs: EdgeSpec[]): Promise<number> {
  const reader = kafkaClient(bootstrap, 'progress');
  try {
    let total = 0;
    for (const spec of specs) {
      for (const [topic, partitions] of Object.entries(spec.topics)) {
        for (let partition = 0; partition < partitions; partition += 1) {
          try {
            total += Number((await reader.offsets(`${spec.id}.${topic}`, partition)).highWatermark);
          } catch {
            // Not created yet, or the central is restarting.
          }
        }
      }
    }
    return total;
  } finally {
    await reader.close();
  }
}

interface PartitionVisit {
  spec: EdgeSpec;
  topic: string;
  partition: number;
  /** The central topic the partition goes to. */
  target: string;
  edgeReader: KafkaClient;
  centralReader: KafkaClient;
}

/** Visits every mirrored partition of every edge, one after another, with a reader of its edge and of the central. */
async function eachPartition(central: FaultCentral, specs: readonly EdgeSpec[], clientId: string, visit: (partition: PartitionVisit) => Promise<void>): Promise<void> {
  const centralReader = kafkaClient(central.bootstrap, clientId);
  try {
    for (const spec of specs) {
      const edgeReader = kafkaClient(`127.0.0.1:${spec.kafkaPort}`, clientId);
      try {
        for (const [topic, partitions] of Object.entries(spec.topics)) {
          for (let partition = 0; partition < partitions; partition += 1) await visit({ spec, topic, partition, target: `${spec.id}.${topic}`, edgeReader, centralReader });
        }
      } finally {
        await edgeReader.close();
      }
    }
  } finally {
    await centralReader.close();
  }
}

/** Runs the scenario against a central that is already running; the caller stops it. */
export async function runFaultScenario(central: FaultCentral): Promise<void> {
  const specs: EdgeSpec[] = [];
  const links: Link[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let cutting = true;
  const cuts = new Map<Link, number>();
  // Every mirror process of the run, restarted ones included, for the summary at the end.
  const mirrorProcesses: Daemon[] = [];
  try {
    for (const [id, topics, mqttRoutes] of [['edge-a', { orders: 3 }, false], ['edge-b', { orders: 2, telemetry: 2 }, true]] as const) {
      const kafkaPort = await freePort();
      const [firstBroker, ...otherBrokers] = central.brokerPorts;
      const link = await createLink({
        listen: '127.0.0.1:0',
        target: `127.0.0.1:${firstBroker}`,
        routes: otherBrokers.map((port) => ({ listen: '127.0.0.1:0', target: `127.0.0.1:${port}` })),
        bandwidthBytesPerSecond: LINK_BYTES_PER_SECOND,
      });
      links.push(link);
      cuts.set(link, 0);
      const mirror = mirrorThroughLink(link, { embedded: false, source: { bootstrap: [`127.0.0.1:${kafkaPort}`] }, topics: { include: Object.keys(topics) }, http: { port: 0 }, ...central.mirrorSettings });
      const extra = mqttRoutes ? { mqtt: { routes: [{ filter: 'plant/+/temp', topic: 'telemetry', key: '{1}' }] } } : {};
      const config = edgeConfig(id, kafkaPort, topics, mirror, extra);
      const edge = await Daemon.start({ config });
      const mirrorDaemon = await Daemon.start({ subcommand: 'mirror', config: { node: { id }, listeners: { kafka: { port: kafkaPort } }, mirror } });
      mirrorProcesses.push(mirrorDaemon);
      specs.push({ id, kafkaPort, link, topics, config, mirrorConfig: { node: { id }, listeners: { kafka: { port: kafkaPort } }, mirror }, edge, mirror: mirrorDaemon });
    }
    cleanups.push(async () => { for (const spec of specs) { await spec.mirror.cleanup(); await spec.edge.cleanup(); } });
    const [a, b] = specs as [EdgeSpec, EdgeSpec];

    // The links fail on their own, all through the run.
    const cutter = (async () => {
      while (cutting) {
        for (const link of links) {
          link.cut(150 + Math.floor(Math.random() * 250));
          cuts.set(link, cuts.get(link)! + 1);
          await new Promise((resolve) => setTimeout(resolve, 400 + Math.floor(Math.random() * 400)));
        }
      }
    })();

    const loadA = new KafkaLoad(a.id, a.kafkaPort, 'orders', 3, KAFKA_RECORDS_A);
    const loadB = new KafkaLoad(b.id, b.kafkaPort, 'orders', 2, KAFKA_RECORDS_B);
    const mqttValues = mqttLoad(b.edge.ports.mqtt!);
    // An edge or mirror that ends without being told to fails the run at once, saying which.
    const exitedOnItsOwn = (): string | undefined => {
      for (const spec of specs) {
        for (const [role, daemon] of [['edge', spec.edge], ['mirror', spec.mirror]] as const) {
          if (daemon.process.exitCode !== null || daemon.process.signalCode !== null) return `${spec.id}'s ${role} exited on its own (${daemon.process.exitCode ?? daemon.process.signalCode})`;
        }
      }
      return undefined;
    };
    const progress = async (atLeast: number, what: string) => {
      const outcome = await waitFor(`${what}: ${atLeast} records on the central`, async () => exitedOnItsOwn() ?? ((await centralCount(central.bootstrap, specs)) >= atLeast ? 'reached' : undefined));
      if (outcome !== 'reached') throw new Error(`${what}: ${outcome}`);
    };

    await progress(10_000, 'start');
    // Mirror A, first restart: a clean stop.
    await a.mirror.stop();
    a.mirror = await a.mirror.restart({ subcommand: 'mirror', config: a.mirrorConfig });
    mirrorProcesses.push(a.mirror);
    await progress(30_000, 'after mirror A restarted');
    // Mirror B, first restart: killed with requests possibly in flight.
    await b.mirror.kill();
    b.mirror = await b.mirror.restart({ subcommand: 'mirror', config: b.mirrorConfig });
    mirrorProcesses.push(b.mirror);
    await progress(50_000, 'after mirror B was killed');
    // Edge A: a power cut, as far as the process can tell. Its producer waits meanwhile.
    await loadA.pause();
    await a.edge.kill();
    a.edge = await a.edge.restart({ config: a.config });
    loadA.resume(a.kafkaPort);
    await progress(80_000, 'after edge A was killed');
    const backlogs = async (): Promise<PartitionBacklog[]> => {
      const found: PartitionBacklog[] = [];
      await eachPartition(central, specs, 'backlog', async ({ topic, partition, target, edgeReader, centralReader }) => {
        found.push({ target, partition, atEdge: (await edgeReader.offsets(topic, partition)).highWatermark, atCentral: (await centralReader.offsets(target, partition)).highWatermark });
      });
      return found.sort((a, b) => Number((b.atEdge - b.atCentral) - (a.atEdge - a.atCentral)));
    };
    await central.faults({ progress, backlogs });
    // Second restart of each mirror, the other way round.
    await a.mirror.kill();
    a.mirror = await a.mirror.restart({ subcommand: 'mirror', config: a.mirrorConfig });
    mirrorProcesses.push(a.mirror);
    await b.mirror.stop();
    b.mirror = await b.mirror.restart({ subcommand: 'mirror', config: b.mirrorConfig });
    mirrorProcesses.push(b.mirror);

    const [mqttSent] = await Promise.all([mqttValues, loadA.done, loadB.done]);
    while (Math.min(...links.map((link) => cuts.get(link)!)) < CUTS_MIN) await new Promise((resolve) => setTimeout(resolve, 100));
    cutting = false;
    await cutter;
    for (const link of links) link.restore();

    const produced = new Set([...loadA.values, ...loadB.values, ...mqttSent]);
    assert.is(produced.size, KAFKA_RECORDS_A + KAFKA_RECORDS_B + MQTT_DEVICES * MQTT_PUBLISHES_PER_DEVICE, '200,000 distinct records produced');
    await progress(produced.size, 'the end');

    // Every source partition: the central holds the edge's records, once each, in order.
    const onCentral = new Map<string, number>();
    await eachPartition(central, specs, 'verify', async ({ spec, topic, partition, target, edgeReader, centralReader }) => {
      // The standalone mirror commits what it delivered to the edge, where retention reads it.
      const { highWatermark } = await edgeReader.offsets(topic, partition);
      await waitFor(`${spec.id}: delivered offset of ${topic}/${partition} committed`, async () => ((await committedOffsets(`127.0.0.1:${spec.kafkaPort}`, 'tributary-mirror')).get(`${topic}/${partition}`) === highWatermark ? true : undefined));
      const records = await readPartition(centralReader, target, partition);
      assertExactCopy(await readPartition(edgeReader, topic, partition), records, `${target}/${partition}`);
      for (const record of records) {
        const value = String(record.value);
        onCentral.set(value, (onCentral.get(value) ?? 0) + 1);
      }
    });
    const twice = [...onCentral].filter(([, count]) => count > 1);
    const missing = [...produced].filter((value) => !onCentral.has(value));
    assert.equal(twice.slice(0, 5), [], 'no record twice on the central');
    assert.equal(missing.slice(0, 5), [], 'no produced record missing on the central');
    assert.is(onCentral.size, produced.size);

    for (const spec of specs) {
      await waitFor(`${spec.id}'s mirror to report lag 0`, async () => {
        const metrics = await spec.mirror.metrics();
        const lags = metrics.split('\n').filter((line) => line.startsWith('tributary_mirror_lag_records{') && line.includes('direction="forward"'));
        const expected = Object.values(spec.topics).reduce((sum, count) => sum + count, 0);
        return lags.length === expected && lags.every((line) => line.endsWith(' 0')) ? true : undefined;
      });
    }
    for (const link of links) assert.ok(cuts.get(link)! >= CUTS_MIN, `a link was cut ${cuts.get(link)} times`);
    const lines = mirrorProcesses.flatMap((daemon) => daemon.logLines);
    console.log(`  cuts per link: ${links.map((link) => cuts.get(link)).join(', ')}; mirror processes: ${mirrorProcesses.length}; link-down events: ${lines.filter((line) => line.event === 'link-down').length}; tail rescans after a refusal: ${lines.filter((line) => line.msg === 'scanning the target tail again').length}`);
  } finally {
    cutting = false;
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    for (const link of links) await link.close();
  }
}


// MQTT benchmark (not a test). The same load runs against each broker in one run:
// Tributary (`tributary edge`, durable: a QoS 1 PUBACK after fsync) over MQTT 3.1.1 and
// MQTT 5, mosquitto (Debian, in memory) over both, and bare aedes (in memory, 3.1.1 only),
// driven by two generators:
//
//   raw      bare clients written for this benchmark: pre-encoded packets, a window of
//            publishes refilled in steps of a tenth (several PUBLISH per write), and one
//            QoS 0 subscriber. Cheap to run, so the broker is what is measured.
//   mqtt.js  what real devices send: MQTT.js publishers (each PUBLISH its own write, each
//            PUBACK answered by a new publish) and one MQTT.js subscriber at QoS 1, which
//            acknowledges every message the broker sends it.
//
// For each: acknowledged msg/s over several publisher processes keeping a window of QoS 1
// publishes of 100 bytes in flight (capped by the broker's Receive Maximum in MQTT 5), and
// the broker's CPU time per message from /proc/<pid>/stat. Then, per broker: paced
// end-to-end latency p50/p99, idle RSS per connection (1,000 idle MQTT 5 connections) and
// peak RSS.
//
//   npm run bench:mqtt
//   BENCH_PUBLISHERS=4 BENCH_MESSAGES=40000 BENCH_WINDOW=100 BENCH_PACED_RATE=1000 BENCH_PACED_SECONDS=5 BENCH_IDLE_CONNECTIONS=1000 npm run bench:mqtt
//   BENCH_BROKERS=tributary,mosquitto npm run bench:mqtt    (a subset; the ratios need all three)
//   BENCH_GENERATORS=mqtt.js BENCH_FOOTPRINT=0 npm run bench:mqtt    (diagnostics: one generator,
//            no latency and memory phase, to repeat the ingest figures quickly)
//   BENCH_CPU_PROFILE_DIR=profiles npm run bench:mqtt && node bench/cpu-profile-summary.ts profiles/*.cpuprofile
//            (Tributary runs under `node --cpu-prof` and writes its profile there when it stops)
import { cpuSeconds, memoryKiB } from './process-stats.ts';
import { role, startAedes, startMosquitto, startTributary, type Broker } from './mqtt-brokers.ts';
import { PAYLOAD_BYTES, type Version } from './mqtt-roles.ts';

const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 4);
const MESSAGES_PER_PUBLISHER = Number(process.env.BENCH_MESSAGES ?? 40_000);
const WARMUP_MESSAGES_PER_PUBLISHER = Math.min(5_000, MESSAGES_PER_PUBLISHER);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);
const GENERATORS = (process.env.BENCH_GENERATORS?.split(',') ?? ['raw', 'mqtt.js']) as Generator[];
const MEASURE_FOOTPRINT = process.env.BENCH_FOOTPRINT !== '0';
/** Where Tributary writes a V8 CPU profile of the run (bench/cpu-profile-summary.ts reads it); none when unset. */
const CPU_PROFILE_DIRECTORY = process.env.BENCH_CPU_PROFILE_DIR;
/**
 * In-flight QoS 1 publishes each broker accepts per client, set alike so that the window
 * is the same for all (MQTT 5 clients are told it as the Receive Maximum).
 */
const BROKER_INFLIGHT = 100;
/** Pause between two counts of a subscriber's messages when deciding that delivery has ended. */
const DELIVERY_SETTLE_MS = 500;

type Generator = 'raw' | 'mqtt.js';

interface IngestResult {
  broker: string;
  version: Version;
  generator: Generator;
  messagesPerSecond: number;
  cpuMicrosPerMessage: number;
  delivered: number;
  refused: number;
  window: number;
}

interface BrokerFootprint {
  broker: string;
  latencyP50Ms: number;
  latencyP99Ms: number;
  idleRssMiB: number;
  idleKiBPerConnection: number;
  idleConnections: number;
  peakRssMiB: number;
}

async function runPublishers(generator: Generator, port: number, perPublisher: number, version: Version): Promise<{ seconds: number; messages: number; refused: number; window: number }> {
  const publishers = Array.from({ length: PUBLISHERS }, (_, index) => role(generator === 'raw' ? 'publisher' : 'mqttjs-publisher', port, index, perPublisher, WINDOW, version));
  // Each publisher connects, then waits for the go line.
  const connected = await Promise.all(publishers.map((publisher) => publisher.next()));
  const started = process.hrtime.bigint();
  for (const publisher of publishers) publisher.process.stdin!.write('go\n');
  const results = await Promise.all(publishers.map((publisher) => publisher.next()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const publisher of publishers) publisher.process.stdin!.end();
  return {
    seconds,
    messages: results.reduce((sum, result) => sum + Number(result.acknowledged), 0),
    refused: results.reduce((sum, result) => sum + Number(result.refused), 0),
    window: Math.min(...connected.map((line) => Number(line.window))),
  };
}

async function measureIngest(broker: Broker, version: Version, generator: Generator): Promise<IngestResult> {
  const subscriber = role(generator === 'raw' ? 'subscriber' : 'mqttjs-subscriber', broker.port, version);
  await subscriber.next();
  await runPublishers(generator, broker.port, WARMUP_MESSAGES_PER_PUBLISHER, version);
  const cpuBefore = cpuSeconds(broker.pid);
  const ingest = await runPublishers(generator, broker.port, MESSAGES_PER_PUBLISHER, version);
  const cpuAfter = cpuSeconds(broker.pid);
  // A QoS 1 subscriber may still be receiving: count until the number stops growing.
  let delivered = -1;
  for (let settled = false; !settled;) {
    subscriber.process.stdin!.write('count\n');
    const received = Number((await subscriber.next()).received);
    settled = received === delivered;
    delivered = received;
    if (!settled) await new Promise((resolve) => setTimeout(resolve, DELIVERY_SETTLE_MS));
  }
  subscriber.process.stdin!.end();
  return {
    broker: broker.name,
    version,
    generator,
    messagesPerSecond: ingest.messages / ingest.seconds,
    cpuMicrosPerMessage: (cpuAfter - cpuBefore) * 1e6 / ingest.messages,
    delivered,
    refused: ingest.refused,
    window: ingest.window,
  };
}

async function measureFootprint(broker: Broker, idleRssKiB: number): Promise<BrokerFootprint> {
  const version = broker.versions[broker.versions.length - 1]!;
  const latency = await role('latency', broker.port, PACED_RATE, PACED_SECONDS, version).next();
  const before = memoryKiB(broker.pid, 'VmRSS');
  const idle = role('idle', broker.port, IDLE_CONNECTIONS, version);
  const opened = Number((await idle.next()).count);
  // Let the broker settle with the connections open before reading its memory.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = memoryKiB(broker.pid, 'VmRSS');
  const closed = new Promise((resolve) => (idle.process.exitCode !== null || idle.process.signalCode !== null ? resolve(undefined) : idle.process.once('close', resolve)));
  idle.process.stdin!.end();
  await closed;
  return {
    broker: broker.name,
    latencyP50Ms: Number(latency.p50),
    latencyP99Ms: Number(latency.p99),
    idleRssMiB: idleRssKiB / 1024,
    idleKiBPerConnection: (after - before) / Math.max(1, opened),
    idleConnections: opened,
    peakRssMiB: memoryKiB(broker.pid, 'VmHWM') / 1024,
  };
}

function startTributaryForLoad(): Promise<Broker> {
  return startTributary({ nodeArguments: CPU_PROFILE_DIRECTORY === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIRECTORY}`], config: { listeners: { mqttWs: { enabled: false } }, mqtt: { limits: { maxInflightPerClient: BROKER_INFLIGHT, maxConnections: IDLE_CONNECTIONS + 100 } } } });
}

function startMosquittoForLoad(): Promise<Broker> {
  return startMosquitto(BROKER_INFLIGHT);
}

const VERSION_NAMES: Record<Version, string> = { 4: '3.1.1', 5: '5' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  console.log(`MQTT benchmark: ${PUBLISHERS} publishers x ${MESSAGES_PER_PUBLISHER} QoS 1 messages of ${PAYLOAD_BYTES} bytes, ${WINDOW} in flight each (brokers allow ${BROKER_INFLIGHT}); raw generator with a QoS 0 subscriber, mqtt.js generator with a QoS 1 subscriber; latency at ${PACED_RATE} msg/s for ${PACED_SECONDS} s; ${IDLE_CONNECTIONS} idle connections`);
  const results: IngestResult[] = [];
  const footprints: BrokerFootprint[] = [];
  const only = process.env.BENCH_BROKERS?.split(',');
  for (const start of [startTributaryForLoad, startMosquittoForLoad, startAedes].filter((candidate) => only === undefined || only.some((name) => candidate.name.toLowerCase().includes(name)))) {
    const broker = await start();
    try {
      // Let start-up settle before the idle RSS is read.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const idleRssKiB = memoryKiB(broker.pid, 'VmRSS');
      for (const generator of GENERATORS) {
        for (const version of broker.versions) {
          const result = await measureIngest(broker, version, generator);
          results.push(result);
          console.log(`  ${broker.name} MQTT ${VERSION_NAMES[version]}, ${generator}: ${Math.round(result.messagesPerSecond)} msg/s, ${result.cpuMicrosPerMessage.toFixed(1)} µs CPU/msg${result.refused > 0 ? `, ${result.refused} refused` : ''}`);
        }
      }
      if (MEASURE_FOOTPRINT) try {
        footprints.push(await measureFootprint(broker, idleRssKiB));
      } catch (error) {
        // The ingest figures stand without it; say why this broker has no footprint line.
        console.log(`  ${broker.name}: latency and memory phase failed: ${(error as Error).message}`);
      }
    } finally {
      await broker.stop();
    }
  }

  console.log('\nbroker                 MQTT   generator     msg/s   CPU µs/msg  delivered  window');
  for (const r of results) {
    console.log(`${r.broker.padEnd(22)} ${VERSION_NAMES[r.version].padEnd(6)} ${r.generator.padEnd(9)} ${Math.round(r.messagesPerSecond).toString().padStart(9)} ${r.cpuMicrosPerMessage.toFixed(1).padStart(12)} ${String(r.delivered).padStart(10)} ${String(r.window).padStart(7)}`);
  }
  console.log('\nbroker                   p50 ms   p99 ms   idle RSS MiB  idle KiB/connection (of n)  peak RSS MiB');
  for (const f of footprints) {
    console.log(`${f.broker.padEnd(22)} ${f.latencyP50Ms.toFixed(2).padStart(8)} ${f.latencyP99Ms.toFixed(2).padStart(8)} ${f.idleRssMiB.toFixed(1).padStart(14)} ${f.idleKiBPerConnection.toFixed(1).padStart(20)} (${f.idleConnections}) ${f.peakRssMiB.toFixed(1).padStart(8)}`);
  }

  const find = (broker: string, version: Version, generator: Generator): IngestResult | undefined => results.find((r) => r.broker.startsWith(broker) && r.version === version && r.generator === generator);
  // Each ratio is printed when both of its brokers ran (BENCH_BROKERS may name a subset).
  console.log('\nratios (same run):');
  for (const generator of GENERATORS) {
    const t3 = find('tributary', 4, generator);
    const t5 = find('tributary', 5, generator);
    const m5 = find('mosquitto', 5, generator);
    const m3 = find('mosquitto', 4, generator);
    const a3 = find('bare aedes', 4, generator);
    if (t3 && t5) console.log(`  ${generator}: tributary 5 / tributary 3.1.1 throughput ${(t5.messagesPerSecond / t3.messagesPerSecond).toFixed(2)} (goal >= 0.95)`);
    if (t3 && m3) console.log(`  ${generator}: tributary 3.1.1 / mosquitto 3.1.1 throughput ${(t3.messagesPerSecond / m3.messagesPerSecond).toFixed(2)} (goal >= 1.0), CPU per message ${(t3.cpuMicrosPerMessage / m3.cpuMicrosPerMessage).toFixed(2)} (goal <= 1.0)`);
    if (t5 && m5) console.log(`  ${generator}: tributary 5 / mosquitto 5 throughput ${(t5.messagesPerSecond / m5.messagesPerSecond).toFixed(2)} (goal >= 1.0), CPU per message ${(t5.cpuMicrosPerMessage / m5.cpuMicrosPerMessage).toFixed(2)} (goal <= 1.0)`);
    if (t3 && a3) console.log(`  ${generator}: tributary 3.1.1 / bare aedes throughput ${(t3.messagesPerSecond / a3.messagesPerSecond).toFixed(2)}, CPU per message ${(t3.cpuMicrosPerMessage / a3.cpuMicrosPerMessage).toFixed(2)}`);
  }
  console.log(`  median tributary CPU µs/msg over all loads: ${median(results.filter((r) => r.broker.startsWith('tributary')).map((r) => r.cpuMicrosPerMessage)).toFixed(1)}`);
}

await main();

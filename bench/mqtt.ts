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
//   BENCH_ROUNDS=3 npm run bench:mqtt    (every broker's ingest measured three times, the brokers
//            taking turns, so that a busy spell of the shared machine falls on all of them; each
//            figure is the median of its rounds with their range, each ratio the median of the
//            rounds' ratios)
//   BENCH_CPU_PROFILE_DIR=profiles npm run bench:mqtt && node bench/cpu-profile-summary.ts profiles/*.cpuprofile
//            (Tributary runs under `node --cpu-prof` and writes its profile there when it stops)
import { cpuSeconds, memoryKiB } from './process-stats.ts';
import { role, startAedes, startMosquitto, startTributary, type Broker } from './mqtt-brokers.ts';
import { PAYLOAD_BYTES, type Version } from './mqtt-roles.ts';
import { cell, fixed } from './report.ts';
import { median, spread } from './statistics.ts';

const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 4);
const MESSAGES_PER_PUBLISHER = Number(process.env.BENCH_MESSAGES ?? 40_000);
const WARMUP_MESSAGES_PER_PUBLISHER = Math.min(5_000, MESSAGES_PER_PUBLISHER);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);
const GENERATORS = (process.env.BENCH_GENERATORS?.split(',') ?? ['raw', 'mqtt.js']) as Generator[];
const MEASURE_FOOTPRINT = process.env.BENCH_FOOTPRINT !== '0';
/** Times each broker's ingest is measured, the brokers taking turns; the latency and memory phase runs in the first round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
/** Where Tributary writes a V8 CPU profile of the run (bench/cpu-profile-summary.ts reads it); none when unset. */
const CPU_PROFILE_DIRECTORY = process.env.BENCH_CPU_PROFILE_DIR;
/**
 * In-flight QoS 1 publishes each broker accepts per client, set alike so that the window
 * is the same for all (MQTT 5 clients are told it as the Receive Maximum).
 */
const BROKER_INFLIGHT = 100;
/**
 * Messages each broker queues for one client (mosquitto's max_queued_messages, Tributary's
 * mqtt.limits.maxQueuedPerClient), set alike and high enough that a QoS 1 subscriber that
 * falls behind on a busy machine misses nothing on either: a broker that drops deliveries
 * does less work than one that makes them.
 */
const BROKER_QUEUED = 100_000;
/** Pause between two counts of a subscriber's messages when deciding that delivery has ended. */
const DELIVERY_SETTLE_MS = 500;

type Generator = 'raw' | 'mqtt.js';

interface IngestResult {
  round: number;
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

async function measureIngest(broker: Broker, version: Version, generator: Generator, round: number): Promise<IngestResult> {
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
    round,
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
  return startTributary({ nodeArguments: CPU_PROFILE_DIRECTORY === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIRECTORY}`], config: { listeners: { mqttWs: { enabled: false } }, mqtt: { limits: { maxInflightPerClient: BROKER_INFLIGHT, maxQueuedPerClient: BROKER_QUEUED, maxConnections: IDLE_CONNECTIONS + 100 } } } });
}

function startMosquittoForLoad(): Promise<Broker> {
  return startMosquitto(BROKER_INFLIGHT, BROKER_QUEUED);
}

const VERSION_NAMES: Record<Version, string> = { 4: '3.1.1', 5: '5' };

async function main(): Promise<void> {
  console.log(`MQTT benchmark: ${PUBLISHERS} publishers x ${MESSAGES_PER_PUBLISHER} QoS 1 messages of ${PAYLOAD_BYTES} bytes, ${WINDOW} in flight each (brokers allow ${BROKER_INFLIGHT}); raw generator with a QoS 0 subscriber, mqtt.js generator with a QoS 1 subscriber; ${ROUNDS} round(s); latency at ${PACED_RATE} msg/s for ${PACED_SECONDS} s; ${IDLE_CONNECTIONS} idle connections`);
  const results: IngestResult[] = [];
  const footprints: BrokerFootprint[] = [];
  const only = process.env.BENCH_BROKERS?.split(',');
  const starters = [startTributaryForLoad, startMosquittoForLoad, startAedes].filter((candidate) => only === undefined || only.some((name) => candidate.name.toLowerCase().includes(name)));
  for (let round = 0; round < ROUNDS; round++) {
    for (const start of starters) {
      const broker = await start();
      try {
        // Let start-up settle before the idle RSS is read.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const idleRssKiB = memoryKiB(broker.pid, 'VmRSS');
        for (const generator of GENERATORS) {
          for (const version of broker.versions) {
            const result = await measureIngest(broker, version, generator, round);
            results.push(result);
            console.log(`  round ${round + 1}: ${broker.name} MQTT ${VERSION_NAMES[version]}, ${generator}: ${Math.round(result.messagesPerSecond)} msg/s, ${result.cpuMicrosPerMessage.toFixed(1)} µs CPU/msg${result.refused > 0 ? `, ${result.refused} refused` : ''}`);
          }
        }
        if (MEASURE_FOOTPRINT && round === 0) try {
          footprints.push(await measureFootprint(broker, idleRssKiB));
        } catch (error) {
          // The ingest figures stand without it; say why this broker has no footprint line.
          console.log(`  ${broker.name}: latency and memory phase failed: ${(error as Error).message}`);
        }
      } finally {
        await broker.stop();
      }
    }
  }

  // One line per broker, version and generator: the median of its rounds (with their range when more than one).
  const lines = new Map<string, IngestResult[]>();
  for (const r of results) {
    const key = `${r.broker}\u0000${r.version}\u0000${r.generator}`;
    lines.set(key, [...(lines.get(key) ?? []), r]);
  }
  console.log('\nbroker                 MQTT   generator  msg/s                      CPU µs/msg          delivered  window');
  for (const rounds of lines.values()) {
    const r = rounds[0]!;
    const throughput = cell(spread(rounds.map((each) => each.messagesPerSecond)), (value) => String(Math.round(value)));
    const cpu = cell(spread(rounds.map((each) => each.cpuMicrosPerMessage)), fixed(1));
    console.log(`${r.broker.padEnd(22)} ${VERSION_NAMES[r.version].padEnd(6)} ${r.generator.padEnd(9)} ${throughput.padEnd(26)} ${cpu.padEnd(19)} ${String(Math.min(...rounds.map((each) => each.delivered))).padStart(9)} ${String(r.window).padStart(7)}`);
  }
  console.log('\nbroker                   p50 ms   p99 ms   idle RSS MiB  idle KiB/connection (of n)  peak RSS MiB');
  for (const f of footprints) {
    console.log(`${f.broker.padEnd(22)} ${f.latencyP50Ms.toFixed(2).padStart(8)} ${f.latencyP99Ms.toFixed(2).padStart(8)} ${f.idleRssMiB.toFixed(1).padStart(14)} ${f.idleKiBPerConnection.toFixed(1).padStart(20)} (${f.idleConnections}) ${f.peakRssMiB.toFixed(1).padStart(8)}`);
  }

  /** The ratio of a figure of two lines, taken within each round, as "median (min–max)"; undefined unless both ran. */
  const ratio = (numerator: [string, Version], denominator: [string, Version], generator: Generator, figure: (r: IngestResult) => number): string | undefined => {
    const perRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const find = ([broker, version]: [string, Version]): IngestResult | undefined => results.find((r) => r.round === round && r.broker.startsWith(broker) && r.version === version && r.generator === generator);
      const top = find(numerator);
      const bottom = find(denominator);
      if (top !== undefined && bottom !== undefined) perRound.push(figure(top) / figure(bottom));
    }
    return perRound.length === 0 ? undefined : cell(spread(perRound), fixed(2));
  };
  const throughput = (r: IngestResult): number => r.messagesPerSecond;
  const cpu = (r: IngestResult): number => r.cpuMicrosPerMessage;
  // Each ratio is printed when both of its brokers ran (BENCH_BROKERS may name a subset).
  console.log(`\nratios (same run${ROUNDS > 1 ? ', median of the rounds\' ratios (range)' : ''}):`);
  for (const generator of GENERATORS) {
    const v5OverV3 = ratio(['tributary', 5], ['tributary', 4], generator, throughput);
    if (v5OverV3 !== undefined) console.log(`  ${generator}: tributary 5 / tributary 3.1.1 throughput ${v5OverV3} (goal >= 0.95)`);
    for (const version of [4, 5] as Version[]) {
      const against = ratio(['tributary', version], ['mosquitto', version], generator, throughput);
      if (against !== undefined) console.log(`  ${generator}: tributary ${VERSION_NAMES[version]} / mosquitto ${VERSION_NAMES[version]} throughput ${against} (goal >= 1.0), CPU per message ${ratio(['tributary', version], ['mosquitto', version], generator, cpu)} (goal <= 1.0)`);
    }
    const aedes = ratio(['tributary', 4], ['bare aedes', 4], generator, throughput);
    if (aedes !== undefined) console.log(`  ${generator}: tributary 3.1.1 / bare aedes throughput ${aedes}, CPU per message ${ratio(['tributary', 4], ['bare aedes', 4], generator, cpu)}`);
  }
  console.log(`  median tributary CPU µs/msg over all loads: ${median(results.filter((r) => r.broker.startsWith('tributary')).map((r) => r.cpuMicrosPerMessage)).toFixed(1)}`);
}

await main();

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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Daemon } from '../test/helpers/daemon.ts';
import { cpuSeconds, memoryKiB } from './process-stats.ts';
import { frame as packet, mqttString, remainingLength } from '../test/edge/mqtt/raw-client.ts';

const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 4);
const MESSAGES_PER_PUBLISHER = Number(process.env.BENCH_MESSAGES ?? 40_000);
const WARMUP_MESSAGES_PER_PUBLISHER = Math.min(5_000, MESSAGES_PER_PUBLISHER);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);
const PAYLOAD_BYTES = 100;
/** Bound on one phase; a broker that stalls fails the run instead of hanging it. */
const PHASE_TIMEOUT_MS = 120_000;
/**
 * In-flight QoS 1 publishes each broker accepts per client, set alike so that the window
 * is the same for all (MQTT 5 clients are told it as the Receive Maximum).
 */
const BROKER_INFLIGHT = 100;
/** Pause between two counts of a subscriber's messages when deciding that delivery has ended. */
const DELIVERY_SETTLE_MS = 500;

type Version = 4 | 5;

// --- a bare MQTT client ---------------------------------------------------------------

/** Splits a byte stream into MQTT packets: calls `onPacket(firstByte, body)` for each. */
function packetReader(onPacket: (firstByte: number, body: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | null = null;
  return (chunk) => {
    const data: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    let position = 0;
    while (position + 2 <= data.length) {
      let length = 0;
      let multiplier = 1;
      let index = position + 1;
      let complete = false;
      while (index < data.length && index <= position + 4) {
        const byte = data[index++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) { complete = true; break; }
      }
      if (!complete || index + length > data.length) break;
      onPacket(data[position]!, data.subarray(index, index + length));
      position = index + length;
    }
    if (position < data.length) pending = data.subarray(position);
  };
}

/** Receive Maximum in an MQTT 5 CONNACK body (property 0x21), or 65535. */
function receiveMaximumOf(body: Buffer): number {
  let position = 2;
  let length = 0;
  let multiplier = 1;
  for (;;) {
    const byte = body[position++]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  const end = position + length;
  const sizes: Record<number, number> = { 0x11: 4, 0x13: 2, 0x21: 2, 0x22: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1 };
  while (position < end) {
    const id = body[position++]!;
    if (id === 0x21) return body.readUInt16BE(position);
    if (sizes[id] !== undefined) position += sizes[id]!;
    else if (id === 0x26) { position += 2 + body.readUInt16BE(position); position += 2 + body.readUInt16BE(position); }
    else position += 2 + body.readUInt16BE(position); // strings and binary data
  }
  return 65_535;
}

async function mqttConnect(port: number, clientId: string, version: Version, onPacket: (firstByte: number, body: Buffer) => void): Promise<{ socket: Socket; receiveMaximum: number }> {
  const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let connected!: (receiveMaximum: number) => void;
  const connack = new Promise<number>((resolve) => { connected = resolve; });
  const read = packetReader((firstByte, body) => {
    if (firstByte >> 4 === 2) {
      if (body[1] !== 0) throw new Error(`CONNACK return code ${body[1]}`);
      connected(version === 5 ? receiveMaximumOf(body) : 65_535);
    } else {
      onPacket(firstByte, body);
    }
  });
  socket.on('data', read);
  // MQTT 5 adds an empty property block after the keep alive.
  socket.write(packet(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([version, 0x02, 0, 60]), version === 5 ? Buffer.from([0]) : Buffer.alloc(0), mqttString(clientId)])));
  return { socket, receiveMaximum: await connack };
}

function publishPacket(topic: Buffer, packetId: number, payload: Buffer, version: Version): Buffer {
  const propertiesBytes = version === 5 ? 1 : 0;
  const bodyLength = 2 + topic.length + 2 + propertiesBytes + payload.length;
  const header = [0x32, ...remainingLength(bodyLength)];
  const bytes = Buffer.allocUnsafe(header.length + bodyLength);
  bytes.set(header, 0);
  let position = header.length;
  bytes.writeUInt16BE(topic.length, position);
  topic.copy(bytes, position + 2);
  position += 2 + topic.length;
  bytes.writeUInt16BE(packetId, position);
  position += 2;
  if (version === 5) bytes[position++] = 0;
  payload.copy(bytes, position);
  return bytes;
}

function subscribePacket(filter: string, qos: number, version: Version): Buffer {
  return packet(8, 2, Buffer.concat([Buffer.from([0, 1]), version === 5 ? Buffer.from([0]) : Buffer.alloc(0), mqttString(filter), Buffer.from([qos])]));
}

/** Start together: report the connection, then wait for the go line on standard input. */
async function ready(extra: Record<string, unknown> = {}): Promise<void> {
  process.stdout.write(JSON.stringify({ event: 'connected', ...extra }) + '\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
}

function report(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

// --- roles run as child processes ---------------------------------------------------

/** What a publisher counts: publishes sent, acknowledged and refused, and when all `count` are acknowledged. */
function tally(count: number): { sent: number; acknowledged: number; refused: number; done: Promise<void>; acknowledge(refused: boolean): boolean } {
  let resolveDone!: () => void;
  const state = {
    sent: 0,
    acknowledged: 0,
    refused: 0,
    done: new Promise<void>((resolve) => { resolveDone = resolve; }),
    /** Counts an acknowledgement; true once the last one arrived. */
    acknowledge(refused: boolean): boolean {
      if (refused) state.refused++;
      state.acknowledged++;
      if (state.acknowledged === count) resolveDone();
      return state.acknowledged === count;
    },
  };
  return state;
}

/** Raw generator: publishes `count` QoS 1 messages keeping `window` in flight. */
async function rawPublisherRole(port: number, index: number, count: number, window: number, version: Version): Promise<void> {
  const topic = Buffer.from(`bench/device-${index}/reading`);
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  const counts = tally(count);
  let socket!: Socket;
  let effectiveWindow = window;
  const sendMore = (): void => {
    const batch: Buffer[] = [];
    while (counts.sent < count && counts.sent - counts.acknowledged < effectiveWindow) {
      batch.push(publishPacket(topic, (counts.sent % 65_535) + 1, payload, version));
      counts.sent++;
    }
    if (batch.length > 0) socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
  };
  let ackedSinceRefill = 0;
  const connection = await mqttConnect(port, `bench-publisher-${index}-${process.pid}`, version, (firstByte, body) => {
    if (firstByte >> 4 !== 4) return;
    ackedSinceRefill++;
    if (counts.acknowledge(body.length > 2 && body[2]! >= 0x80)) return;
    // Refill in steps of a tenth of the window: fewer, larger writes.
    if (ackedSinceRefill >= Math.max(1, effectiveWindow / 10)) {
      ackedSinceRefill = 0;
      sendMore();
    }
  });
  socket = connection.socket;
  effectiveWindow = Math.min(window, connection.receiveMaximum);
  await ready({ window: effectiveWindow });
  const started = process.hrtime.bigint();
  sendMore();
  await counts.done;
  report({ event: 'done', seconds: Number(process.hrtime.bigint() - started) / 1e9, acknowledged: counts.acknowledged, refused: counts.refused });
  socket.end(packet(14, 0, Buffer.alloc(0)));
}

/** Raw subscriber to bench/# at QoS 0: prints how many messages arrived when told to stop. */
async function rawSubscriberRole(port: number, version: Version): Promise<void> {
  let received = 0;
  let subscribed!: () => void;
  const suback = new Promise<void>((resolve) => { subscribed = resolve; });
  const { socket } = await mqttConnect(port, `bench-subscriber-${process.pid}`, version, (firstByte) => {
    const type = firstByte >> 4;
    if (type === 3) received++;
    else if (type === 9) subscribed();
  });
  socket.write(subscribePacket('bench/#', 0, version));
  await suback;
  report({ event: 'subscribed' });
  process.stdin.on('data', () => report({ event: 'received', received }));
  process.stdin.on('end', () => socket.destroy());
}

/** MQTT.js generator: one client publishing `count` QoS 1 messages with `window` in flight. */
async function mqttjsPublisherRole(port: number, index: number, count: number, window: number, version: Version): Promise<void> {
  const { default: mqtt } = await import('mqtt');
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: `bench-mqttjs-${index}-${process.pid}`, protocolVersion: version, reconnectPeriod: 0, clean: true });
  const connack = await new Promise<{ properties?: { receiveMaximum?: number } }>((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  // MQTT.js does not keep to the broker's Receive Maximum by itself; this generator does.
  const effectiveWindow = Math.min(window, connack.properties?.receiveMaximum ?? 65_535);
  const topic = `bench/device-${index}/reading`;
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  const counts = tally(count);
  const publishOne = (): void => {
    counts.sent++;
    client.publish(topic, payload, { qos: 1 }, (error, puback) => {
      const finished = counts.acknowledge((error !== undefined && error !== null) || ((puback as { reasonCode?: number } | undefined)?.reasonCode ?? 0) >= 0x80);
      if (!finished && counts.sent < count) publishOne();
    });
  };
  await ready({ window: effectiveWindow });
  const started = process.hrtime.bigint();
  for (let slot = 0; slot < effectiveWindow && counts.sent < count; slot++) publishOne();
  await counts.done;
  report({ event: 'done', seconds: Number(process.hrtime.bigint() - started) / 1e9, acknowledged: counts.acknowledged, refused: counts.refused });
  client.end();
}

/** MQTT.js subscriber to bench/# at QoS 1 (it acknowledges every message). */
async function mqttjsSubscriberRole(port: number, version: Version): Promise<void> {
  const { default: mqtt } = await import('mqtt');
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: `bench-mqttjs-sub-${process.pid}`, protocolVersion: version, reconnectPeriod: 0, clean: true });
  await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  let received = 0;
  client.on('message', () => { received++; });
  await client.subscribeAsync('bench/#', { qos: 1 });
  report({ event: 'subscribed' });
  process.stdin.on('data', () => report({ event: 'received', received }));
  process.stdin.on('end', () => client.end(true));
}

/** Publishes QoS 1 at a paced rate to a topic it subscribes to; prints latency percentiles. */
async function latencyRole(port: number, rate: number, seconds: number, version: Version): Promise<void> {
  const topic = Buffer.from('latency/probe');
  const latencies: number[] = [];
  const total = Math.round(rate * seconds);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  let subscribed!: () => void;
  const suback = new Promise<void>((resolve) => { subscribed = resolve; });
  let acknowledged = 0;
  const { socket, receiveMaximum } = await mqttConnect(port, `bench-latency-${process.pid}`, version, (firstByte, body) => {
    const type = firstByte >> 4;
    if (type === 9) subscribed();
    if (type === 4) acknowledged++;
    if (type !== 3) return;
    const topicLength = body.readUInt16BE(0);
    const qos = (firstByte >> 1) & 3;
    let payloadStart = 2 + topicLength + (qos > 0 ? 2 : 0);
    if (version === 5) payloadStart += 1 + body[payloadStart]!;
    const sentAt = body.readBigUInt64BE(payloadStart);
    latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (latencies.length === total) resolveDone();
  });
  socket.on('close', () => {
    if (latencies.length < total) {
      process.stderr.write(`latency: the broker closed the connection after ${latencies.length} of ${total} messages\n`);
      process.exit(1);
    }
  });
  socket.write(subscribePacket('latency/probe', 0, version));
  await suback;
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x62);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      // Never more unacknowledged than the broker's Receive Maximum (a slow disk can lag behind the pace).
      while (sent < due && sent - acknowledged < receiveMaximum) {
        payload.writeBigUInt64BE(process.hrtime.bigint(), 0);
        socket.write(publishPacket(topic, (sent % 65_535) + 1, payload, version));
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await done;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  report({ event: 'latency', p50: percentile(50), p99: percentile(99), samples: latencies.length });
  socket.destroy();
}

/** A connection of the idle phase not answered within this is counted as refused (a broker at its own limit). */
const IDLE_CONNECT_TIMEOUT_MS = 5_000;

/** Opens up to `count` idle MQTT connections and holds them until standard input ends. */
async function idleRole(port: number, count: number, version: Version): Promise<void> {
  const sockets: Socket[] = [];
  for (let index = 0; index < count; index++) {
    const attempt = mqttConnect(port, `bench-idle-${index}-${process.pid}`, version, () => {});
    const timedOut = new Promise<null>((resolve) => setTimeout(resolve, IDLE_CONNECT_TIMEOUT_MS, null).unref());
    const connected = await Promise.race([attempt, timedOut]);
    if (connected === null) break;
    // A broker that drops idle connections must not end this process before it reports.
    connected.socket.on('error', () => {});
    sockets.push(connected.socket);
  }
  report({ event: 'connected', count: sockets.length });
  process.stdin.resume();
  process.stdin.on('end', () => { for (const socket of sockets) socket.destroy(); process.exit(0); });
}

/** Bare aedes, in-memory persistence, TCP_NODELAY: the engine Tributary used before. */
async function aedesBrokerRole(): Promise<void> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  server.listen(0, '127.0.0.1', () => report({ event: 'ready', port: (server.address() as { port: number }).port }));
  process.on('SIGTERM', () => broker.close(() => server.close(() => process.exit(0))));
}

// --- the orchestration ----------------------------------------------------------------

interface Child {
  process: ChildProcess;
  next(): Promise<Record<string, unknown>>;
}

function child(command: string, args: string[]): Child {
  const process = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: process.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const waiter of waiters.splice(0)) waiter();
  });
  return {
    process,
    async next() {
      const deadline = Date.now() + PHASE_TIMEOUT_MS;
      while (lines.length === 0) {
        if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} gave no answer`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, PHASE_TIMEOUT_MS);
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
      return lines.shift()!;
    },
  };
}

function role(name: string, ...args: Array<string | number>): Child {
  return child(process.execPath, [import.meta.filename, name, ...args.map(String)]);
}

interface Broker {
  name: string;
  pid: number;
  port: number;
  versions: Version[];
  stop(): Promise<void>;
}

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

async function startTributary(): Promise<Broker> {
  const daemon = await Daemon.start({ config: { listeners: { mqttWs: { enabled: false } }, mqtt: { limits: { maxInflightPerClient: BROKER_INFLIGHT, maxConnections: IDLE_CONNECTIONS + 100 } } } });
  return { name: 'tributary (durable)', pid: daemon.process.pid!, port: daemon.ports.mqtt!, versions: [4, 5], stop: () => daemon.cleanup() };
}

async function startAedes(): Promise<Broker> {
  const broker = role('aedes-broker');
  const ready = await broker.next();
  return {
    name: 'bare aedes (memory)',
    pid: broker.process.pid!,
    port: Number(ready.port),
    versions: [4],
    async stop() {
      broker.process.kill('SIGTERM');
      await new Promise((resolve) => broker.process.once('close', resolve));
    },
  };
}

async function startMosquitto(): Promise<Broker> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  // Find a free port, then let mosquitto bind it.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const config = join(directory, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_inflight_messages ${BROKER_INFLIGHT}\nmax_queued_messages 100000\n`);
  const mosquitto = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Ready once a client can connect.
  for (;;) {
    try {
      const { socket } = await mqttConnect(port, 'bench-probe', 4, () => {});
      socket.destroy();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    name: 'mosquitto',
    pid: mosquitto.pid!,
    port,
    versions: [4, 5],
    async stop() {
      mosquitto.kill('SIGTERM');
      await new Promise((resolve) => mosquitto.once('close', resolve));
      rmSync(directory, { recursive: true, force: true });
    },
  };
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
  for (const start of [startTributary, startMosquitto, startAedes].filter((candidate) => only === undefined || only.some((name) => candidate.name.toLowerCase().includes(name)))) {
    const broker = await start();
    try {
      // Let start-up settle before the idle RSS is read.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const idleRssKiB = memoryKiB(broker.pid, 'VmRSS');
      for (const generator of ['raw', 'mqtt.js'] as const) {
        for (const version of broker.versions) {
          const result = await measureIngest(broker, version, generator);
          results.push(result);
          console.log(`  ${broker.name} MQTT ${VERSION_NAMES[version]}, ${generator}: ${Math.round(result.messagesPerSecond)} msg/s, ${result.cpuMicrosPerMessage.toFixed(1)} µs CPU/msg${result.refused > 0 ? `, ${result.refused} refused` : ''}`);
        }
      }
      footprints.push(await measureFootprint(broker, idleRssKiB));
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
  if (only !== undefined) return;
  console.log('\nratios (same run):');
  for (const generator of ['raw', 'mqtt.js'] as const) {
    const t3 = find('tributary', 4, generator)!;
    const t5 = find('tributary', 5, generator)!;
    const m5 = find('mosquitto', 5, generator)!;
    const m3 = find('mosquitto', 4, generator)!;
    const a3 = find('bare aedes', 4, generator)!;
    console.log(`  ${generator}: tributary 5 / tributary 3.1.1 throughput ${(t5.messagesPerSecond / t3.messagesPerSecond).toFixed(2)} (goal >= 0.95)`);
    console.log(`  ${generator}: tributary 3.1.1 / mosquitto 3.1.1 throughput ${(t3.messagesPerSecond / m3.messagesPerSecond).toFixed(2)} (goal >= 1.0), CPU per message ${(t3.cpuMicrosPerMessage / m3.cpuMicrosPerMessage).toFixed(2)} (goal <= 1.0)`);
    console.log(`  ${generator}: tributary 5 / mosquitto 5 throughput ${(t5.messagesPerSecond / m5.messagesPerSecond).toFixed(2)} (goal >= 1.0), CPU per message ${(t5.cpuMicrosPerMessage / m5.cpuMicrosPerMessage).toFixed(2)} (goal <= 1.0)`);
    console.log(`  ${generator}: tributary 3.1.1 / bare aedes throughput ${(t3.messagesPerSecond / a3.messagesPerSecond).toFixed(2)}, CPU per message ${(t3.cpuMicrosPerMessage / a3.cpuMicrosPerMessage).toFixed(2)}`);
  }
  console.log(`  median tributary CPU µs/msg over all loads: ${median(results.filter((r) => r.broker.startsWith('tributary')).map((r) => r.cpuMicrosPerMessage)).toFixed(1)}`);
}

const [roleName, ...roleArgs] = process.argv.slice(2);
const numbers = roleArgs.map(Number);
switch (roleName) {
  case 'publisher': await rawPublisherRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4] as Version); break;
  case 'subscriber': await rawSubscriberRole(numbers[0]!, numbers[1] as Version); break;
  case 'mqttjs-publisher': await mqttjsPublisherRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4] as Version); break;
  case 'mqttjs-subscriber': await mqttjsSubscriberRole(numbers[0]!, numbers[1] as Version); break;
  case 'latency': await latencyRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3] as Version); break;
  case 'idle': await idleRole(numbers[0]!, numbers[1]!, numbers[2] as Version); break;
  case 'aedes-broker': await aedesBrokerRole(); break;
  case undefined: await main(); break;
  default: throw new Error(`unknown role ${roleName}`);
}

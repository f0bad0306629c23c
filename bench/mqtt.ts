// MQTT benchmark (not a test). The same load generator runs against three brokers in one
// run: Tributary (`tributary edge`, durable: a QoS 1 PUBACK after fsync), bare aedes with
// its in-memory persistence (the engine Tributary builds on) and mosquitto (Debian).
//
//   ingest   several publisher processes send 100-byte QoS 1 publishes, each keeping a
//            window of messages in flight on a TCP_NODELAY socket, while one subscriber
//            (QoS 0, filter bench/#) receives them: acknowledged msg/s, and the broker's
//            CPU time per message from /proc/<pid>/stat;
//   latency  one process publishes QoS 1 at a paced rate and subscribes to what it sends:
//            end-to-end p50/p99 from the publish to its delivery;
//   memory   the broker's RSS when idle after start, and its peak (VmHWM) after the run.
//
// The publishers and the subscriber are bare MQTT 3.1.1 clients written for this
// benchmark: with pre-encoded packets they cost far less CPU than a full client, which
// matters on a two-core device where they share the cores with the broker.
//
//   npm run bench:mqtt
//   BENCH_PUBLISHERS=4 BENCH_MESSAGES=40000 BENCH_WINDOW=100 BENCH_PACED_RATE=1000 BENCH_PACED_SECONDS=5 npm run bench:mqtt
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Daemon } from '../test/helpers/daemon.ts';
import { requireProgram } from '../test/helpers/system-programs.ts';
import { cpuSeconds, memoryKiB } from './process-stats.ts';
import { frame as packet, mqttString, remainingLength } from '../test/edge/mqtt/raw-client.ts';

const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 4);
const MESSAGES_PER_PUBLISHER = Number(process.env.BENCH_MESSAGES ?? 40_000);
const WARMUP_MESSAGES_PER_PUBLISHER = Math.min(5_000, MESSAGES_PER_PUBLISHER);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const PAYLOAD_BYTES = 100;
/** Bound on one phase; a broker that stalls fails the run instead of hanging it. */
const PHASE_TIMEOUT_MS = 120_000;

// --- a bare MQTT 3.1.1 client -------------------------------------------------------


/** Splits a byte stream into MQTT packets: calls `onPacket(firstByte, body)` for each. */
function packetReader(onPacket: (firstByte: number, body: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | null = null;
  return (chunk) => {
    let data = pending === null ? chunk : Buffer.concat([pending, chunk]);
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
    data = Buffer.alloc(0);
  };
}

async function mqttConnect(port: number, clientId: string, onPacket: (firstByte: number, body: Buffer) => void): Promise<Socket> {
  const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let connected!: () => void;
  const connack = new Promise<void>((resolve) => { connected = resolve; });
  const read = packetReader((firstByte, body) => {
    if (firstByte >> 4 === 2) {
      if (body[1] !== 0) throw new Error(`CONNACK return code ${body[1]}`);
      connected();
    } else {
      onPacket(firstByte, body);
    }
  });
  socket.on('data', read);
  socket.write(packet(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0, 60]), mqttString(clientId)])));
  await connack;
  return socket;
}

function publishPacket(topic: Buffer, packetId: number, payload: Buffer): Buffer {
  const bodyLength = 2 + topic.length + 2 + payload.length;
  const header = [0x32, ...remainingLength(bodyLength)];
  const bytes = Buffer.allocUnsafe(header.length + bodyLength);
  bytes.set(header, 0);
  let position = header.length;
  bytes.writeUInt16BE(topic.length, position);
  topic.copy(bytes, position + 2);
  position += 2 + topic.length;
  bytes.writeUInt16BE(packetId, position);
  payload.copy(bytes, position + 2);
  return bytes;
}

// --- roles run as child processes ---------------------------------------------------

/** Publishes `count` QoS 1 messages keeping `window` in flight; prints the seconds taken. */
async function publisherRole(port: number, index: number, count: number, window: number): Promise<void> {
  const topic = Buffer.from(`bench/device-${index}/reading`);
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  let sent = 0;
  let acknowledged = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  let socket!: Socket;
  const sendMore = (): void => {
    const batch: Buffer[] = [];
    while (sent < count && sent - acknowledged < window) {
      batch.push(publishPacket(topic, (sent % 65_535) + 1, payload));
      sent++;
    }
    if (batch.length > 0) socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
  };
  let ackedSinceRefill = 0;
  socket = await mqttConnect(port, `bench-publisher-${index}-${process.pid}`, (firstByte) => {
    if (firstByte >> 4 !== 4) return;
    acknowledged++;
    ackedSinceRefill++;
    if (acknowledged === count) resolveDone();
    // Refill in steps of a tenth of the window: fewer, larger writes.
    else if (ackedSinceRefill >= Math.max(1, window / 10)) {
      ackedSinceRefill = 0;
      sendMore();
    }
  });
  // Start together: report the connection, then wait for the go line on standard input.
  process.stdout.write(JSON.stringify({ event: 'connected' }) + '\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const started = process.hrtime.bigint();
  sendMore();
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ event: 'done', seconds, acknowledged }) + '\n');
  socket.end(packet(14, 0, Buffer.alloc(0)));
}

/** Subscribes to bench/# at QoS 0 and prints how many messages arrived when told to stop. */
async function subscriberRole(port: number): Promise<void> {
  let received = 0;
  let subscribed!: () => void;
  const suback = new Promise<void>((resolve) => { subscribed = resolve; });
  const socket = await mqttConnect(port, `bench-subscriber-${process.pid}`, (firstByte) => {
    const type = firstByte >> 4;
    if (type === 3) received++;
    else if (type === 9) subscribed();
  });
  socket.write(packet(8, 2, Buffer.concat([Buffer.from([0, 1]), mqttString('bench/#'), Buffer.from([0])])));
  await suback;
  process.stdout.write(JSON.stringify({ event: 'subscribed' }) + '\n');
  process.stdin.on('data', () => {
    process.stdout.write(JSON.stringify({ event: 'received', received }) + '\n');
  });
  process.stdin.on('end', () => socket.destroy());
}

/** Publishes QoS 1 at a paced rate to a topic it subscribes to; prints latency percentiles. */
async function latencyRole(port: number, rate: number, seconds: number): Promise<void> {
  const topic = Buffer.from('latency/probe');
  const latencies: number[] = [];
  const total = Math.round(rate * seconds);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  let subscribed!: () => void;
  const suback = new Promise<void>((resolve) => { subscribed = resolve; });
  const socket = await mqttConnect(port, `bench-latency-${process.pid}`, (firstByte, body) => {
    const type = firstByte >> 4;
    if (type === 9) subscribed();
    if (type !== 3) return;
    const topicLength = body.readUInt16BE(0);
    const qos = (firstByte >> 1) & 3;
    const payloadStart = 2 + topicLength + (qos > 0 ? 2 : 0);
    const sentAt = body.readBigUInt64BE(payloadStart);
    latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (latencies.length === total) resolveDone();
  });
  socket.write(packet(8, 2, Buffer.concat([Buffer.from([0, 1]), mqttString('latency/probe'), Buffer.from([0])])));
  await suback;
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x62);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        payload.writeBigUInt64BE(process.hrtime.bigint(), 0);
        socket.write(publishPacket(topic, (sent % 65_535) + 1, payload));
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
  process.stdout.write(JSON.stringify({ event: 'latency', p50: percentile(50), p99: percentile(99), samples: latencies.length }) + '\n');
  socket.destroy();
}

/** Bare aedes, in-memory persistence, TCP_NODELAY: the baseline engine. */
async function aedesBrokerRole(): Promise<void> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }) + '\n');
  });
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
  stop(): Promise<void>;
}

interface BrokerResult {
  name: string;
  messagesPerSecond: number;
  cpuMicrosPerMessage: number;
  delivered: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  idleRssMiB: number;
  peakRssMiB: number;
}

async function runPublishers(port: number, perPublisher: number): Promise<{ seconds: number; messages: number }> {
  const publishers = Array.from({ length: PUBLISHERS }, (_, index) => role('publisher', port, index, perPublisher, WINDOW));
  // Each publisher connects, then waits for the go line.
  await Promise.all(publishers.map((publisher) => publisher.next()));
  const started = process.hrtime.bigint();
  for (const publisher of publishers) publisher.process.stdin!.write('go\n');
  const results = await Promise.all(publishers.map((publisher) => publisher.next()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const publisher of publishers) publisher.process.stdin!.end();
  return { seconds, messages: results.reduce((sum, result) => sum + Number(result.acknowledged), 0) };
}

async function measure(broker: Broker): Promise<BrokerResult> {
  const idleRss = memoryKiB(broker.pid, 'VmRSS');
  const subscriber = role('subscriber', broker.port);
  await subscriber.next();
  await runPublishers(broker.port, WARMUP_MESSAGES_PER_PUBLISHER);
  const cpuBefore = cpuSeconds(broker.pid);
  const ingest = await runPublishers(broker.port, MESSAGES_PER_PUBLISHER);
  const cpuAfter = cpuSeconds(broker.pid);
  subscriber.process.stdin!.write('count\n');
  const delivered = Number((await subscriber.next()).received);
  subscriber.process.stdin!.end();
  const latency = await role('latency', broker.port, PACED_RATE, PACED_SECONDS).next();
  return {
    name: broker.name,
    messagesPerSecond: ingest.messages / ingest.seconds,
    cpuMicrosPerMessage: (cpuAfter - cpuBefore) * 1e6 / ingest.messages,
    delivered,
    latencyP50Ms: Number(latency.p50),
    latencyP99Ms: Number(latency.p99),
    idleRssMiB: idleRss / 1024,
    peakRssMiB: memoryKiB(broker.pid, 'VmHWM') / 1024,
  };
}

async function startTributary(): Promise<Broker> {
  const daemon = await Daemon.start({ config: { listeners: { mqttWs: { enabled: false } } } });
  return { name: 'tributary (durable)', pid: daemon.process.pid!, port: daemon.ports.mqtt!, stop: () => daemon.cleanup() };
}

async function startAedes(): Promise<Broker> {
  const broker = role('aedes-broker');
  const ready = await broker.next();
  return {
    name: 'bare aedes (memory)',
    pid: broker.process.pid!,
    port: Number(ready.port),
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
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`);
  const mosquitto = spawn(requireProgram('mosquitto'), ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Ready once a client can connect.
  for (;;) {
    try {
      const socket = await mqttConnect(port, 'bench-probe', () => {});
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
    async stop() {
      mosquitto.kill('SIGTERM');
      await new Promise((resolve) => mosquitto.once('close', resolve));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  console.log(`MQTT benchmark: ${PUBLISHERS} publishers x ${MESSAGES_PER_PUBLISHER} QoS 1 messages of ${PAYLOAD_BYTES} bytes, ${WINDOW} in flight each, one QoS 0 subscriber; latency at ${PACED_RATE} msg/s for ${PACED_SECONDS} s`);
  const results: BrokerResult[] = [];
  for (const start of [startTributary, startAedes, startMosquitto]) {
    const broker = await start();
    try {
      // Let start-up settle before the idle RSS is read.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const result = await measure(broker);
      results.push(result);
      console.log(`  ${result.name}: ${Math.round(result.messagesPerSecond)} msg/s`);
    } finally {
      await broker.stop();
    }
  }
  console.log('\nbroker                 msg/s   CPU µs/msg  delivered   p50 ms   p99 ms   idle RSS MiB  peak RSS MiB');
  for (const r of results) {
    console.log(`${r.name.padEnd(20)} ${Math.round(r.messagesPerSecond).toString().padStart(8)} ${r.cpuMicrosPerMessage.toFixed(1).padStart(12)} ${String(r.delivered).padStart(10)} ${r.latencyP50Ms.toFixed(2).padStart(8)} ${r.latencyP99Ms.toFixed(2).padStart(8)} ${r.idleRssMiB.toFixed(1).padStart(14)} ${r.peakRssMiB.toFixed(1).padStart(13)}`);
  }
  const tributary = results[0]!;
  const aedes = results[1]!;
  const throughputRatio = tributary.messagesPerSecond / aedes.messagesPerSecond;
  const cpuRatio = tributary.cpuMicrosPerMessage / aedes.cpuMicrosPerMessage;
  console.log(`\ntributary / bare aedes: throughput ${throughputRatio.toFixed(2)} (goal >= 0.9), CPU per message ${cpuRatio.toFixed(2)} (goal <= 1.5); tributary idle RSS ${tributary.idleRssMiB.toFixed(1)} MiB (goal < 64)`);
}

const [roleName, ...roleArgs] = process.argv.slice(2);
const numbers = roleArgs.map(Number);
switch (roleName) {
  case 'publisher': await publisherRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!); break;
  case 'subscriber': await subscriberRole(numbers[0]!); break;
  case 'latency': await latencyRole(numbers[0]!, numbers[1]!, numbers[2]!); break;
  case 'aedes-broker': await aedesBrokerRole(); break;
  case undefined: await main(); break;
  default: throw new Error(`unknown role ${roleName}`);
}

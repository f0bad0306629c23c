// The processes bench:mqtt runs (bench/mqtt.ts starts each as `node bench/mqtt-roles.ts
// ROLE ARGS...`): a bare MQTT 3.1.1/5 client written for the benchmark, publishers and
// subscribers built on it and on MQTT.js, a paced latency probe, a holder of idle
// connections, and bare aedes as a baseline broker. Each prints JSON lines on standard
// output and starts its measured phase on a line on standard input.
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { frame as packet, mqttString, remainingLength } from '../test/edge/mqtt/raw-client.ts';

export const PAYLOAD_BYTES = 100;

export type Version = 4 | 5;

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

export async function mqttConnect(port: number, clientId: string, version: Version, onPacket: (firstByte: number, body: Buffer) => void): Promise<{ socket: Socket; receiveMaximum: number }> {
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

/** Runs the role named on the command line; bench/mqtt.ts imports this file for mqttConnect alone. */
async function runRole(): Promise<void> {
  const [roleName, ...roleArgs] = process.argv.slice(2);
  const numbers = roleArgs.map(Number);
  switch (roleName) {
    case 'publisher': return rawPublisherRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4] as Version);
    case 'subscriber': return rawSubscriberRole(numbers[0]!, numbers[1] as Version);
    case 'mqttjs-publisher': return mqttjsPublisherRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4] as Version);
    case 'mqttjs-subscriber': return mqttjsSubscriberRole(numbers[0]!, numbers[1] as Version);
    case 'latency': return latencyRole(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3] as Version);
    case 'idle': return idleRole(numbers[0]!, numbers[1]!, numbers[2] as Version);
    case 'aedes-broker': return aedesBrokerRole();
    default: throw new Error(`unknown role ${roleName}`);
  }
}

if (process.argv[1] === import.meta.filename) await runRole();

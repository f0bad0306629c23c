// The connection guard on its own, fed raw bytes through an in-memory socket pair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { duplexPair, type Duplex } from 'node:stream';
import { once } from 'node:events';
import { guardConnection, type ConnectionGuard, type Violation } from '../../../edge/mqtt/connection-guard.ts';
import { frame as packet, mqttString as string, remainingLength } from './raw-client.ts';

const limits = { maxPacketBytes: 1024, maxTopicLevels: 4 };

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

function connect(options: { clientId?: string | Buffer; flags?: number; protocol?: string; level?: number; will?: [string | Buffer, string]; username?: string; password?: string } = {}): Buffer {
  let flags = options.flags ?? 0x02;
  const payload = [string(options.clientId ?? 'device-1')];
  if (options.will) {
    flags |= 0x04;
    payload.push(string(options.will[0]), string(options.will[1]));
  }
  if (options.username !== undefined) {
    flags |= 0x80;
    payload.push(string(options.username));
  }
  if (options.password !== undefined) {
    flags |= 0x40;
    payload.push(string(options.password));
  }
  return packet(1, 0, Buffer.concat([string(options.protocol ?? 'MQTT'), Buffer.from([options.level ?? 4, flags]), u16(60), ...payload]));
}

function publish(topic: string | Buffer, qos = 0, packetId = 1, flags = qos << 1): Buffer {
  return packet(3, flags, Buffer.concat([string(topic), qos > 0 ? u16(packetId) : Buffer.alloc(0), Buffer.from('payload')]));
}

function subscribe(filters: Array<[string, number]>, packetId = 1): Buffer {
  return packet(8, 2, Buffer.concat([u16(packetId), ...filters.map(([filter, qos]) => Buffer.concat([string(filter), Buffer.from([qos])]))]));
}

interface Harness {
  client: Duplex;
  guard: ConnectionGuard;
  received: Buffer[];
  violations: Violation[];
  socketClosed: Promise<unknown>;
}

function harness(): Harness {
  const [client, server] = duplexPair();
  const violations: Violation[] = [];
  const guard = guardConnection(server, { limits, onViolation: (found) => violations.push(found) });
  const received: Buffer[] = [];
  // Read the way aedes does: paused mode, read() on 'readable'.
  server.on('readable', () => {
    for (let chunk = server.read() as Buffer | null; chunk !== null; chunk = server.read() as Buffer | null) received.push(chunk);
  });
  server.on('error', () => {});
  return { client, guard, received, violations, socketClosed: once(server, 'close') };
}

/** Sends bytes and waits until they reached the guard (the pair delivers on the next tick). */
async function send(h: Harness, ...chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) h.client.write(chunk);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

async function expectViolation(bytes: Buffer[], kind: string, reason: RegExp): Promise<Harness> {
  const h = harness();
  await send(h, ...bytes);
  await h.socketClosed;
  assert.is(h.violations.length, 1, `expected one violation for ${kind}`);
  assert.is(h.violations[0]!.kind, kind);
  assert.match(h.violations[0]!.reason, reason);
  return h;
}

test('valid packets pass through unchanged, also when split across reads', async () => {
  const h = harness();
  const bytes = Buffer.concat([connect(), publish('a/b', 1, 7), subscribe([['a/+', 1], ['#', 0]]), packet(12, 0, Buffer.alloc(0))]);
  // One byte at a time: every packet arrives in pieces.
  for (let index = 0; index < bytes.length; index++) h.client.write(bytes.subarray(index, index + 1));
  await send(h);
  assert.equal(Buffer.concat(h.received), bytes);
  assert.is(h.violations.length, 0);
  assert.is(h.guard.clientId, 'device-1');
  h.client.destroy();
});

test('a packet over the size limit is refused from its header, before it is buffered', async () => {
  const big = publish('a/b', 0, 0);
  const header = Buffer.from([0x30, ...remainingLength(5000)]);
  const h = await expectViolation([connect(), header], 'packet-too-large', /5003 bytes exceeds the limit of 1024/);
  // The CONNECT before it was passed on.
  assert.equal(Buffer.concat(h.received), connect());
  assert.ok(big.length < 1024);
});

test('strings must be well-formed UTF-8 without U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]', async () => {
  await expectViolation([connect({ clientId: Buffer.from([0x64, 0xc3, 0x28]) })], 'invalid-utf8', /client identifier is not well-formed UTF-8/);
  // An encoded surrogate (U+D800) is not well-formed either.
  await expectViolation([connect(), publish(Buffer.from([0x61, 0xed, 0xa0, 0x80]))], 'invalid-utf8', /topic name/);
  await expectViolation([connect(), publish(Buffer.from('a\u0000b'))], 'null-character', /topic name contains U\+0000/);
  await expectViolation([connect(), subscribe([['a/\u0000', 0]])], 'null-character', /topic filter/);
  await expectViolation([connect({ username: 'u\u0000' })], 'null-character', /user name/);
});

test('topic names and filters follow section 4.7', async () => {
  await expectViolation([connect(), publish('a/+')], 'invalid-topic', /contains a wildcard/); // [MQTT-3.3.2-2]
  await expectViolation([connect(), publish('a/#')], 'invalid-topic', /contains a wildcard/);
  await expectViolation([connect(), publish('')], 'invalid-topic', /empty/); // [MQTT-4.7.3-1]
  await expectViolation([connect(), publish('a/b/c/d/e')], 'too-many-levels', /more than 4 levels/);
  await expectViolation([connect(), subscribe([['a/#/b', 0]])], 'invalid-filter', /# must be alone/); // [MQTT-4.7.1-2]
  await expectViolation([connect(), subscribe([['a#', 0]])], 'invalid-filter', /# must be alone/);
  await expectViolation([connect(), subscribe([['a+', 0]])], 'invalid-filter', /\+ must occupy/); // [MQTT-4.7.1-3]
  await expectViolation([connect(), subscribe([['+a/b', 0]])], 'invalid-filter', /\+ must occupy/);
  await expectViolation([connect(), subscribe([['', 0]])], 'invalid-filter', /empty/);
  await expectViolation([connect({ will: ['wills/+', 'bye'] })], 'invalid-topic', /will topic/);
});

test('fixed header flags, packet identifiers and packet order', async () => {
  await expectViolation([publish('a')], 'not-connected', /first packet must be CONNECT/); // [MQTT-3.1.0-1]
  await expectViolation([connect(), connect()], 'second-connect', /second CONNECT/); // [MQTT-3.1.0-2]
  await expectViolation([connect(), packet(8, 0, Buffer.concat([u16(1), string('a'), Buffer.from([0])]))], 'header-flags', /SUBSCRIBE/); // [MQTT-3.8.1-1]
  await expectViolation([connect(), packet(6, 0, u16(1))], 'header-flags', /PUBREL/); // [MQTT-3.6.1-1]
  await expectViolation([connect(), publish('a', 1, 0)], 'zero-packet-id', /packet identifier is 0/); // [MQTT-2.3.1-1]
  await expectViolation([connect(), publish('a', 0, 0, 0x08)], 'header-flags', /DUP set on a QoS 0/); // [MQTT-3.3.1-2]
  await expectViolation([connect(), publish('a', 0, 0, 0x06)], 'header-flags', /QoS 3/); // [MQTT-3.3.1-4]
  await expectViolation([connect(), packet(8, 2, u16(1))], 'malformed', /no topic filter/); // [MQTT-3.8.3-3]
  await expectViolation([connect(), packet(10, 2, u16(1))], 'malformed', /no topic filter/); // [MQTT-3.10.3-2]
  await expectViolation([connect(), subscribe([['a', 3]])], 'malformed', /requested QoS/); // [MQTT-3-8.3-4]
  await expectViolation([connect(), subscribe([['a', 0x41]])], 'malformed', /requested QoS/);
  await expectViolation([connect(), packet(13, 0, Buffer.alloc(0))], 'server-packet', /PINGRESP/);
  await expectViolation([connect(), packet(15, 0, Buffer.alloc(0))], 'reserved-type', /reserved/);
  await expectViolation([connect(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])], 'malformed', /more than 4 bytes/);
});

test('CONNECT flags [MQTT-3.1.2-3] [MQTT-3.1.2-14] [MQTT-3.1.2-22] and protocol name [MQTT-3.1.2-1]', async () => {
  await expectViolation([connect({ flags: 0x03 })], 'connect-flags', /reserved connect flag/);
  await expectViolation([connect({ flags: 0x02 | 0x40 }).subarray(0)], 'connect-flags', /password flag set without the user name flag/);
  await expectViolation([connect({ flags: 0x02 | 0x18, will: ['w', 'x'] })], 'connect-flags', /will QoS is 3/);
  await expectViolation([connect({ protocol: 'HTTP' })], 'protocol-name', /"HTTP" is not MQTT/);
  // An unsupported level of the MQTT protocol is left to aedes, which answers CONNACK 0x01.
  const h = harness();
  await send(h, connect({ level: 9 }));
  assert.is(h.violations.length, 0);
  assert.equal(Buffer.concat(h.received), connect({ level: 9 }));
  h.client.destroy();
});

test.run();

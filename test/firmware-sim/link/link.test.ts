import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { createLink, type Link, type LinkOptions } from '../../../firmware-sim/link/link.ts';
import { closed, connect, connectUnchecked, readBytes, readToEnd, sha256, startEchoServer, startServer, waitUntil, writeAll, type TestServer } from './servers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function linkTo(server: TestServer, options: Partial<LinkOptions> = {}): Promise<Link> {
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${server.port}`, seed: 7, ...options });
  cleanups.push(() => link.close());
  return link;
}

async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  cleanups.push(() => server.close());
  return server;
}

async function client(link: Link): Promise<net.Socket> {
  const socket = await connect(link.listen.port);
  socket.on('error', () => {});
  cleanups.push(() => void socket.destroy());
  return socket;
}

test('bytes pass through intact both ways', async () => {
  const link = await linkTo(await echo());
  const socket = await client(link);
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const echoed = readBytes(socket, data.length);
  await writeAll(socket, data);
  assert.is(sha256(await echoed), sha256(data));
  const stats = link.stats();
  assert.is(stats.bytesUpstream, data.length);
  assert.is(stats.bytesDownstream, data.length);
  assert.is(stats.connectionsOpen, 1);
});

test('a half-close passes through and the reply still arrives', async () => {
  const server = await startServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end(Buffer.concat(chunks).toString('utf8').toUpperCase()));
  }, { allowHalfOpen: true });
  cleanups.push(() => server.close());
  const link = await linkTo(server);
  const socket = await client(link);
  const reply = readToEnd(socket);
  const disconnected = once(link, 'disconnection');
  socket.end('request');
  assert.is((await reply).toString('utf8'), 'REQUEST');
  await disconnected;
  assert.is(link.stats().connectionsOpen, 0);
});

test('latency delays every chunk and keeps their order', async () => {
  const latencyMs = 40;
  const link = await linkTo(await echo(), { latencyMs });
  const socket = await client(link);
  const startedMs = performance.now();
  const first = readBytes(socket, 4);
  socket.write('ping');
  assert.is((await first).toString(), 'ping');
  // Both directions add the delay; timers never fire early by more than rounding.
  assert.ok(performance.now() - startedMs >= 2 * latencyMs - 2, 'the round trip includes the added delay twice');

  const parts = Array.from({ length: 200 }, (_, index) => Buffer.from(`<${index}>`));
  const expected = Buffer.concat(parts);
  const echoed = readBytes(socket, expected.length);
  for (const part of parts) socket.write(part);
  assert.is((await echoed).toString(), expected.toString());
});

test('the bandwidth cap holds in each direction at once', async () => {
  const capBytesPerSecond = 250_000;
  const transferBytes = 600_000;
  const payload = randomBytes(transferBytes);
  let upstreamDone!: (value: { bytes: number; elapsedMs: number }) => void;
  const upstreamMeasured = new Promise<{ bytes: number; elapsedMs: number }>((resolve) => { upstreamDone = resolve; });
  // The target sends `payload` down and measures what comes up.
  const server = await startServer((socket) => {
    const startedMs = performance.now();
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= transferBytes) upstreamDone({ bytes: received, elapsedMs: performance.now() - startedMs });
    });
    void writeAll(socket, payload).catch(() => {});
  });
  cleanups.push(() => server.close());
  const link = await linkTo(server, { bandwidthBytesPerSecond: capBytesPerSecond });
  const startedMs = performance.now();
  const socket = await client(link);
  const downstream = readBytes(socket, transferBytes).then((data) => ({ data, elapsedMs: performance.now() - startedMs }));
  await writeAll(socket, payload);
  const [up, down] = await Promise.all([upstreamMeasured, downstream]);
  assert.is(sha256(down.data), sha256(payload));
  const upRate = up.bytes / (up.elapsedMs / 1000);
  const downRate = transferBytes / (down.elapsedMs / 1000);
  console.log(`cap ${capBytesPerSecond} B/s: upstream ${Math.round(upRate)} B/s, downstream ${Math.round(downRate)} B/s`);
  for (const [direction, rate] of [['upstream', upRate], ['downstream', downRate]] as const) {
    assert.ok(rate < capBytesPerSecond * 1.1, `${direction} ${Math.round(rate)} B/s exceeds the cap by more than 10%`);
    assert.ok(rate > capBytesPerSecond * 0.5, `${direction} ${Math.round(rate)} B/s is far below the cap`);
  }
});

test('a cut closes both sides, refuses new connections, and restore lets them in', async () => {
  const server = await echo();
  const link = await linkTo(server);
  const serverSide = server.nextSocket();
  const socket = await client(link);
  const pong = readBytes(socket, 4);
  socket.write('ping');
  await pong;
  const targetSocket = await serverSide;

  link.cut();
  await Promise.all([closed(socket), closed(targetSocket)]);
  assert.is(link.stats().state, 'cut');

  // While cut, a new connection is accepted by the kernel and reset at once, with no data.
  const refused = connectUnchecked(link.listen.port);
  await closed(refused);
  assert.is(refused.bytesRead, 0);
  assert.is(link.stats().connectionsRefused, 1);

  link.restore();
  assert.is(link.stats().state, 'up');
  const again = await client(link);
  const echoed = readBytes(again, 5);
  again.write('again');
  assert.is((await echoed).toString(), 'again');
  assert.is(link.stats().cuts, 1);
});

test('routes to several targets share one link: each reaches its own target, and a cut closes them all', async () => {
  const first = await startServer((socket) => socket.end('first'));
  const second = await echo();
  cleanups.push(() => first.close());
  const link = await linkTo(second, { routes: [{ listen: '127.0.0.1:0', target: `127.0.0.1:${first.port}` }] });
  assert.is(link.routes.length, 2);
  assert.is(link.routes[0]!.listen.port, link.listen.port);
  assert.ok(link.routes[1]!.listen.port > 0 && link.routes[1]!.listen.port !== link.listen.port, 'the second route listens on a port of its own');
  assert.is((await readToEnd(await connect(link.routes[1]!.listen.port))).toString(), 'first');
  const echoing = await client(link);
  const echoed = readBytes(echoing, 4);
  echoing.write('ping');
  assert.is((await echoed).toString(), 'ping');

  link.cut();
  await closed(echoing);
  const refused = connectUnchecked(link.routes[1]!.listen.port);
  await closed(refused);
  assert.is(refused.bytesRead, 0, 'the other route is cut too');
  assert.is(link.stats().connectionsRefused, 1);
  link.restore();
  assert.is((await readToEnd(await connect(link.routes[1]!.listen.port))).toString(), 'first');
  assert.is(link.stats().connectionsAccepted, 3);
});

test('a cut with a duration ends by itself', async () => {
  const link = await linkTo(await echo());
  const restored = once(link, 'restore');
  link.cut(50);
  await restored;
  assert.is(link.stats().state, 'up');
  const socket = await client(link);
  const echoed = readBytes(socket, 2);
  socket.write('ok');
  assert.is((await echoed).toString(), 'ok');
});

test('a black hole keeps the connection open but passes no bytes until restored', async () => {
  const server = await echo();
  const link = await linkTo(server);
  const serverSide = server.nextSocket();
  const socket = await client(link);
  const pong = readBytes(socket, 4);
  socket.write('ping');
  await pong;
  const targetSocket = await serverSide;
  const targetBytesBefore = targetSocket.bytesRead;

  link.blackhole();
  assert.is(link.stats().state, 'blackhole');
  const echoed = readBytes(socket, 6);
  socket.write('hidden');
  await waitUntil(() => link.stats().bytesQueued === 6, 'the link holds the 6 bytes');
  // Absence of bytes has no event to await: give them a generous moment to (not) arrive.
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.is(targetSocket.bytesRead, targetBytesBefore, 'no byte reached the target');
  assert.not.ok(socket.closed, 'the client connection is still open');
  assert.not.ok(targetSocket.closed, 'the target connection is still open');
  assert.is(link.stats().bytesQueued, 6);

  link.restore();
  assert.is((await echoed).toString(), 'hidden');
  assert.is(link.stats().blackholes, 1);
});

test('a full pipe pauses its source, so memory stays bounded, and nothing is lost', async () => {
  const bufferBytesMax = 256 * 1024;
  const server = await startServer((socket) => socket.pause());
  cleanups.push(() => server.close());
  const link = await linkTo(server, { pipeBufferBytesMax: bufferBytesMax });
  const serverSide = server.nextSocket();
  const socket = await client(link);
  const targetSocket = await serverSide;

  const data = randomBytes(24 * 1024 * 1024);
  const backpressure = once(link, 'backpressure');
  const written = writeAll(socket, data);
  await backpressure;
  // The kernel's socket buffers hold a few MiB; the link itself holds at most its limit
  // plus the one chunk (at most 64 KiB) that crossed it.
  const readChunkBytesMax = 64 * 1024;
  assert.ok(link.stats().pipeBufferedBytesPeak <= bufferBytesMax + readChunkBytesMax);

  const received: Buffer[] = [];
  let receivedBytes = 0;
  const allReceived = new Promise<void>((resolve) => {
    targetSocket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      receivedBytes += chunk.length;
      if (receivedBytes >= data.length) resolve();
    });
  });
  targetSocket.resume();
  await Promise.all([written, allReceived]);
  assert.is(sha256(Buffer.concat(received)), sha256(data));
  const stats = link.stats();
  assert.ok(stats.backpressurePauses >= 1);
  assert.ok(stats.pipeBufferedBytesPeak <= bufferBytesMax + readChunkBytesMax, `peak ${stats.pipeBufferedBytesPeak} B exceeds the limit`);
});

test('connections beyond the limit are refused', async () => {
  const link = await linkTo(await echo(), { connectionsMax: 2 });
  const first = await client(link);
  const second = await client(link);
  await waitUntil(() => link.stats().connectionsOpen === 2, 'both connections are proxied');
  const third = connectUnchecked(link.listen.port);
  await closed(third);
  assert.is(link.stats().connectionsRefused, 1);
  assert.not.ok(first.closed || second.closed);
});

test('an unreachable target closes the client connection', async () => {
  const server = await echo();
  const port = server.port;
  await server.close();
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${port}` });
  cleanups.push(() => link.close());
  const socket = await client(link);
  await closed(socket);
  assert.is(link.stats().targetErrors, 1);
});

test('scheduled cuts close connections and end by themselves', async () => {
  const link = await linkTo(await echo(), { cuts: { everyMs: 120, forMs: 40 } });
  const socket = await client(link);
  const [{ durationMs }] = await once(link, 'cut');
  assert.is(durationMs, 40);
  await closed(socket);
  await once(link, 'restore');
  const again = await client(link);
  const echoed = readBytes(again, 2);
  again.write('up');
  assert.is((await echoed).toString(), 'up');
});

test('random black holes come and go', async () => {
  const link = await linkTo(await echo(), { blackholes: { meanIntervalMs: 30, forMs: 20 } });
  for (let round = 0; round < 2; round += 1) {
    await once(link, 'blackhole');
    await once(link, 'restore');
  }
  assert.ok(link.stats().blackholes >= 2);
});

test('shape changes the cap and latency at run time', async () => {
  const link = await linkTo(await echo(), { bandwidthBytesPerSecond: 1_000 });
  assert.is(link.stats().bandwidthBytesPerSecond, 1_000);
  link.shape({ bandwidthBytesPerSecond: null, latencyMs: 5 });
  const stats = link.stats();
  assert.is(stats.bandwidthBytesPerSecond, null);
  assert.is(stats.latencyMs, 5);
  assert.throws(() => link.shape({ latencyMs: -1 }), /--latency/);
});

test('bad options name what is wrong', async () => {
  assert.match(await failureOf(createLink({ listen: 'nonsense', target: '127.0.0.1:1' })), /--listen/);
  assert.match(await failureOf(createLink({ listen: '127.0.0.1:0', target: '127.0.0.1:1', cuts: { everyMs: 10, forMs: 20 } })), /--cut-every/);
});

async function failureOf(promise: Promise<Link>): Promise<string> {
  try {
    const link = await promise;
    await link.close();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

test.run();

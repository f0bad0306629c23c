// One Kafka connection on a real socket, with a stand-in request handler: framing of
// requests however the bytes are cut, and backpressure on responses. A consumer that
// reads slowly makes the broker wait for the socket to drain on every large response;
// each wait must leave no listener behind (a long-lived connection once gathered one
// 'close' listener per wait, and Node warned of a listener leak after eleven).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { silentLogger } from '../../../../shared/logger.ts';
import { KafkaConnection, type RequestHandler } from '../../../../edge/kafka/connection.ts';
import { within } from './support/timeout.ts';

/** Large enough that every response fills the socket's buffers and the writer must wait. */
const RESPONSE_BYTES = 4 * 1024 * 1024;
const REQUESTS = 24;

test('waiting for drain on many large responses leaves no listeners on the socket', async () => {
  const body = Buffer.alloc(RESPONSE_BYTES, 1);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(RESPONSE_BYTES);
  const handler: RequestHandler = { handle: async () => [prefix, body] };
  let serverSocket: Socket | undefined;
  const server = createServer((socket) => {
    serverSocket = socket;
    new KafkaConnection({ id: 1, socket, handler, logger: silentLogger(), maxRequestBytes: 1024, advertised: { host: '127.0.0.1', port: 0 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const listenersAtStart = { close: 0, drain: 0 };
    const request = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0]);
    let received = 0;
    const allReceived = new Promise<void>((resolve) => client.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= REQUESTS * (RESPONSE_BYTES + 4)) resolve();
    }));
    client.pause();
    for (let index = 0; index < REQUESTS; index++) client.write(request);
    // Let the broker fill the socket, then read everything.
    await new Promise((resolve) => setImmediate(resolve));
    listenersAtStart.close = serverSocket!.listenerCount('close');
    listenersAtStart.drain = serverSocket!.listenerCount('drain');
    client.resume();
    await within(allReceived, 30_000, `${REQUESTS} responses`);
    assert.ok(serverSocket!.listenerCount('close') <= listenersAtStart.close + 1, `close listeners: ${serverSocket!.listenerCount('close')}, at start ${listenersAtStart.close}`);
    assert.ok(serverSocket!.listenerCount('drain') <= listenersAtStart.drain + 1, `drain listeners: ${serverSocket!.listenerCount('drain')}`);
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('requests are framed alike whether they arrive a byte at a time, together, or split across reads', async () => {
  const frames: Buffer[] = [];
  const expectedCount = 4;
  const allFramed = Promise.withResolvers<void>();
  const handler: RequestHandler = {
    handle: async (frame) => {
      frames.push(Buffer.from(frame));
      if (frames.length === expectedCount) allFramed.resolve();
      return undefined;
    },
  };
  const server = createServer((socket) => new KafkaConnection({ id: 1, socket, handler, logger: silentLogger(), maxRequestBytes: 1024 * 1024, advertised: { host: '127.0.0.1', port: 0 } }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  try {
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300_000, 7), Buffer.from('last')];
    const stream = Buffer.concat(bodies.flatMap((body) => {
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(body.length);
      return [prefix, body];
    }));
    // The first frames a byte at a time (a pause between writes keeps them apart on the wire), the rest in one write.
    for (let index = 0; index < 9; index++) {
      client.write(stream.subarray(index, index + 1));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    client.write(stream.subarray(9));
    await within(allFramed.promise, 10_000, `${expectedCount} frames`);
    assert.equal(frames, bodies, 'every frame, whole and in order');
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test.run();

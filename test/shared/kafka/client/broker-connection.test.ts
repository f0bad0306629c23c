// The limits and failure handling of one client connection, against a broker on a real TCP
// port that misbehaves on purpose: requests in flight stay within IN_FLIGHT_REQUESTS_MAX,
// waiting ones within WAITING_REQUESTS_MAX, a response frame over RESPONSE_BYTES_MAX or with
// a correlation id nobody sent ends the connection, and an unanswered request resets it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { BrokerConnection, IN_FLIGHT_REQUESTS_MAX, RESPONSE_BYTES_MAX, WAITING_REQUESTS_MAX } from '../../../../shared/kafka/client/broker-connection.ts';
import { ApiKey } from '../../../../shared/kafka/protocol/api-keys.ts';
import { encodeResponse, parseRequestHeader } from '../../../../shared/kafka/wire/index.ts';

const METADATA_VERSION = 12;
const emptyMetadata = { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, topics: [], clusterAuthorizedOperations: 0 };

/** A broker that hands each request's correlation id to `onRequest`, with the socket to answer on. */
async function fakeBroker(onRequest: (socket: Socket, correlationId: number) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        onRequest(socket, parseRequestHeader(frame).correlationId);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, sockets };
}

function answer(socket: Socket, correlationId: number): void {
  socket.write(encodeResponse(ApiKey.Metadata, METADATA_VERSION, correlationId, emptyMetadata));
}

async function open(port: number): Promise<BrokerConnection> {
  return BrokerConnection.open({ host: '127.0.0.1', port }, { clientId: 'limits', connectTimeoutMs: 5_000 });
}

function metadata(connection: BrokerConnection, timeoutMs = 30_000): Promise<unknown> {
  return connection.request(ApiKey.Metadata, METADATA_VERSION, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, timeoutMs);
}

test(`pipelines requests on one connection, never more than ${IN_FLIGHT_REQUESTS_MAX} unanswered at a time`, async () => {
  const unanswered: { socket: Socket; correlationId: number }[] = [];
  let mostUnanswered = 0;
  let received = 0;
  // Nothing is answered until the limit's worth has arrived; from then on, one answer per arrival.
  const broker = await fakeBroker((socket, correlationId) => {
    received += 1;
    unanswered.push({ socket, correlationId });
    mostUnanswered = Math.max(mostUnanswered, unanswered.length);
    if (unanswered.length >= IN_FLIGHT_REQUESTS_MAX) {
      const next = unanswered.shift()!;
      answer(next.socket, next.correlationId);
    }
  });
  const connection = await open(broker.port);
  try {
    const requests = Array.from({ length: IN_FLIGHT_REQUESTS_MAX * 2 }, () => metadata(connection));
    // The last limit's worth stay unanswered by the rule above: answer them now.
    await waitUntil(() => received === IN_FLIGHT_REQUESTS_MAX * 2);
    for (const next of unanswered.splice(0)) answer(next.socket, next.correlationId);
    const answers = await Promise.all(requests);
    assert.is(answers.length, IN_FLIGHT_REQUESTS_MAX * 2);
    assert.is(mostUnanswered, IN_FLIGHT_REQUESTS_MAX);
  } finally {
    await connection.close();
    broker.server.close();
  }
});

test(`refuses a request when ${WAITING_REQUESTS_MAX} already wait for a place in flight`, async () => {
  const broker = await fakeBroker(() => undefined);
  const connection = await open(broker.port);
  try {
    const held = Array.from({ length: IN_FLIGHT_REQUESTS_MAX + WAITING_REQUESTS_MAX }, () => metadata(connection).catch((error: Error) => error));
    const refused = await metadata(connection).then(() => undefined, (error: Error) => error.message);
    assert.match(refused ?? '', new RegExp(`${WAITING_REQUESTS_MAX} requests already wait`));
    connection.reset();
    const failures = await Promise.all(held);
    assert.ok(failures.every((failure) => failure instanceof Error), 'the held requests fail when the connection is reset');
  } finally {
    broker.server.close();
  }
});

test('a response frame longer than RESPONSE_BYTES_MAX ends the connection before anything is allocated', async () => {
  const broker = await fakeBroker((socket) => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(RESPONSE_BYTES_MAX + 1);
    socket.write(prefix);
  });
  const connection = await open(broker.port);
  try {
    const failure = await metadata(connection).then(() => undefined, (error: Error) => error.message);
    assert.match(failure ?? '', /response frame of 67108865 bytes is outside 4-67108864 \(RESPONSE_BYTES_MAX\)/);
    assert.ok(connection.closed);
  } finally {
    broker.server.close();
  }
});

test('an answer with a correlation id no request has ends the connection', async () => {
  const broker = await fakeBroker((socket, correlationId) => answer(socket, correlationId + 1000));
  const connection = await open(broker.port);
  try {
    const failure = await metadata(connection).then(() => undefined, (error: Error) => error.message);
    assert.match(failure ?? '', /correlation id \d+, which no request on the way has/);
  } finally {
    broker.server.close();
  }
});

test('a request without an answer in time fails and resets the connection, so that the broker sees a reset', async () => {
  const broker = await fakeBroker(() => undefined);
  const connection = await open(broker.port);
  try {
    await waitUntil(() => broker.sockets.length === 1);
    const serverSide = once(broker.sockets[0]!, 'error');
    const failure = await metadata(connection, 200).then(() => undefined, (error: Error) => error.message);
    assert.match(failure ?? '', /no answer to Metadata v12 within 200 ms/);
    const [error] = await serverSide as [NodeJS.ErrnoException];
    assert.is(error.code, 'ECONNRESET');
  } finally {
    broker.server.close();
  }
});

test('a refused connection names the broker', async () => {
  const broker = await fakeBroker(() => undefined);
  const { port } = broker;
  await new Promise<void>((resolve) => broker.server.close(() => resolve()));
  const failure = await open(port).then(() => undefined, (error: Error) => error.message);
  assert.match(failure ?? '', new RegExp(`broker 127\\.0\\.0\\.1:${port}: cannot connect: connect ECONNREFUSED`));
});

/** Resolves when `condition` holds, checking on each turn of the event loop. */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

test.run();

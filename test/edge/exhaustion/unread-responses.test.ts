// Clients that never read, on every listener: a Kafka consumer that asks for megabytes of
// records and never reads its socket, MQTT subscribers over TCP and over WebSocket that stop
// reading while a publisher floods their topic, and an HTTP client that asks the admin port
// for its metrics again and again without reading the answers. Once the kernel's buffers are
// full, what is sent to them waits in the broker; when none of it has been taken for the
// slow-client timeout the listener cuts them off, counts it in
// tributary_listener_closed_connections_total{reason="not-reading"} and says so in one log
// line naming the limit. Meanwhile well-behaved clients are served, every acknowledged record
// is in the log, and new clients are served once the stuck one is gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { ApiKey, encodeRequest } from '../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { HTTP_SLOW_CLIENT_TIMEOUT_MS } from '../../../shared/listeners/http-guard.ts';
import { Daemon } from '../../helpers/daemon.ts';
import { kafkaClient, readPartition, waitFor } from '../../mirror/cluster.ts';
import { connectPacket, RawClient, subscribePacket } from '../mqtt/raw-client.ts';
import { listenerCount, openSocket, portOf, serveUntil, WAIT_MS, type ListenerName, type RawSocket } from './support.ts';

const SLOW_CLIENT_TIMEOUT_MS = 2_000;
/** Records of this size fill the kernel's socket buffers (a few MiB on loopback) quickly. */
const RECORD_BYTES = 512 * 1024;
/** 24 MiB of records: more than the socket buffers of both ends hold. */
const RECORDS = 48;
const PAYLOAD_BYTES = 8 * 1024;
/** Publishes in flight at once from the flooding publisher. */
const PUBLISH_BATCH = 50;
/** Requests the admin client sends without reading: their answers (the metrics, tens of KiB each) are far more than the socket buffers hold. */
const ADMIN_REQUESTS = 2_000;

function cutOff(daemon: Daemon, listener: ListenerName): () => Promise<boolean> {
  return async () => await listenerCount(daemon, 'closed', listener, 'not-reading') >= 1;
}

/** The stuck client gives up: it was cut off, and reading now shows it the end of the connection. */
async function letGo(stuck: RawSocket): Promise<void> {
  stuck.socket.resume();
  stuck.socket.destroy();
  await stuck.closed;
}

async function assertCutOffOnce(daemon: Daemon, listener: ListenerName, message: RegExp): Promise<void> {
  assert.is(await listenerCount(daemon, 'closed', listener, 'not-reading'), 1, `${listener}: the client that does not read was cut off once, and counted`);
  await daemon.logLine((line) => line.listener === `listeners.${listener}` && line.reason === 'not-reading' && message.test(String(line.msg)), `${listener}: the cut-off is logged with the limit`);
}

test('a Kafka consumer that never reads its Fetch response is cut off; a producer and a reading consumer are served meanwhile and new connections after', async () => {
  const daemon = await Daemon.start({ config: { kafka: { slowClientTimeoutMs: SLOW_CLIENT_TIMEOUT_MS }, topics: { overrides: { big: { partitions: 1 } } } } });
  const client = kafkaClient(`127.0.0.1:${daemon.ports.kafka}`, 'reader-and-producer');
  try {
    let produced = 0;
    const produce = async (value: Buffer): Promise<void> => {
      const outcome = await client.produce('big', 0, encodeRecordBatch({ records: [{ value }] }));
      assert.is(outcome.errorCode, 0, 'the producer is acknowledged');
      produced++;
    };
    for (let index = 0; index < RECORDS; index++) await produce(Buffer.alloc(RECORD_BYTES, index));
    // A Fetch for everything, and then never a read.
    const stuck = await openSocket(daemon.ports.kafka!);
    stuck.socket.pause();
    stuck.socket.write(encodeRequest(ApiKey.Fetch, 11, 1, 'never-reads', {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 64 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'big', topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 64 * 1024 * 1024 }] }],
      forgottenTopicsData: [], rackId: '',
    }));
    await serveUntil('the Kafka consumer that does not read cut off', cutOff(daemon, 'kafka'), async () => {
      await produce(Buffer.alloc(16, 0xff));
      const fetched = await client.fetch('big', 0, 0n, 1024 * 1024, 0);
      assert.is(fetched.errorCode, 0, 'a consumer that reads is served meanwhile');
    });
    await letGo(stuck);
    await assertCutOffOnce(daemon, 'kafka', /^listeners\.kafka: connection closed: the client has read none of \d+ bytes of responses for \d+ ms \(kafka\.slowClientTimeoutMs 2000\)$/);
    const fresh = kafkaClient(`127.0.0.1:${daemon.ports.kafka}`, 'after-the-stuck-one');
    try {
      assert.is((await readPartition(fresh, 'big', 0)).length, produced, 'every acknowledged record is in the log, read on a new connection');
    } finally {
      await fresh.close();
    }
  } finally {
    await client.close();
    await daemon.cleanup();
  }
});

/**
 * Floods `flood/readings` from `publisher` until the subscriber that stopped reading is cut
 * off from `listener`; then a new subscriber on the same listener receives a reading, and
 * every acknowledged publish is in the log.
 */
async function floodUntilCutOff(daemon: Daemon, listener: 'mqtt' | 'mqttWs', publisher: MqttClient, stuck: RawSocket, message: RegExp): Promise<void> {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 7);
  let acknowledged = 0;
  const publishBatch = async (): Promise<void> => {
    await Promise.all(Array.from({ length: PUBLISH_BATCH }, () => publisher.publishAsync('flood/readings', payload, { qos: 1 })));
    acknowledged += PUBLISH_BATCH;
  };
  await serveUntil(`the ${listener} subscriber that does not read cut off`, cutOff(daemon, listener), publishBatch);
  await letGo(stuck);
  await assertCutOffOnce(daemon, listener, message);
  const url = listener === 'mqtt' ? `mqtt://127.0.0.1:${portOf(daemon, 'mqtt')}` : `ws://127.0.0.1:${portOf(daemon, 'mqttWs')}`;
  const after = await mqtt.connectAsync(url, { clientId: `after-${listener}`, reconnectPeriod: 0 });
  try {
    await after.subscribeAsync('flood/#', { qos: 1 });
    const received = new Promise<Buffer>((resolve) => after.once('message', (_topic, body) => resolve(body)));
    await publishBatch();
    assert.is((await received).length, PAYLOAD_BYTES, `${listener}: a new subscriber receives the readings`);
  } finally {
    await after.endAsync();
  }
  const reader = kafkaClient(`127.0.0.1:${daemon.ports.kafka}`, 'log-reader');
  try {
    assert.is((await readPartition(reader, 'mqtt', 0)).length, acknowledged, 'every acknowledged publish is in the log');
  } finally {
    await reader.close();
  }
}

const MQTT_NOT_READING = (listener: string): RegExp => new RegExp(`^listeners\\.${listener}: MQTT client disconnected: it (has read none of the \\d+ bytes waiting for it for \\d+ ms \\(mqtt\\.limits\\.slowClientTimeoutMs 2000\\)|does not read what is sent to it \\(\\d+ bytes waiting, more than \\d+\\))$`);

test('an MQTT subscriber that stops reading is cut off; the publisher flooding its topic keeps being acknowledged, and a new subscriber is served after', async () => {
  const daemon = await Daemon.start({ config: { mqtt: { limits: { slowClientTimeoutMs: SLOW_CLIENT_TIMEOUT_MS } } } });
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'flooding-publisher', reconnectPeriod: 0 });
  try {
    const subscriber = await RawClient.connect(daemon.ports.mqtt!);
    assert.equal(await subscriber.handshake({ clientId: 'stops-reading' }), [false, 0]);
    assert.equal(await subscriber.subscribe([['flood/#', 0]]), [0]);
    subscriber.socket.pause();
    await floodUntilCutOff(daemon, 'mqtt', publisher, { socket: subscriber.socket, closed: subscriber.closed }, MQTT_NOT_READING('mqtt'));
  } finally {
    await publisher.endAsync(true);
    await daemon.cleanup();
  }
});

/** A client's WebSocket frame: binary, final, masked with a zero key (RFC 6455 5.3), so the payload goes as it is. */
function webSocketFrame(payload: Buffer): Buffer {
  assert.ok(payload.length < 126, 'a short frame');
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

test('an MQTT subscriber over WebSocket that stops reading is cut off; the publisher keeps being acknowledged, and a new subscriber is served after', async () => {
  const daemon = await Daemon.start({ config: { mqtt: { limits: { slowClientTimeoutMs: SLOW_CLIENT_TIMEOUT_MS } } } });
  const publisher = await mqtt.connectAsync(`ws://127.0.0.1:${portOf(daemon, 'mqttWs')}`, { clientId: 'flooding-publisher', reconnectPeriod: 0 });
  try {
    const stuck = await openSocket(portOf(daemon, 'mqttWs'));
    const received: Buffer[] = [];
    stuck.socket.on('data', (chunk: Buffer) => received.push(chunk));
    stuck.socket.write('GET / HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n');
    stuck.socket.write(webSocketFrame(connectPacket({ clientId: 'stops-reading-ws' })));
    stuck.socket.write(webSocketFrame(subscribePacket([['flood/#', 0]])));
    // The SUBACK (packet id 1, QoS 0 granted) arrives unmasked inside a server frame.
    await waitFor('the WebSocket subscriber subscribed', () => (Buffer.concat(received).includes(Buffer.from([0x90, 0x03, 0x00, 0x01, 0x00])) ? true : undefined), WAIT_MS);
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols/);
    stuck.socket.pause();
    await floodUntilCutOff(daemon, 'mqttWs', publisher, stuck, MQTT_NOT_READING('mqttWs'));
  } finally {
    await publisher.endAsync(true);
    await daemon.cleanup();
  }
});

test('an HTTP client that never reads the admin port\'s answers is cut off; the admin port serves others meanwhile and after', async () => {
  const daemon = await Daemon.start();
  try {
    const stuck = await openSocket(daemon.ports.http!);
    stuck.socket.pause();
    stuck.socket.write('GET /metrics HTTP/1.1\r\nHost: edge\r\n\r\n'.repeat(ADMIN_REQUESTS));
    await serveUntil('the admin client that does not read cut off', cutOff(daemon, 'http'), async () => {
      assert.is((await fetch(`http://127.0.0.1:${daemon.ports.http}/health`)).status, 200, 'the admin port answers others meanwhile');
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    await letGo(stuck);
    await assertCutOffOnce(daemon, 'http', new RegExp(`^listeners\\.http: connection closed: the client has read none of \\d+ bytes of responses for \\d+ ms \\(limit ${HTTP_SLOW_CLIENT_TIMEOUT_MS} ms\\)$`));
    assert.is((await fetch(`http://127.0.0.1:${daemon.ports.http}/metrics`)).status, 200, 'and after');
  } finally {
    await daemon.cleanup();
  }
});

test.run();

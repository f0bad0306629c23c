// Slow-loris on every listener: clients that begin a request and never finish it — a Kafka
// frame, an MQTT packet, an HTTP request on the admin port or the WebSocket upgrade, a TLS
// handshake, an MQTT CONNECT that never comes — each trickling a byte now and then so that
// no idle timer would catch them. Each is cut off once its request has taken longer than
// its limit, counted in tributary_listener_closed_connections_total (or, for a handshake,
// tributary_listener_refused_connections_total) and named in the log, while a Kafka
// producer and an MQTT device keep being acknowledged and lose nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { HTTP_HEADERS_TIMEOUT_MS } from '../../../shared/listeners/http-guard.ts';
import { kafkaClient, readPartition } from '../../mirror/cluster.ts';
import { RawClient } from '../mqtt/raw-client.ts';
import { within } from '../kafka/clients/support/timeout.ts';
import { listenerCount, openSocket, portOf, serveUntil, startDaemonWithEveryListener, WAIT_MS, type ListenerName, type RawSocket } from './support.ts';

/** Short, so that the test does not wait a minute for each slow client. */
const SLOW_CLIENT_TIMEOUT_MS = 2_000;
/** A slow client sends its next byte this often: far more often than any idle timeout. */
const TRICKLE_INTERVAL_MS = 300;

/** Sends `first`, then one byte of `trickle` every interval, until the connection closes; returns what the broker sent. */
function trickle(connection: RawSocket, first: Buffer, trickleByte: Buffer): Promise<Buffer> {
  const received: Buffer[] = [];
  connection.socket.on('data', (chunk: Buffer) => received.push(chunk));
  if (first.length > 0) connection.socket.write(first);
  const timer = setInterval(() => { if (!connection.socket.destroyed) connection.socket.write(trickleByte); }, TRICKLE_INTERVAL_MS);
  return connection.closed.then(() => {
    clearInterval(timer);
    return Buffer.concat(received);
  });
}

test('every listener cuts off a client whose request never finishes; a producer and a device keep being acknowledged meanwhile', async () => {
  const daemon = await startDaemonWithEveryListener({
    kafka: { slowClientTimeoutMs: SLOW_CLIENT_TIMEOUT_MS },
    mqtt: { limits: { slowClientTimeoutMs: SLOW_CLIENT_TIMEOUT_MS } },
    topics: { overrides: { steady: { partitions: 1 } } },
  });
  const producer = kafkaClient(`127.0.0.1:${daemon.ports.kafka}`, 'steady-producer');
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'steady-device', reconnectPeriod: 0 });
  try {
    const mqttClient = await RawClient.connect(portOf(daemon, 'mqtt'));
    assert.equal(await mqttClient.handshake({ clientId: 'slow-publisher', keepaliveSeconds: 0 }), [false, 0]);
    const slow: Record<string, Promise<Buffer>> = {
      // A Kafka request announcing 100 bytes, 10 sent, then a byte now and then.
      kafka: trickle(await openSocket(portOf(daemon, 'kafka')), Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10)]), Buffer.alloc(1)),
      // A PUBLISH announcing 1,000 bytes after a good CONNECT.
      mqtt: trickle({ socket: mqttClient.socket, closed: mqttClient.closed }, Buffer.from([0x30, 0xe8, 0x07, 0x00, 0x05]), Buffer.from('a')),
      // Connected, and never a CONNECT.
      'mqtt-connect': trickle(await openSocket(portOf(daemon, 'mqtt')), Buffer.alloc(0), Buffer.alloc(0)),
      // TCP to a TLS port, and never a ClientHello.
      kafkaTls: trickle(await openSocket(portOf(daemon, 'kafkaTls')), Buffer.alloc(0), Buffer.alloc(0)),
      mqtts: trickle(await openSocket(portOf(daemon, 'mqtts')), Buffer.alloc(0), Buffer.alloc(0)),
      // HTTP headers a byte at a time, never the blank line that ends them.
      mqttWs: trickle(await openSocket(portOf(daemon, 'mqttWs')), Buffer.from('GET /mqtt HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nX-Slow: '), Buffer.from('z')),
      http: trickle(await openSocket(portOf(daemon, 'http')), Buffer.from('GET /health HTTP/1.1\r\nHost: edge\r\nX-Slow: '), Buffer.from('z')),
    };

    // Served all along: a record produced and a reading published every so often until every slow client is gone.
    const produced: string[] = [];
    let published = 0;
    let everyoneCutOff = false;
    const allClosed = Promise.all(Object.values(slow)).then(() => { everyoneCutOff = true; });
    await serveUntil('every slow client cut off', async () => everyoneCutOff, async () => {
      const value = `steady-${produced.length}`;
      const outcome = await producer.produce('steady', 0, encodeRecordBatch({ records: [{ value: Buffer.from(value) }] }));
      assert.is(outcome.errorCode, 0, 'the producer is acknowledged');
      produced.push(value);
      await device.publishAsync('sensors/steady/temp', String(published), { qos: 1 });
      published++;
      await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, 500))]);
    });
    const answers = await within(Promise.all(Object.entries(slow).map(async ([name, answer]) => [name, (await answer).toString('latin1')] as const)), WAIT_MS, 'every slow client cut off');
    const answerOf = Object.fromEntries(answers);
    assert.match(answerOf.http!, /^HTTP\/1\.1 408 Request Timeout/, 'the admin port answers 408');
    assert.match(answerOf.mqttWs!, /^HTTP\/1\.1 408 Request Timeout/, 'the WebSocket port answers 408');
    assert.is(answerOf.kafka, '', 'the Kafka client gets no answer to a request that never arrived');

    const expectations: [ListenerName, 'refused' | 'closed', string][] = [
      ['kafka', 'closed', 'slow-request'], ['mqtt', 'closed', 'slow-request'], ['mqtt', 'closed', 'connect-timeout'],
      ['kafkaTls', 'refused', 'handshake'], ['mqtts', 'refused', 'handshake'], ['mqttWs', 'closed', 'slow-request'], ['http', 'closed', 'slow-request'],
    ];
    for (const [listener, kind, reason] of expectations) assert.is(await listenerCount(daemon, kind, listener, reason), 1, `${listener}: one connection ${kind} (${reason})`);
    const logged = (pattern: RegExp): boolean => daemon.logLines.some((line) => pattern.test(String(line.msg)));
    assert.ok(logged(/^listeners\.kafka: connection closed: a request begun \d+ ms ago has not arrived whole \(\d+ of 104 bytes; kafka\.slowClientTimeoutMs 2000\)$/), 'the Kafka cut-off is logged with the limit');
    assert.ok(logged(/^listeners\.mqtt: MQTT client disconnected: a packet begun \d+ ms ago has not arrived whole \(mqtt\.limits\.slowClientTimeoutMs 2000\)$/), 'the MQTT cut-off is logged with the limit');
    assert.ok(logged(new RegExp(`^listeners\\.http: connection closed: its request did not arrive within ${HTTP_HEADERS_TIMEOUT_MS} ms`)), 'the admin port\'s cut-off is logged');
    assert.ok(logged(new RegExp(`^listeners\\.mqttWs: connection closed: its request did not arrive within ${HTTP_HEADERS_TIMEOUT_MS} ms`)), 'the WebSocket port\'s cut-off is logged');
    assert.ok(logged(/^listeners\.mqtt: MQTT connection closed: no CONNECT within \d+ ms of connecting$/), 'the missing CONNECT is logged');
    assert.ok(logged(/^listeners\.kafkaTls: TLS handshake failed/), 'the TLS handshake timeout is logged');
    assert.ok(logged(/^listeners\.mqtts: MQTT over TLS: handshake failed/), 'and the MQTTS one');

    // Nothing acknowledged was lost, and the listeners take new clients.
    assert.equal((await readPartition(producer, 'steady', 0)).map((record) => Buffer.from(record.value!).toString()), produced);
    assert.ok(produced.length >= 2 && published >= 2, 'both kept working through the whole time');
    assert.is((await fetch(`http://127.0.0.1:${daemon.ports.http}/health`)).status, 200);
    for (const url of [`mqtt://127.0.0.1:${portOf(daemon, 'mqtt')}`, `ws://127.0.0.1:${portOf(daemon, 'mqttWs')}`]) {
      const after = await mqtt.connectAsync(url, { clientId: 'after', reconnectPeriod: 0 });
      await after.publishAsync('sensors/after/temp', '1', { qos: 1 });
      await after.endAsync();
    }
    const fresh = kafkaClient(`127.0.0.1:${portOf(daemon, 'kafka')}`, 'after');
    try {
      assert.is((await fresh.produce('steady', 0, encodeRecordBatch({ records: [{ value: Buffer.from('after') }] }))).errorCode, 0, 'a new Kafka connection is served');
    } finally {
      await fresh.close();
    }
  } finally {
    await device.endAsync(true);
    await producer.close();
    await daemon.cleanup();
  }
});

test.run();

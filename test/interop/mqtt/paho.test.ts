// The Eclipse paho Python client (python3-paho-mqtt, Debian) against the real daemon: the
// daemon killed with SIGKILL in the middle of a QoS 1 stream keeps every acknowledged
// message, and a persistent session gets the commands queued while it was away, also
// across a restart of the daemon.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../../edge/kafka/clients/support/kafkajs.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';
import { paho } from './support/client-process.ts';

/** Messages acknowledged before the daemon is killed; the stream is longer, so it is cut mid-way. */
const ACKED_BEFORE_KILL = 3000;
const STREAM_LENGTH = 50_000;

test('SIGKILL during a QoS 1 stream: after the restart every PUBACKed message is in the log', async () => {
  let daemon = await Daemon.start();
  try {
    const stream = paho(['stream', '--port', String(daemon.ports.mqtt), '--client-id', 'streamer', '--topic', 'stream/readings', '--count', String(STREAM_LENGTH), '--inflight', '20']);
    const acked = new Set<string>();
    let killed = false;
    for (let event = await stream.nextEvent(); event !== null; event = await stream.nextEvent()) {
      if (event.event !== 'acked') continue;
      acked.add(event.value as string);
      if (acked.size === ACKED_BEFORE_KILL && !killed) {
        killed = true;
        await daemon.kill();
      }
    }
    const { code } = await stream.exited;
    assert.is(code, 3, 'the stream lost its connection before its end');
    assert.ok(acked.size >= ACKED_BEFORE_KILL);

    daemon = await daemon.restart();
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    const values = stored.records.map((record) => record.value!.toString());
    const inLog = new Set(values);
    const missing = [...acked].filter((value) => !inLog.has(value));
    assert.equal(missing, [], 'acknowledged messages missing from the log');
    // One client's publishes are stored in the order they were sent.
    const numbers = values.map(Number);
    assert.ok(numbers.every((value, index) => index === 0 || value > numbers[index - 1]!), 'records in publish order');
  } finally {
    await daemon.cleanup();
  }
});

test('a persistent paho session gets the commands a Kafka producer sent while it was away, after a daemon restart', async () => {
  const config = { mqtt: { reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }] } };
  let daemon = await Daemon.start({ config });
  try {
    const subscribe = paho(['subscribe', '--port', String(daemon.ports.mqtt), '--client-id', 'dev-9', '--topic', 'commands/dev-9', '--qos', '1']);
    assert.equal(await subscribe.nextEvent(), { event: 'subscribed', sessionPresent: false });
    await subscribe.succeeded();

    const producer = kafkajsClient(daemon.ports.kafka!, 'command-sender').producer();
    await producer.connect();
    await producer.send({ topic: 'commands', acks: -1, messages: [{ key: 'dev-9', value: 'reboot' }, { key: 'dev-7', value: 'other device' }, { key: 'dev-9', value: 'update firmware' }] });
    await producer.disconnect();
    // Wait until the reverse route has queued them for the session (three records published).
    while ((metricValue(await daemon.metrics(), 'tributary_mqtt_reverse_published_total', { topic: 'commands' }) ?? 0) < 3);

    await daemon.stop();
    daemon = await daemon.restart({ config });
    const device = paho(['receive', '--port', String(daemon.ports.mqtt), '--client-id', 'dev-9', '--count', '2']);
    assert.equal(await device.nextEvent(), { event: 'connected', sessionPresent: true, rc: 0 });
    assert.equal(await device.nextEvent(), { event: 'message', topic: 'commands/dev-9', payload: 'reboot', qos: 1 });
    assert.equal(await device.nextEvent(), { event: 'message', topic: 'commands/dev-9', payload: 'update firmware', qos: 1 });
    await device.succeeded();
  } finally {
    await daemon.cleanup();
  }
});

test.run();

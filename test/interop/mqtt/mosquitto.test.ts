// mosquitto_pub and mosquitto_sub (mosquitto-clients 2.0, Debian) against the real daemon,
// with a Kafka client (kafkajs) on the other side of the log.
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../../edge/kafka/clients/support/kafkajs.ts';
import { ClientProcess } from './support/client-process.ts';
import { requireProgram } from '../../helpers/system-programs.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';

const DEVICES = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6'];
const READINGS_PER_DEVICE = 200;

function mosquittoPub(port: number, args: string[], input?: string): ClientProcess {
  return new ClientProcess(requireProgram('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(port), ...args], input);
}

/** How long a test waits for commands to be queued; generous for a loaded machine. */
const QUEUED_WAIT_MS = 10_000;
const QUEUED_POLL_MS = 50;

/** Waits until persistent sessions hold `count` messages (tributary_mqtt_queued_messages). */
async function waitForQueuedMessages(daemon: Daemon, count: number): Promise<void> {
  for (const deadline = Date.now() + QUEUED_WAIT_MS; Date.now() < deadline;) {
    if ((metricValue(await daemon.metrics(), 'tributary_mqtt_queued_messages') ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, QUEUED_POLL_MS));
  }
  throw new Error(`persistent sessions did not hold ${count} messages within ${QUEUED_WAIT_MS} ms`);
}

function mosquittoSub(port: number, args: string[]): ClientProcess {
  return new ClientProcess(requireProgram('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(port), ...args]);
}

test('QoS 1 readings from mosquitto_pub are read back by a Kafka consumer in order per device, with their MQTT headers', async () => {
  const daemon = await Daemon.start({
    config: {
      mqtt: { routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }] },
      topics: { overrides: { sensors: { partitions: 3 } } },
    },
  });
  const kafka = kafkajsClient(daemon.ports.kafka!, 'mqtt-interop');
  const consumer = kafka.consumer({ groupId: 'mqtt-interop-readers' });
  try {
    const port = daemon.ports.mqtt!;
    // One mosquitto_pub per device, all at once, each sending its readings as lines (-l).
    const readings = [...Array(READINGS_PER_DEVICE).keys()].map(String).join('\n') + '\n';
    const publishers = DEVICES.map((device) => mosquittoPub(port, ['-i', device, '-q', '1', '-t', `sensors/${device}/temp`, '-l'], readings));
    await Promise.all(publishers.map((publisher) => publisher.succeeded()));

    const received = new Map<string, string[]>(DEVICES.map((device) => [device, []]));
    let count = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => { resolveAll = resolve; });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sensors', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        const header = (name: string) => message.headers?.[name]?.toString();
        assert.is(header('mqtt.topic'), `sensors/${key}/temp`);
        assert.is(header('mqtt.qos'), '1');
        assert.is(header('mqtt.clientId'), key);
        received.get(key)!.push(message.value!.toString());
        if (++count === DEVICES.length * READINGS_PER_DEVICE) resolveAll();
      },
    });
    await all;
    for (const device of DEVICES) assert.equal(received.get(device), [...Array(READINGS_PER_DEVICE).keys()].map(String), `readings of ${device}`);
    const metrics = await daemon.metrics();
    assert.is(metricValue(metrics, 'tributary_mqtt_publishes_in_total', { qos: '1' }), DEVICES.length * READINGS_PER_DEVICE);
  } finally {
    await consumer.disconnect().catch(() => {});
    await daemon.cleanup();
  }
});

test('mosquitto_pub with -u/-P is let in; without a user name or with a wrong password it is refused', async () => {
  const passwordHash = await hashPassword('pa55-for-mosquitto');
  const daemon = await Daemon.start({ config: { mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'meter', passwordHash }] } } } });
  try {
    const port = daemon.ports.mqtt!;
    await mosquittoPub(port, ['-i', 'meter-1', '-u', 'meter', '-P', 'pa55-for-mosquitto', '-q', '1', '-t', 'meters/1', '-m', '42']).succeeded();
    const anonymous = mosquittoPub(port, ['-i', 'meter-2', '-q', '1', '-t', 'meters/2', '-m', 'x']);
    const wrong = mosquittoPub(port, ['-i', 'meter-3', '-u', 'meter', '-P', 'guess', '-q', '1', '-t', 'meters/3', '-m', 'y']);
    for (const [client, reason] of [[anonymous, /not authori[sz]ed/i], [wrong, /bad user ?name or password/i]] as const) {
      const { code } = await client.exited;
      assert.is.not(code, 0, 'refused');
      assert.match(client.stderr, reason);
    }
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), ['42'], 'only the authenticated publish was stored');
  } finally {
    await daemon.cleanup();
  }
});

test('mosquitto_pub publishes over TLS (mqtts) with the broker\'s CA, and mosquitto_sub receives over TLS', async () => {
  const certificate = resolve(import.meta.dirname, '../../mirror/fixtures/localhost-cert.pem');
  const key = resolve(import.meta.dirname, '../../mirror/fixtures/localhost-key.pem');
  const daemon = await Daemon.start({ config: { listeners: { mqtts: { enabled: true, host: '127.0.0.1', port: 0, certFile: certificate, keyFile: key } } } });
  try {
    const port = daemon.ports.mqtts!;
    const tls = ['--cafile', certificate];
    await mosquittoPub(port, [...tls, '-i', 'tls-pub', '-q', '1', '-r', '-t', 'secure/status', '-m', 'armed']).succeeded();
    const subscriber = mosquittoSub(port, [...tls, '-i', 'tls-sub', '-q', '1', '-v', '-C', '2', '-t', 'secure/#']);
    // The retained message arrives once the subscription is in place.
    assert.is(await subscriber.nextLine(), 'secure/status armed');
    await mosquittoPub(port, [...tls, '-i', 'tls-pub', '-q', '1', '-t', 'secure/1', '-m', 'over tls']).succeeded();
    assert.is(await subscriber.nextLine(), 'secure/1 over tls');
    await subscriber.succeeded();
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), ['armed', 'over tls']);
  } finally {
    await daemon.cleanup();
  }
});

test('mosquitto_sub receives retained and live messages published by mosquitto_pub', async () => {
  const daemon = await Daemon.start();
  try {
    const port = daemon.ports.mqtt!;
    await mosquittoPub(port, ['-i', 'announcer', '-q', '1', '-r', '-t', 'live/ready', '-m', 'retained']).succeeded();
    const subscriber = mosquittoSub(port, ['-i', 'listener', '-q', '1', '-v', '-C', '3', '-t', 'live/#']);
    // The retained message arrives once the subscription is in place.
    assert.is(await subscriber.nextLine(), 'live/ready retained');
    await mosquittoPub(port, ['-i', 'talker', '-q', '1', '-t', 'live/a', '-m', 'first']).succeeded();
    await mosquittoPub(port, ['-i', 'talker', '-q', '0', '-t', 'live/b', '-m', 'second']).succeeded();
    assert.is(await subscriber.nextLine(), 'live/a first');
    assert.is(await subscriber.nextLine(), 'live/b second');
    await subscriber.succeeded();
  } finally {
    await daemon.cleanup();
  }
});

test('commands a Kafka producer appends reach a mosquitto_sub persistent session that was away', async () => {
  const daemon = await Daemon.start({ config: { mqtt: { reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }] } } });
  const producer = kafkajsClient(daemon.ports.kafka!, 'command-sender').producer();
  try {
    const port = daemon.ports.mqtt!;
    // -c: persistent session; -E: leave as soon as the subscription is acknowledged.
    await mosquittoSub(port, ['-i', 'dev-9', '-c', '-q', '1', '-E', '-t', 'commands/dev-9']).succeeded();
    await producer.connect();
    await producer.send({ topic: 'commands', acks: -1, messages: [{ key: 'dev-9', value: 'open-valve' }, { key: 'dev-8', value: 'not for dev-9' }, { key: 'dev-9', value: 'close-valve' }] });
    // The device comes back once both commands wait in its session: this test is about the
    // offline queue. (Commands published while a session reconnects have their own test in
    // test/edge/mqtt/reverse-router.test.ts.)
    await waitForQueuedMessages(daemon, 2);
    const device = mosquittoSub(port, ['-i', 'dev-9', '-c', '-q', '1', '-v', '-C', '2', '-t', 'commands/dev-9']);
    assert.is(await device.nextLine(), 'commands/dev-9 open-valve');
    assert.is(await device.nextLine(), 'commands/dev-9 close-valve');
    await device.succeeded();
  } finally {
    await producer.disconnect().catch(() => {});
    await daemon.cleanup();
  }
});

test.run();

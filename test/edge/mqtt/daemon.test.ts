// The MQTT front end inside `tributary edge`, started as a user starts it: MQTT clients on
// one side, Kafka clients on the other, metrics over HTTP, and configuration mistakes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';

const CLI = resolve(import.meta.dirname, '../../../bin/tributary.js');

async function connect(port: number, clientId: string, credentials: { username?: string; password?: string } = {}): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0, ...credentials });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

test('publishes are read by Kafka clients; Kafka records reach MQTT subscribers; the counts are in /metrics', async () => {
  const daemon = await Daemon.start({
    config: {
      mqtt: {
        routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }],
        reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }],
      },
    },
  });
  const clients: mqtt.MqttClient[] = [];
  const producer = kafkajsClient(daemon.ports.kafka!, 'daemon-test').producer();
  try {
    const device = await connect(daemon.ports.mqtt!, 'dev-3');
    clients.push(device);
    await device.subscribeAsync('commands/dev-3', { qos: 1 });
    await device.publishAsync('sensors/dev-3/humidity', '41', { qos: 1 });
    await device.publishAsync('sensors/dev-3/humidity', '42', { qos: 1 });

    // Read back over the Kafka protocol: the records, their keys and MQTT headers.
    const stored = await readPartition(daemon.ports.kafka!, 'sensors', 0);
    assert.equal(stored.records.map((record) => [record.key!.toString(), record.value!.toString()]), [['dev-3', '41'], ['dev-3', '42']]);
    assert.equal(stored.records[0]!.headers.map((header) => header.key), ['mqtt.topic', 'mqtt.qos', 'mqtt.retain', 'mqtt.clientId']);

    const command = new Promise<[string, string]>((resolve) => device.once('message', (topic, payload) => resolve([topic, payload.toString()])));
    await producer.connect();
    await producer.send({ topic: 'commands', acks: -1, messages: [{ key: 'dev-3', value: 'calibrate' }] });
    assert.equal(await command, ['commands/dev-3', 'calibrate']);

    const metrics = await daemon.metrics();
    assert.is(metricValue(metrics, 'tributary_mqtt_connected_clients'), 1);
    assert.is(metricValue(metrics, 'tributary_mqtt_publishes_in_total', { qos: '1' }), 2);
    assert.ok((metricValue(metrics, 'tributary_mqtt_append_duration_seconds_count') ?? 0) >= 1);
  } finally {
    await producer.disconnect().catch(() => {});
    for (const client of clients) await client.endAsync(true);
    await daemon.cleanup();
  }
});

test('MQTT over WebSocket is served on its own port', async () => {
  const daemon = await Daemon.start();
  try {
    const client = mqtt.connect(`ws://127.0.0.1:${daemon.ports.mqttWs}`, { clientId: 'browser', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.publishAsync('dashboard/ping', 'hi', { qos: 1 });
    await client.endAsync();
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), ['hi']);
  } finally {
    await daemon.cleanup();
  }
});

/** `tributary config hash-password` with the password on standard input, as a script runs it. */
function hashPasswordWithCli(password: string): Promise<string> {
  return new Promise((resolveHash, rejectHash) => {
    const child = spawn(process.execPath, [CLI, 'config', 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => (code === 0 ? resolveHash(stdout.trim()) : rejectHash(new Error(`exit ${code}: ${stderr}`))));
    child.stdin.end(`${password}\n`);
  });
}

test('a password hashed by `tributary config hash-password` lets a device in; without it the device is refused', async () => {
  const passwordHash = await hashPasswordWithCli('field-unit-secret');
  assert.match(passwordHash, /^scrypt\$16384\$8\$1\$/);
  const daemon = await Daemon.start({ config: { mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'pump-7', passwordHash }] } } } });
  try {
    const device = await connect(daemon.ports.mqtt!, 'pump-7', { username: 'pump-7', password: 'field-unit-secret' });
    await device.endAsync();
    const refusal = await connect(daemon.ports.mqtt!, 'intruder').then(() => undefined, (error: Error & { code?: number }) => error);
    assert.is(refusal?.code, 5, 'CONNACK 5 without a user name');
    assert.is(metricValue(await daemon.metrics(), 'tributary_mqtt_refused_connections_total', { reason: 'anonymous' }), 1);
  } finally {
    await daemon.cleanup();
  }
});

test('a mistaken route stops the daemon at start with the key that is wrong', async () => {
  const failure = await Daemon.start({ config: { mqtt: { routes: [{ filter: 'sensors/#/temp', topic: 'sensors', key: '{1}' }] } } }).then(
    async (daemon) => {
      await daemon.cleanup();
      return undefined;
    },
    (error: Error) => error,
  );
  assert.ok(failure, 'the daemon must not start');
  assert.match(failure!.message, /mqtt\.routes\[0\]\.filter/);
});

test.run();

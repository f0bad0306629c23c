// The MQTT front end with real mqtt.js clients over TCP and WebSocket, on a real log store:
// the durable publish path, routes, live delivery, and state across a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { Harness, closed, header } from './harness.ts';
import { partitionForKey } from '../../../edge/mqtt/index.ts';
import { errnoError } from '../../../edge/storage/index.ts';

function nextMessage(client: MqttClient): Promise<{ topic: string; payload: Buffer; retain: boolean; qos: number }> {
  return new Promise((resolve) => client.once('message', (topic, payload, packet) => resolve({ topic, payload, retain: packet.retain, qos: packet.qos })));
}

test('a QoS 1 publish is in the log, durable, when its PUBACK arrives; out of the box it goes to topic "mqtt" keyed by its MQTT topic', async () => {
  const h = await Harness.start();
  try {
    const client = await h.client({ clientId: 'device-1' });
    await client.publishAsync('home/kitchen/temp', Buffer.from('21.5'), { qos: 1 });
    // The PUBACK has arrived: the record must be below the high watermark (fsynced) now.
    const log = h.store.partition('mqtt', 0);
    assert.is(log.highWatermark, 1n);
    const [record] = await h.records('mqtt');
    assert.is(record!.key!.toString(), 'home/kitchen/temp');
    assert.is(record!.value!.toString(), '21.5');
    assert.is(header(record!, 'mqtt.topic'), 'home/kitchen/temp');
    assert.is(header(record!, 'mqtt.qos'), '1');
    assert.is(header(record!, 'mqtt.retain'), 'false');
    assert.is(header(record!, 'mqtt.clientId'), 'device-1');
    assert.is(await h.metric('tributary_mqtt_publishes_in_total', { qos: '1' }), 1);
  } finally {
    await h.cleanup();
  }
});

test('QoS 0 and QoS 2 publishes are appended too', async () => {
  const h = await Harness.start();
  try {
    const client = await h.client({ clientId: 'device-2' });
    await client.publishAsync('a/zero', 'z', { qos: 0 });
    await client.publishAsync('a/two', 't', { qos: 2, retain: true });
    const records = await h.waitForRecords('mqtt', 2);
    assert.equal(records.map((r) => [r.value!.toString(), header(r, 'mqtt.qos'), header(r, 'mqtt.retain')]).sort(), [['t', '2', 'true'], ['z', '0', 'false']]);
  } finally {
    await h.cleanup();
  }
});

test('routes pick the log topic and key; the partition is Kafka\'s murmur2 of the key; each device stays in order', async () => {
  const h = await Harness.start({ mqtt: { routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }] } });
  try {
    await h.store.createTopic('sensors', { partitions: 3 });
    const devices = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5'];
    const clients = await Promise.all(devices.map((device) => h.client({ clientId: device })));
    const perDevice = 40;
    await Promise.all(clients.map(async (client, index) => {
      const pending: Promise<unknown>[] = [];
      for (let sequence = 0; sequence < perDevice; sequence++) pending.push(client.publishAsync(`sensors/${devices[index]}/temp`, String(sequence), { qos: 1 }));
      await Promise.all(pending);
    }));
    for (const [index, device] of devices.entries()) {
      const partition = partitionForKey(Buffer.from(device), 3);
      const records = (await h.records('sensors', partition)).filter((record) => record.key!.toString() === device);
      assert.equal(records.map((record) => Number(record.value!.toString())), [...Array(perDevice).keys()], `order of ${device}`);
      assert.ok(records.every((record) => header(record, 'mqtt.clientId') === devices[index]));
    }
    // Nothing went to the default route.
    assert.is(h.store.describeTopic('mqtt'), undefined);
  } finally {
    await h.cleanup();
  }
});

test('a failed append sends no PUBACK; the client sends again and then it is acknowledged', async () => {
  let failSyncs = true;
  const h = await Harness.start({ fileFaults: (operation, path) => (failSyncs && operation === 'sync' && /mqtt-0\/.*\.log$/.test(path) ? errnoError('EIO', path) : undefined) });
  try {
    await h.store.createTopic('mqtt');
    const client = await h.client({ clientId: 'retrier', clean: false, reconnectPeriod: 50 });
    let acknowledged = false;
    const published = client.publishAsync('x/y', 'must-arrive', { qos: 1 }).then(() => { acknowledged = true; });
    // The append fails: aedes closes the connection instead of acknowledging.
    await closed(client);
    assert.not.ok(acknowledged);
    assert.is(h.store.partition('mqtt', 0).highWatermark, 0n);
    assert.ok(await h.metric('tributary_mqtt_refused_publishes_total', { reason: 'append-failed' }) >= 1);
    failSyncs = false;
    // mqtt.js reconnects and sends the unacknowledged publish again.
    await published;
    const records = await h.records('mqtt');
    assert.ok(records.length >= 1);
    assert.ok(records.every((record) => record.value!.toString() === 'must-arrive'));
  } finally {
    await h.cleanup();
  }
});

test('"reject" as the default route closes the connection without a PUBACK and logs why', async () => {
  const h = await Harness.start({ mqtt: { defaultRoute: 'reject', routes: [{ filter: 'ok/#', topic: 'ok', key: '{topic}' }] } });
  try {
    const client = await h.client({ clientId: 'stray' });
    let acknowledged = false;
    client.publish('elsewhere/x', 'no', { qos: 1 }, () => { acknowledged = true; });
    await closed(client);
    assert.not.ok(acknowledged);
    assert.is(h.store.describeTopic('mqtt'), undefined);
    assert.ok(h.logLines.some((line) => line.clientId === 'stray' && /no route matches/.test(line.msg)));
    const other = await h.client({ clientId: 'fine' });
    await other.publishAsync('ok/1', 'yes', { qos: 1 });
    assert.is((await h.records('ok')).length, 1);
  } finally {
    await h.cleanup();
  }
});

test('subscribers receive publishes live; retained messages and persistent subscriptions survive a restart', async () => {
  const first = await Harness.start();
  const directory = first.directory;
  let second: Harness | undefined;
  try {
    const subscriber = await first.client({ clientId: 'watcher', clean: false });
    await subscriber.subscribeAsync('alerts/#', { qos: 1 });
    const publisher = await first.client({ clientId: 'source' });
    const arriving = nextMessage(subscriber);
    await publisher.publishAsync('alerts/fire', 'now', { qos: 1 });
    const live = await arriving;
    assert.equal([live.topic, live.payload.toString()], ['alerts/fire', 'now']);
    await publisher.publishAsync('status/door', 'open', { qos: 1, retain: true });
    await first.stop();

    second = await Harness.start({ directory });
    // The persistent session's subscription is still there: a publish reaches it once it reconnects.
    const back = await second.client({ clientId: 'watcher', clean: false });
    const sessionMessage = nextMessage(back);
    const publisher2 = await second.client({ clientId: 'source' });
    await publisher2.publishAsync('alerts/flood', 'later', { qos: 1 });
    assert.is((await sessionMessage).payload.toString(), 'later');
    // The retained message is served to a new subscription.
    const reader = await second.client({ clientId: 'reader' });
    const retained = nextMessage(reader);
    await reader.subscribeAsync('status/+', { qos: 1 });
    const message = await retained;
    assert.equal([message.topic, message.payload.toString(), message.retain], ['status/door', 'open', true]);
    // And the log holds every publish from both runs.
    assert.is((await second.records('mqtt')).length, 3);
  } finally {
    if (second !== undefined) await second.stop();
    else await first.stop().catch(() => {});
    const { rmSync } = await import('node:fs');
    rmSync(directory, { recursive: true, force: true });
  }
});

test('MQTT over WebSocket reaches the same broker and log, in both versions', async () => {
  const h = await Harness.start({ webSocket: true });
  try {
    const wsClient = await h.client({ clientId: 'browser' }, `ws://127.0.0.1:${h.frontEnd.ports.mqttWs}`);
    const tcpClient = await h.client({ clientId: 'tcp' });
    await tcpClient.subscribeAsync('ws/#', { qos: 1 });
    const arriving = nextMessage(tcpClient);
    await wsClient.publishAsync('ws/hello', 'over websocket', { qos: 1 });
    assert.is((await arriving).payload.toString(), 'over websocket');
    const ws5 = await h.client({ clientId: 'browser-5', protocolVersion: 5 }, `ws://127.0.0.1:${h.frontEnd.ports.mqttWs}`);
    const arriving5 = nextMessage(tcpClient);
    await ws5.publishAsync('ws/hello5', 'mqtt 5 over websocket', { qos: 1 });
    assert.is((await arriving5).payload.toString(), 'mqtt 5 over websocket');
    const [record] = await h.records('mqtt');
    assert.is(header(record!, 'mqtt.clientId'), 'browser');
  } finally {
    await h.cleanup();
  }
});

test.run();

// MQTT 3.1.1 conformance with real clients: the ten scenarios of the Eclipse paho
// interoperability client test (client_test.py), written again with mqtt.js and a raw
// socket client, and more MUSTs besides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { Harness, closed } from './harness.ts';
import { RawClient, frame, mqttString, uint16 } from './raw-client.ts';

interface Message { topic: string; payload: string; qos: number; retain: boolean }

/** Messages in arrival order; `next()` waits for the next one. */
function inbox(client: MqttClient): { messages: Message[]; next(): Promise<Message> } {
  const messages: Message[] = [];
  let read = 0;
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    for (const waiter of waiters.splice(0)) waiter();
  });
  return {
    messages,
    async next() {
      while (read >= messages.length) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages[read++]!;
    },
  };
}

let h: Harness;

test.before(async () => {
  h = await Harness.start({ mqtt: { denySubscribe: ['test/nosubscribe'] } });
});

test.after(async () => {
  await h.cleanup();
});

test('basic: QoS 0, 1 and 2 publishes reach a QoS 2 subscription; a second CONNECT and a wrong protocol name close the connection', async () => {
  const client = await h.client({ clientId: 'basic' });
  const box = inbox(client);
  await client.subscribeAsync('TopicA', { qos: 2 });
  await client.publishAsync('TopicA', 'qos 0', { qos: 0 });
  await client.publishAsync('TopicA', 'qos 1', { qos: 1 });
  await client.publishAsync('TopicA', 'qos 2', { qos: 2 });
  const received = [await box.next(), await box.next(), await box.next()];
  assert.equal(received.map((m) => [m.payload, m.qos]), [['qos 0', 0], ['qos 1', 1], ['qos 2', 2]]);

  // [MQTT-3.1.0-2] A second CONNECT is a protocol violation.
  const raw = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await raw.handshake({ clientId: 'twice' }), [false, 0]);
  raw.send(frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 2]), uint16(0), mqttString('twice')])));
  assert.is(await raw.next(), null);
  // [MQTT-3.1.2-1] A protocol name other than MQTT.
  const wrong = await RawClient.connect(h.frontEnd.ports.mqtt);
  wrong.send(frame(1, 0, Buffer.concat([mqttString('hj'), Buffer.from([4, 2]), uint16(0), mqttString('hj')])));
  assert.is(await wrong.next(), null);
});

test('retained messages: stored per topic at every QoS, served on subscribe, removed by an empty retained publish', async () => {
  const client = await h.client({ clientId: 'retainer' });
  await client.publishAsync('fromb/qos0', 'qos 0', { qos: 0, retain: true });
  await client.publishAsync('fromb/qos1', 'qos 1', { qos: 1, retain: true });
  await client.publishAsync('fromb/qos2', 'qos 2', { qos: 2, retain: true });
  const reader = await h.client({ clientId: 'retained-reader' });
  const box = inbox(reader);
  await reader.subscribeAsync('fromb/+', { qos: 2 });
  const retained = [await box.next(), await box.next(), await box.next()];
  assert.equal(retained.map((m) => [m.topic, m.payload, m.retain]).sort(), [['fromb/qos0', 'qos 0', true], ['fromb/qos1', 'qos 1', true], ['fromb/qos2', 'qos 2', true]]);
  // [MQTT-3.3.1-10] An empty retained payload removes the retained message.
  await client.publishAsync('fromb/qos0', '', { qos: 0, retain: true });
  await client.publishAsync('fromb/qos1', '', { qos: 1, retain: true });
  await client.publishAsync('fromb/qos2', '', { qos: 2, retain: true });
  // A sentinel stored last: retained messages are served in the order they were stored,
  // so when it arrives any survivor would have arrived before it.
  await client.publishAsync('fromb/sentinel', 'last', { qos: 1, retain: true });
  const later = await h.client({ clientId: 'retained-reader-2' });
  const laterBox = inbox(later);
  await later.subscribeAsync('fromb/+', { qos: 2 });
  assert.equal((await laterBox.next()).topic, 'fromb/sentinel');
  await client.publishAsync('fromb/sentinel', '', { qos: 1, retain: true });
});

test('zero-length client id: refused with CONNACK 0x02 under clean session 0 [MQTT-3.1.3-8], accepted under clean session 1', async () => {
  const raw = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await raw.handshake({ clientId: '', clean: false }), [false, 2]);
  assert.is(await raw.next(), null);
  const accepted = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await accepted.handshake({ clientId: '', clean: true }), [false, 0]);
  await accepted.close();
  assert.ok(h.logLines.some((line) => line.clientId === '' && /empty client identifier requires clean session/.test(line.msg)));
});

test('offline message queueing: a persistent session gets its QoS 1 and 2 messages (not QoS 0) on return, with session present', async () => {
  const away = await h.client({ clientId: 'offline-a', clean: false });
  // Topics of its own: other tests' publishes must not land in this session.
  await away.subscribeAsync('offline/+', { qos: 2 });
  await away.endAsync();
  const publisher = await h.client({ clientId: 'offline-b' });
  await publisher.publishAsync('offline/B', 'qos 0', { qos: 0 });
  await publisher.publishAsync('offline/C', 'qos 1', { qos: 1 });
  await publisher.publishAsync('offline/D', 'qos 2', { qos: 2 });
  const back = mqtt.connect(h.url, { clientId: 'offline-a', clean: false, reconnectPeriod: 0 });
  const box = inbox(back);
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', (packet) => resolve(packet)));
  assert.ok(connack.sessionPresent); // [MQTT-3.2.2-2]
  const queued = [await box.next(), await box.next()];
  assert.equal(queued.map((m) => [m.payload, m.qos]), [['qos 1', 1], ['qos 2', 2]]);
  // Nothing else was queued: the next message is a live one.
  await publisher.publishAsync('offline/Z', 'live', { qos: 1 });
  assert.is((await box.next()).payload, 'live');
  await back.unsubscribeAsync('offline/+');
  await back.endAsync();
});

test('overlapping subscriptions: one delivery at the highest QoS of the matching subscriptions [MQTT-3.3.5-1]', async () => {
  const client = await h.client({ clientId: 'overlap' });
  const box = inbox(client);
  await client.subscribeAsync({ 'TopicA/#': { qos: 2 }, 'TopicA/+': { qos: 1 } });
  await client.publishAsync('TopicA/C', 'overlapping', { qos: 2 });
  const first = await box.next();
  assert.is(first.qos, 2);
  await client.publishAsync('TopicA/D', 'after', { qos: 0 });
  // One message per publish: the next one is the later publish.
  assert.is((await box.next()).payload, 'after');
});

test('keep alive: a silent client is disconnected after 1.5 keep-alive periods and its will is published [MQTT-3.1.2-24] [MQTT-3.1.2-8]', async () => {
  const watcher = await h.client({ clientId: 'will-watcher' });
  const box = inbox(watcher);
  await watcher.subscribeAsync('wills/#', { qos: 2 });
  const silent = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await silent.handshake({ clientId: 'silent', keepaliveSeconds: 1, will: { topic: 'wills/silent', payload: 'keepalive expiry' } }), [false, 0]);
  // No PINGREQ: the broker closes the connection.
  assert.is(await silent.next(), null);
  const will = await box.next();
  assert.equal([will.topic, will.payload], ['wills/silent', 'keepalive expiry']);
});

test('redelivery on reconnect: unacknowledged QoS 1 and 2 messages are sent again with DUP set', async () => {
  const port = h.frontEnd.ports.mqtt;
  const subscriber = await RawClient.connect(port);
  assert.equal(await subscriber.handshake({ clientId: 'redeliver', clean: false }), [false, 0]);
  assert.equal(await subscriber.subscribe([['redeliver/+', 2]]), [2]);
  const publisher = await h.client({ clientId: 'redeliver-source' });
  await publisher.publishAsync('redeliver/one', 'q1', { qos: 1 });
  await publisher.publishAsync('redeliver/two', 'q2', { qos: 2 });
  const firstTime = [await subscriber.nextPublish(), await subscriber.nextPublish()];
  assert.equal(firstTime.map((p) => [p!.topic, p!.qos, p!.dup]), [['redeliver/one', 1, false], ['redeliver/two', 2, false]]);
  // Withhold PUBACK and PUBREC, and go away.
  await subscriber.close();
  const again = await RawClient.connect(port);
  assert.equal(await again.handshake({ clientId: 'redeliver', clean: false }), [true, 0]);
  const redelivered = [await again.nextPublish(), await again.nextPublish()];
  // [MQTT-4.4.0-1] Resent with their original packet identifiers and DUP set [MQTT-3.3.1-1].
  assert.equal(redelivered.map((p) => [p!.topic, p!.payload.toString(), p!.qos, p!.packetId]), firstTime.map((p) => [p!.topic, p!.payload.toString(), p!.qos, p!.packetId]));
  await again.close();
  const cleanUp = await RawClient.connect(port);
  await cleanUp.handshake({ clientId: 'redeliver', clean: true });
  await cleanUp.close();
});

test('subscribe failure: a filter in mqtt.denySubscribe is refused with 0x80, the others in the same SUBSCRIBE granted', async () => {
  const raw = await RawClient.connect(h.frontEnd.ports.mqtt);
  await raw.handshake({ clientId: 'denied' });
  assert.equal(await raw.subscribe([['test/nosubscribe', 2], ['test/allowed', 1]]), [0x80, 1]);
  await raw.close();
  assert.ok(await h.metric('tributary_mqtt_refused_subscriptions_total') >= 1);
});

test('$ topics: filters starting with a wildcard do not match topics starting with $ [MQTT-4.7.2-1]', async () => {
  const client = await h.client({ clientId: 'dollar' });
  const box = inbox(client);
  await client.subscribeAsync({ '+/+': { qos: 2 }, '#': { qos: 2 } });
  const publisher = await h.client({ clientId: 'dollar-source' });
  await publisher.publishAsync('$TopicA/B', 'hidden', { qos: 1 });
  await publisher.publishAsync('Topic/Visible', 'shown', { qos: 1 });
  // Only these two topics matter here ($SYS and late messages of other tests also match #).
  let message = await box.next();
  while (message.topic !== '$TopicA/B' && message.topic !== 'Topic/Visible') message = await box.next();
  assert.equal([message.topic, message.payload], ['Topic/Visible', 'shown']);
  await client.endAsync();
});

test('unsubscribe: no more messages for the filter removed, the others still flow', async () => {
  const client = await h.client({ clientId: 'unsubscriber' });
  const box = inbox(client);
  await client.subscribeAsync({ 'unsub/a': { qos: 2 }, 'unsub/b': { qos: 2 }, 'unsub/c': { qos: 2 } });
  await client.unsubscribeAsync('unsub/a');
  const publisher = await h.client({ clientId: 'unsub-source' });
  for (const topic of ['unsub/a', 'unsub/b', 'unsub/c']) await publisher.publishAsync(topic, topic, { qos: 1 });
  assert.equal([(await box.next()).topic, (await box.next()).topic], ['unsub/b', 'unsub/c']);
});

test('a protocol level other than 3, 4 and 5 is answered with CONNACK 0x01 (unacceptable protocol version) [MQTT-3.1.2-2]; level 5 is accepted', async () => {
  const raw = await RawClient.connect(h.frontEnd.ports.mqtt);
  raw.send(frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([6, 2]), uint16(0), Buffer.from([0]), mqttString('v6')])));
  const connack = await raw.next();
  assert.is(connack?.type, 2);
  assert.is(connack?.body[1], 1);
  assert.is(await raw.next(), null);
  const v5 = await RawClient.connect(h.frontEnd.ports.mqtt);
  v5.send(frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([5, 2]), uint16(0), Buffer.from([0]), mqttString('v5')])));
  const accepted = await v5.next();
  assert.is(accepted?.type, 2);
  assert.is(accepted?.body[1], 0, 'MQTT 5 CONNACK reason code Success');
  await v5.close();
});

test('bad input closes only the offending connection, logs why, and counts it', async () => {
  const bystander = await h.client({ clientId: 'bystander' });
  const box = inbox(bystander);
  await bystander.subscribeAsync('bystander/#', { qos: 1 });
  const port = h.frontEnd.ports.mqtt;
  const cases: Array<{ bytes: Buffer[]; kind: string }> = [
    // Garbage that is not MQTT at all.
    { bytes: [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], kind: 'not-connected' },
    // A packet type only servers send, after a valid CONNECT.
    { bytes: [frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 2]), uint16(0), mqttString('bad-1')])), frame(13, 0, Buffer.alloc(0))], kind: 'server-packet' },
    // A topic name with a wildcard [MQTT-3.3.2-2].
    { bytes: [frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 2]), uint16(0), mqttString('bad-2')])), frame(3, 2, Buffer.concat([mqttString('a/+'), uint16(1), Buffer.from('x')]))], kind: 'invalid-topic' },
    // Ill-formed UTF-8 in a topic filter [MQTT-1.5.3-1].
    { bytes: [frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 2]), uint16(0), mqttString('bad-3')])), frame(8, 2, Buffer.concat([uint16(1), mqttString(Buffer.from([0x61, 0xff])), Buffer.from([0])]))], kind: 'invalid-utf8' },
    // More topic levels than mqtt.limits.maxTopicLevels (16 by default).
    { bytes: [frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 2]), uint16(0), mqttString('bad-4')])), frame(3, 0, Buffer.concat([mqttString(Array(20).fill('l').join('/')), Buffer.from('x')]))], kind: 'too-many-levels' },
  ];
  for (const { bytes, kind } of cases) {
    const before = await h.metric('tributary_mqtt_protocol_violations_total', { kind });
    const raw = await RawClient.connect(port);
    for (const chunk of bytes) raw.send(chunk);
    // The connection ends (a CONNACK may come first for the valid CONNECT).
    while ((await raw.next()) !== null);
    assert.is(await h.metric('tributary_mqtt_protocol_violations_total', { kind }), before + 1, kind);
  }
  assert.ok(h.logLines.some((line) => line.kind === 'invalid-utf8' && /not well-formed UTF-8/.test(line.msg)));
  // The bystander was not affected.
  const publisher = await h.client({ clientId: 'bystander-source' });
  await publisher.publishAsync('bystander/ok', 'still here', { qos: 1 });
  assert.is((await box.next()).payload, 'still here');
});

test('a packet over mqtt.limits.maxPacketBytes disconnects its sender before it is read', async () => {
  const limited = await Harness.start({ mqtt: { limits: { maxPacketBytes: 1024 } } });
  try {
    const client = await limited.client({ clientId: 'big' });
    const disconnected = closed(client);
    client.publish('big/one', Buffer.alloc(4096, 1), { qos: 1 });
    await disconnected;
    assert.is(await limited.metric('tributary_mqtt_protocol_violations_total', { kind: 'packet-too-large' }), 1);
    assert.ok(limited.logLines.some((line) => /exceeds the limit of 1024 bytes \(mqtt.limits.maxPacketBytes\)/.test(line.msg)));
    assert.is(limited.store.describeTopic('mqtt'), undefined);
    const small = await limited.client({ clientId: 'small' });
    await small.publishAsync('small/one', Buffer.alloc(512, 2), { qos: 1 });
    assert.is((await limited.records('mqtt')).length, 1);
  } finally {
    await limited.cleanup();
  }
});

test('client identifiers longer than mqtt.limits.maxClientIdBytes get CONNACK 0x02', async () => {
  const raw = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await raw.handshake({ clientId: 'x'.repeat(129) }), [false, 2]);
  assert.is(await raw.next(), null);
  const fits = await RawClient.connect(h.frontEnd.ports.mqtt);
  assert.equal(await fits.handshake({ clientId: 'y'.repeat(128) }), [false, 0]);
  await fits.close();
});

test('connections past mqtt.limits.maxConnections get CONNACK 0x03; a freed slot is usable again', async () => {
  const limited = await Harness.start({ mqtt: { limits: { maxConnections: 2 } } });
  try {
    const port = limited.frontEnd.ports.mqtt;
    const first = await RawClient.connect(port);
    assert.equal(await first.handshake({ clientId: 'c1' }), [false, 0]);
    const second = await RawClient.connect(port);
    assert.equal(await second.handshake({ clientId: 'c2' }), [false, 0]);
    const third = await RawClient.connect(port);
    assert.equal(await third.handshake({ clientId: 'c3' }), [false, 3]);
    assert.is(await third.next(), null);
    await first.close();
    // The guard notices the closed socket on its own; wait for the count to drop.
    while (limited.frontEnd.broker.connectedCount > 1) await new Promise((resolve) => setImmediate(resolve));
    const fourth = await RawClient.connect(port);
    assert.equal(await fourth.handshake({ clientId: 'c4' }), [false, 0]);
    await fourth.close();
    await second.close();
    assert.is(await limited.metric('tributary_mqtt_refused_connections_total', { reason: 'max-connections' }), 1);
  } finally {
    await limited.cleanup();
  }
});

test('a persistent session queue holds mqtt.limits.maxQueuedPerClient messages; the overflow is counted and logged, and stays in the log', async () => {
  const limited = await Harness.start({ mqtt: { limits: { maxQueuedPerClient: 3 } } });
  try {
    const away = await limited.client({ clientId: 'slowpoke', clean: false });
    await away.subscribeAsync('queue/#', { qos: 1 });
    await away.endAsync();
    const publisher = await limited.client({ clientId: 'queue-source' });
    for (let index = 0; index < 5; index++) await publisher.publishAsync('queue/x', String(index), { qos: 1 });
    assert.is(await limited.metric('tributary_mqtt_queue_overflows_total'), 2);
    assert.ok(limited.logLines.some((line) => line.clientId === 'slowpoke' && /queue full/.test(line.msg)));
    assert.is((await limited.records('mqtt')).length, 5);
    const back = mqtt.connect(limited.url, { clientId: 'slowpoke', clean: false, reconnectPeriod: 0 });
    const box = inbox(back);
    assert.equal([(await box.next()).payload, (await box.next()).payload, (await box.next()).payload], ['0', '1', '2']);
    await publisher.publishAsync('queue/x', 'live', { qos: 1 });
    assert.is((await box.next()).payload, 'live');
    await back.endAsync();
  } finally {
    await limited.cleanup();
  }
});

test('a client pipelining more QoS 1 publishes than mqtt.limits.maxInflightPerClient has them all acknowledged, in order', async () => {
  const limited = await Harness.start({ mqtt: { limits: { maxInflightPerClient: 4 } } });
  try {
    const client = await limited.client({ clientId: 'pipeliner' });
    await Promise.all(Array.from({ length: 300 }, (_, index) => client.publishAsync('pipe/x', String(index), { qos: 1 })));
    assert.equal((await limited.records('mqtt')).map((record) => Number(record.value!.toString())), [...Array(300).keys()]);
  } finally {
    await limited.cleanup();
  }
});

test.run();

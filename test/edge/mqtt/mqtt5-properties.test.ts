// MQTT 5 properties end to end with MQTT.js (protocolVersion 5) and byte-level clients:
// what CONNACK announces, the properties forwarded to subscribers, the record headers
// they become in the log, Message Expiry, and refusals answered with reason codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { Harness, header } from './harness.ts';
import { V5Client } from './v5-client.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';

interface Delivery { topic: string; payload: string; qos: number; retain: boolean; properties: Record<string, unknown> | undefined }

function inbox(client: MqttClient): { next(): Promise<Delivery>; count(): number } {
  const messages: Delivery[] = [];
  let read = 0;
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined });
    for (const waiter of waiters.splice(0)) waiter();
  });
  return {
    async next() {
      while (read >= messages.length) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages[read++]!;
    },
    count: () => messages.length,
  };
}

test('CONNACK announces the limits (Receive Maximum from maxInflightPerClient, Maximum Packet Size, Topic Alias Maximum), an assigned client id, Server Keep Alive and Response Information', async () => {
  const h = await Harness.start({ mqtt: { limits: { maxInflightPerClient: 20, maxKeepAliveSeconds: 60, maxTopicAliases: 5, maxSessionExpirySeconds: 3600 } } });
  try {
    const { client, connack } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: '', keepalive: 120, properties: { requestResponseInformation: true, sessionExpiryInterval: 86_400 } });
    assert.is(connack.reasonCode, 0);
    const properties = connack.properties!;
    assert.is(properties.receiveMaximum, 20);
    assert.is(properties.maximumPacketSize, 256 * 1024);
    assert.is(properties.topicAliasMaximum, 5);
    assert.is(properties.serverKeepAlive, 60);
    assert.is(properties.sessionExpiryInterval, 3600, 'capped by mqtt.limits.maxSessionExpirySeconds');
    assert.match(String(properties.assignedClientIdentifier), /^auto-/);
    assert.is(properties.responseInformation, `responses/${properties.assignedClientIdentifier}`);
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('Payload Format Indicator, Content Type, Response Topic, Correlation Data and User Properties reach MQTT 5 subscribers and become record headers in order; a 3.1.1 subscriber gets the payload', async () => {
  const h = await Harness.start();
  try {
    const v5 = await h.client({ clientId: 'v5-sub', protocolVersion: 5 });
    const v5Box = inbox(v5);
    await v5.subscribeAsync('props/#', { qos: 1 });
    const v3 = await h.client({ clientId: 'v3-sub' });
    const v3Box = inbox(v3);
    await v3.subscribeAsync('props/#', { qos: 1 });
    const publisher = await h.client({ clientId: 'v5-pub', protocolVersion: 5 });
    await publisher.publishAsync('props/a', '{"t":21}', {
      qos: 1,
      properties: { payloadFormatIndicator: true, contentType: 'application/json', responseTopic: 'replies/v5-pub', correlationData: Buffer.from([0xca, 0xfe]), userProperties: { site: 'north', unit: 'C' } },
    });
    const got = await v5Box.next();
    assert.is(got.payload, '{"t":21}');
    const properties = got.properties!;
    assert.equal([properties.payloadFormatIndicator, properties.contentType, properties.responseTopic], [true, 'application/json', 'replies/v5-pub']);
    assert.ok(Buffer.from([0xca, 0xfe]).equals(properties.correlationData as Buffer), 'correlation data');
    assert.equal({ ...(properties.userProperties as object) }, { site: 'north', unit: 'C' });
    const plain = await v3Box.next();
    assert.equal([plain.topic, plain.payload, plain.properties], ['props/a', '{"t":21}', undefined]);
    const [record] = await h.records('mqtt');
    assert.equal(record!.headers.map((entry) => entry.key), ['mqtt.topic', 'mqtt.qos', 'mqtt.retain', 'mqtt.clientId', 'mqtt.payloadFormat', 'mqtt.contentType', 'mqtt.responseTopic', 'mqtt.correlationData', 'site', 'unit']);
    assert.is(header(record!, 'mqtt.payloadFormat'), '1');
    assert.is(header(record!, 'mqtt.contentType'), 'application/json');
    assert.is(header(record!, 'mqtt.responseTopic'), 'replies/v5-pub');
    assert.equal(record!.headers.find((entry) => entry.key === 'mqtt.correlationData')!.value, Buffer.from([0xca, 0xfe]));
    assert.is(header(record!, 'site'), 'north');
  } finally {
    await h.cleanup();
  }
});

test('User Properties keep their order, repeats included, from PUBLISH to subscriber and record [MQTT-3.3.2-18]', async () => {
  const h = await Harness.start();
  try {
    const { client: subscriber } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'order-sub' });
    subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'order/x', qos: 0 }] });
    assert.is((await subscriber.nextOf('suback'))!.granted[0], 0);
    const { client: publisher } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'order-pub' });
    // Properties: user property (b,1), (a,2), (b,3) — an order a name-keyed object cannot keep.
    const pair = (name: string, value: string) => Buffer.concat([Buffer.from([0x26, 0, name.length]), Buffer.from(name), Buffer.from([0, value.length]), Buffer.from(value)]);
    const properties = Buffer.concat([pair('b', '1'), pair('a', '2'), pair('b', '3')]);
    const topic = Buffer.from('order/x');
    const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([properties.length]), properties, Buffer.from('p')]);
    publisher.sendBytes(Buffer.concat([Buffer.from([0x30, body.length]), body]));
    const delivered = await subscriber.nextReceived();
    assert.is(delivered!.packet.cmd, 'publish');
    // The delivered PUBLISH carries the same property bytes, in the same order.
    assert.ok(delivered!.bytes.includes(properties), 'user properties in order in the PUBLISH sent');
    const [record] = await h.waitForRecords('mqtt', 1);
    assert.equal(record!.headers.slice(4).map((entry) => [entry.key, entry.value!.toString()]), [['b', '1'], ['a', '2'], ['b', '3']]);
    await Promise.all([subscriber.close(), publisher.close()]);
  } finally {
    await h.cleanup();
  }
});

test('Message Expiry: an expired message is not delivered from a session queue or as a retained message; the remaining interval is forwarded; the interval is a record header', async () => {
  const h = await Harness.start();
  try {
    const away = await h.client({ clientId: 'expiry-sub', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    await away.subscribeAsync('expiry/#', { qos: 1 });
    await away.endAsync();
    const publisher = await h.client({ clientId: 'expiry-pub', protocolVersion: 5 });
    await publisher.publishAsync('expiry/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await publisher.publishAsync('expiry/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await publisher.publishAsync('expiry/retained', 'old', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
    // Let the short interval run out (the condition under test is time itself).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    let box!: ReturnType<typeof inbox>;
    await h.client({ clientId: 'expiry-sub', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } }, h.url, (client) => { box = inbox(client); });
    const first = await box.next();
    assert.equal([first.topic, first.payload], ['expiry/long', 'kept']);
    const remaining = Number(first.properties!.messageExpiryInterval);
    assert.ok(remaining > 0 && remaining < 100, `remaining interval ${remaining} forwarded`);
    const reader = await h.client({ clientId: 'expiry-reader', protocolVersion: 5 });
    const readerBox = inbox(reader);
    await reader.subscribeAsync('expiry/+', { qos: 1 });
    await publisher.publishAsync('expiry/marker', 'after', { qos: 1 });
    // The marker is live; had the expired retained message been sent, it would have come first.
    assert.is((await readerBox.next()).payload, 'after');
    // The session's next message is the live marker too: the expired one was never sent.
    assert.is((await box.next()).payload, 'after', 'the expired queued message was not delivered');
    const records = await h.records('mqtt');
    assert.equal(records.map((record) => header(record, 'mqtt.messageExpiryInterval')).slice(0, 3), ['1', '100', '1']);
    assert.ok(await h.metric('tributary_mqtt_dropped_deliveries_total', { reason: 'expired' }) >= 1);
  } finally {
    await h.cleanup();
  }
});

test('refused publishes get reason codes and the connection stays: 0x87 outside permissions, 0x90 no route, 0x97 too large for the log topic, 0x99 payload not UTF-8', async () => {
  const passwordHash = await hashPassword('secret');
  const h = await Harness.start({ mqtt: {
    defaultRoute: 'reject',
    routes: [{ filter: 'ok/#', topic: 'ok', key: '{topic}' }, { filter: 'small/#', topic: 'small', key: '{topic}' }],
    authentication: { allowAnonymous: true, users: [{ username: 'meter', passwordHash, publish: ['ok/#', 'elsewhere/#', 'small/#'] }] },
  } });
  try {
    await h.store.createTopic('small', { maxMessageBytes: 200 });
    const { client } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'meter-1', username: 'meter', password: Buffer.from('secret') });
    const cases: Array<[string, Buffer, number, Record<string, unknown>?]> = [
      ['forbidden/x', Buffer.from('a'), 0x87],
      ['elsewhere/x', Buffer.from('b'), 0x90],
      ['small/x', Buffer.alloc(500, 0x61), 0x97],
      ['ok/x', Buffer.from([0xff, 0xfe]), 0x99, { payloadFormatIndicator: true }],
      ['ok/x', Buffer.from('fine'), 0x00],
    ];
    for (const [index, [topic, payload, expected, properties]] of cases.entries()) {
      client.send({ cmd: 'publish', topic, payload, qos: 1, messageId: index + 1, retain: false, dup: false, ...(properties ? { properties } : {}) } as never);
      const puback = await client.nextOf('puback');
      assert.is(puback?.messageId, index + 1);
      assert.is(puback?.reasonCode ?? 0, expected, `${topic}: reason code`);
      if (expected !== 0) assert.ok(typeof puback?.properties?.reasonString === 'string', 'a reason string says why');
    }
    assert.equal((await h.records('ok')).map((record) => record.value!.toString()), ['fine']);
    assert.is(await h.metric('tributary_mqtt_refused_publishes_total', { reason: 'not-authorized' }), 1);
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('MQTT 5 authentication: wrong password CONNACK 0x86, anonymous refused 0x87, an authentication method 0x8C, a subscription outside permissions SUBACK 0x87', async () => {
  const passwordHash = await hashPassword('right');
  const h = await Harness.start({ mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'pump', passwordHash, subscribe: ['commands/{username}'] }] } } });
  try {
    const port = h.frontEnd.ports.mqtt;
    assert.is((await V5Client.open(port, { clientId: 'x1', username: 'pump', password: Buffer.from('wrong') })).connack.reasonCode, 0x86);
    assert.is((await V5Client.open(port, { clientId: 'x2' })).connack.reasonCode, 0x87);
    assert.is((await V5Client.open(port, { clientId: 'x3', username: 'pump', password: Buffer.from('right'), properties: { authenticationMethod: 'SCRAM-SHA-256' } })).connack.reasonCode, 0x8c);
    const { client, connack } = await V5Client.open(port, { clientId: 'x4', username: 'pump', password: Buffer.from('right') });
    assert.is(connack.reasonCode, 0);
    client.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'commands/pump', qos: 1 }, { topic: 'commands/+', qos: 1 }] });
    assert.equal((await client.nextOf('suback'))!.granted, [1, 0x87]);
    await client.close();
    assert.is(await h.metric('tributary_mqtt_refused_connections_total', { reason: 'bad-credentials' }), 1);
  } finally {
    await h.cleanup();
  }
});

test.run();

// MQTT 5 flow control at the byte level: the client's Receive Maximum and Maximum Packet
// Size are honoured in what the broker sends; the broker's own are enforced (0x93, 0x95);
// topic aliases in both directions; a message sent again keeps its packet identifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from './harness.ts';
import { V5Client } from './v5-client.ts';
import { RawClient } from './raw-client.ts';

test('no more than the client\'s Receive Maximum of QoS 1 messages are unacknowledged; each PUBACK lets the next one go', async () => {
  const h = await Harness.start();
  try {
    const port = h.frontEnd.ports.mqtt;
    const { client } = await V5Client.open(port, { clientId: 'slow', properties: { receiveMaximum: 2 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flow/data', qos: 1 }] });
    await client.nextOf('suback');
    const publisher = await h.client({ clientId: 'fast', protocolVersion: 5 });
    for (let index = 0; index < 5; index++) await publisher.publishAsync('flow/data', String(index), { qos: 1 });
    const first = await client.nextOf('publish');
    const second = await client.nextOf('publish');
    assert.equal([first!.payload.toString(), second!.payload.toString()], ['0', '1']);
    // A probe through another subscriber: once it arrives, a third message would have too.
    const probe = await h.client({ clientId: 'probe', protocolVersion: 5 });
    const probed = new Promise((resolve) => probe.once('message', resolve));
    await probe.subscribeAsync('flow/probe', { qos: 0 });
    await publisher.publishAsync('flow/probe', 'p', { qos: 0 });
    await probed;
    assert.is(client.unread, 0, 'a third QoS 1 message waits for a PUBACK');
    client.send({ cmd: 'puback', messageId: first!.messageId! });
    assert.is((await client.nextOf('publish'))!.payload.toString(), '2');
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('a message larger than the client\'s Maximum Packet Size is not sent to it [MQTT-3.1.2-25]; smaller ones are', async () => {
  const h = await Harness.start();
  try {
    const { client } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'tiny', properties: { maximumPacketSize: 64 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'size/#', qos: 1 }] });
    await client.nextOf('suback');
    const publisher = await h.client({ clientId: 'sizer', protocolVersion: 5 });
    await publisher.publishAsync('size/a', 'x'.repeat(100), { qos: 1 });
    await publisher.publishAsync('size/b', 'small', { qos: 1 });
    const received = await client.nextReceived();
    assert.equal([received!.packet.cmd, (received!.packet as { payload: Buffer }).payload.toString()], ['publish', 'small']);
    assert.ok(received!.bytes.length <= 64);
    assert.is(await h.metric('tributary_mqtt_dropped_deliveries_total', { reason: 'too-large' }), 1);
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('the broker\'s own limits: more QoS 2 publishes than its Receive Maximum get DISCONNECT 0x93, a packet over its Maximum Packet Size 0x95', async () => {
  const h = await Harness.start({ mqtt: { limits: { maxInflightPerClient: 2, maxPacketBytes: 1024 } } });
  try {
    const port = h.frontEnd.ports.mqtt;
    const { client, connack } = await V5Client.open(port, { clientId: 'greedy' });
    assert.is(connack.properties?.receiveMaximum, 2);
    // QoS 2 without PUBREL: each holds a slot until released.
    for (let id = 1; id <= 3; id++) client.send({ cmd: 'publish', topic: 'q2/x', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false });
    assert.is((await client.nextOf('disconnect'))?.reasonCode, 0x93);
    const big = await V5Client.open(port, { clientId: 'big' });
    big.client.send({ cmd: 'publish', topic: 'big/x', payload: Buffer.alloc(2000), qos: 0, retain: false, dup: false });
    assert.is((await big.client.nextOf('disconnect'))?.reasonCode, 0x95);
  } finally {
    await h.cleanup();
  }
});

test('inbound topic aliases: set with a topic, then used alone; 0 or above the maximum is DISCONNECT 0x94; an unknown alias without a topic 0x82', async () => {
  const h = await Harness.start({ mqtt: { limits: { maxTopicAliases: 4 } } });
  try {
    const port = h.frontEnd.ports.mqtt;
    const { client } = await V5Client.open(port, { clientId: 'aliaser' });
    client.send({ cmd: 'publish', topic: 'alias/long/topic/name', payload: Buffer.from('one'), qos: 1, messageId: 1, retain: false, dup: false, properties: { topicAlias: 3 } });
    client.send({ cmd: 'publish', topic: '', payload: Buffer.from('two'), qos: 1, messageId: 2, retain: false, dup: false, properties: { topicAlias: 3 } });
    await client.nextOf('puback');
    await client.nextOf('puback');
    const records = await h.waitForRecords('mqtt', 2);
    assert.equal(records.map((record) => [record.key!.toString(), record.value!.toString()]), [['alias/long/topic/name', 'one'], ['alias/long/topic/name', 'two']]);
    for (const [alias, topic, code] of [[0, 'a/b', 0x94], [5, 'a/b', 0x94], [2, '', 0x82]] as const) {
      const { client: bad } = await V5Client.open(port, { clientId: `bad-alias-${alias}` });
      bad.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } });
      assert.is((await bad.nextOf('disconnect'))?.reasonCode, code, `alias ${alias}`);
    }
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('outbound topic aliases for a client that allows them: the first message names the topic and an alias, the next ones the alias alone', async () => {
  const h = await Harness.start();
  try {
    const { client } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'constrained', properties: { topicAliasMaximum: 10 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'site/+/temperature', qos: 0 }] });
    await client.nextOf('suback');
    const publisher = await h.client({ clientId: 'site-pub', protocolVersion: 5 });
    for (const value of ['1', '2', '3']) await publisher.publishAsync('site/north/temperature', value, { qos: 1 });
    const first = await client.nextReceived();
    const second = await client.nextReceived();
    const third = await client.nextReceived();
    const alias = (first!.packet as { properties?: { topicAlias?: number } }).properties?.topicAlias;
    assert.ok(alias !== undefined && alias >= 1 && alias <= 10);
    assert.is((first!.packet as { topic: string }).topic, 'site/north/temperature');
    for (const later of [second!, third!]) {
      // mqtt-packet reports the topic as sent: empty, with the alias standing for it.
      assert.is((later.packet as { topic: string }).topic, '');
      assert.is((later.packet as { properties?: { topicAlias?: number } }).properties?.topicAlias, alias);
      assert.ok(later.bytes.length < first!.bytes.length - 'site/north/temperature'.length + 4, 'fewer bytes on the link');
    }
    await client.close();
  } finally {
    await h.cleanup();
  }
});

test('a QoS 1 message sent again after a reconnect keeps its packet identifier and has DUP set [MQTT-4.4.0-1], for 3.1.1 and MQTT 5', async () => {
  const h = await Harness.start();
  try {
    const port = h.frontEnd.ports.mqtt;
    const v3 = await RawClient.connect(port);
    assert.equal(await v3.handshake({ clientId: 'keep-id-3', clean: false }), [false, 0]);
    await v3.subscribe([['keep/#', 1]]);
    const v5 = await V5Client.open(port, { clientId: 'keep-id-5', properties: { sessionExpiryInterval: 600 } });
    v5.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'keep/#', qos: 1 }] });
    await v5.client.nextOf('suback');
    const publisher = await h.client({ clientId: 'keep-pub' });
    // Move the packet identifiers on, so that a fresh numbering would differ.
    for (let index = 0; index < 3; index++) await publisher.publishAsync('keep/x', `m${index}`, { qos: 1 });
    const firstV3 = [await v3.nextPublish(), await v3.nextPublish(), await v3.nextPublish()];
    const firstV5 = [await v5.client.nextOf('publish'), await v5.client.nextOf('publish'), await v5.client.nextOf('publish')];
    // Acknowledge the first only, then leave.
    v3.send(Buffer.from([0x40, 2, 0, firstV3[0]!.packetId!]));
    v5.client.send({ cmd: 'puback', messageId: firstV5[0]!.messageId! });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await v3.close();
    await v5.client.close();
    const v3Back = await RawClient.connect(port);
    assert.equal(await v3Back.handshake({ clientId: 'keep-id-3', clean: false }), [true, 0]);
    const againV3 = [await v3Back.nextPublish(), await v3Back.nextPublish()];
    assert.equal(againV3.map((message) => [message!.payload.toString(), message!.packetId, message!.dup]), firstV3.slice(1).map((message) => [message!.payload.toString(), message!.packetId, true]));
    const v5Back = await V5Client.open(port, { clientId: 'keep-id-5', clean: false, properties: { sessionExpiryInterval: 600 } });
    const againV5 = [await v5Back.client.nextOf('publish'), await v5Back.client.nextOf('publish')];
    assert.equal(againV5.map((message) => [message!.payload.toString(), message!.messageId, message!.dup]), firstV5.slice(1).map((message) => [message!.payload.toString(), message!.messageId, true]));
    await Promise.all([v3Back.close(), v5Back.client.close()]);
  } finally {
    await h.cleanup();
  }
});

test.run();

// Malformed MQTT 5 packets, byte by byte: each closes its own connection with a
// DISCONNECT naming the reason code, is counted and logged, and the broker keeps serving
// the others.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from './harness.ts';
import { V5Client } from './v5-client.ts';

/** A PUBLISH (QoS 0, topic "bad/x") with the given property bytes. */
function publishWithProperties(properties: number[]): Buffer {
  const topic = Buffer.from('bad/x');
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([properties.length, ...properties]), Buffer.from('p')]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** A SUBSCRIBE of "bad/#" with the given property bytes and options byte. */
function subscribeWith(properties: number[], options = 1): Buffer {
  const filter = Buffer.from('bad/#');
  const body = Buffer.concat([Buffer.from([0, 1, properties.length, ...properties, 0, filter.length]), filter, Buffer.from([options])]);
  return Buffer.concat([Buffer.from([0x82, body.length]), body]);
}

const CASES: Array<{ name: string; bytes: Buffer; reasonCode: number; kind: string }> = [
  { name: 'an unknown property identifier (0x7f)', bytes: publishWithProperties([0x7f, 0]), reasonCode: 0x81, kind: 'bad-property' },
  { name: 'a property twice (Content Type)', bytes: publishWithProperties([0x03, 0, 1, 0x61, 0x03, 0, 1, 0x62]), reasonCode: 0x82, kind: 'duplicate-property' },
  { name: 'a property on the wrong packet (Session Expiry Interval on PUBLISH)', bytes: publishWithProperties([0x11, 0, 0, 0, 5]), reasonCode: 0x82, kind: 'misplaced-property' },
  { name: 'a Subscription Identifier sent by a client in PUBLISH', bytes: publishWithProperties([0x0b, 1]), reasonCode: 0x82, kind: 'misplaced-property' },
  { name: 'a topic alias of 0', bytes: publishWithProperties([0x23, 0, 0]), reasonCode: 0x94, kind: 'topic-alias' },
  { name: 'a Payload Format Indicator of 2', bytes: publishWithProperties([0x01, 2]), reasonCode: 0x82, kind: 'bad-property' },
  { name: 'a property length past the end of the packet', bytes: publishWithProperties([0x03, 0, 40, 0x61]), reasonCode: 0x81, kind: 'malformed' },
  { name: 'a string property that is not UTF-8', bytes: publishWithProperties([0x03, 0, 2, 0xc3, 0x28]), reasonCode: 0x81, kind: 'invalid-utf8' },
  { name: 'a Subscription Identifier of 0', bytes: subscribeWith([0x0b, 0]), reasonCode: 0x82, kind: 'bad-property' },
  { name: 'reserved subscription option bits', bytes: subscribeWith([], 0xc1), reasonCode: 0x81, kind: 'malformed' },
  { name: 'Retain Handling 3', bytes: subscribeWith([], 0x31), reasonCode: 0x82, kind: 'malformed' },
  { name: 'an AUTH without enhanced authentication', bytes: Buffer.from([0xf0, 1, 0x18]), reasonCode: 0x82, kind: 'unexpected-auth' },
  { name: 'a packet type only a server sends (CONNACK)', bytes: Buffer.from([0x20, 3, 0, 0, 0]), reasonCode: 0x82, kind: 'server-packet' },
];

test('each malformed MQTT 5 packet closes its connection with the right reason code; a bystander keeps publishing and receiving', async () => {
  const h = await Harness.start();
  try {
    const port = h.frontEnd.ports.mqtt;
    const bystander = await h.client({ clientId: 'bystander', protocolVersion: 5 });
    await bystander.subscribeAsync('bystander/#', { qos: 1 });
    for (const [index, testCase] of CASES.entries()) {
      const { client } = await V5Client.open(port, { clientId: `bad-${index}` });
      client.sendBytes(testCase.bytes);
      const disconnect = await client.nextOf('disconnect');
      assert.is(disconnect?.reasonCode, testCase.reasonCode, testCase.name);
      assert.is(await client.next(), null, `${testCase.name}: connection closed`);
      assert.ok(await h.metric('tributary_mqtt_protocol_violations_total', { kind: testCase.kind }) >= 1, `${testCase.name}: counted as ${testCase.kind}`);
      const arrived = new Promise<string>((resolve) => bystander.once('message', (_topic, payload) => resolve(payload.toString())));
      await bystander.publishAsync('bystander/ping', `after ${index}`, { qos: 1 });
      assert.is(await arrived, `after ${index}`);
    }
    assert.ok(h.logLines.some((line) => /property identifier 0x7f/.test(line.msg)), 'the log says what was wrong');
  } finally {
    await h.cleanup();
  }
});

test('a malformed CONNECT property closes the connection before any CONNACK', async () => {
  const h = await Harness.start();
  try {
    const client = await V5Client.connect(h.frontEnd.ports.mqtt);
    // CONNECT, MQTT 5, properties: Receive Maximum 0 (a Protocol Error).
    const body = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 0, 3, 0x21, 0, 0, 0, 1, 0x63]);
    client.sendBytes(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    assert.is(await client.next(), null);
    assert.ok(await h.metric('tributary_mqtt_protocol_violations_total', { kind: 'bad-property' }) >= 1);
  } finally {
    await h.cleanup();
  }
});

test('reason codes of the remaining acknowledgements: UNSUBACK 0x11 for no subscription, PUBCOMP 0x92 for an unknown packet identifier, PUBREL 0x92 for an unknown PUBREC, DISCONNECT 0x8D for a keep alive run out', async () => {
  const h = await Harness.start();
  try {
    const { client } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'codes', keepalive: 1 });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'had/one', qos: 0 }] });
    await client.nextOf('suback');
    client.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['had/one', 'never/had'] });
    const unsuback = await client.nextReceived();
    // UNSUBACK: packet id 2, no properties, codes 0x00 and 0x11.
    assert.equal([...unsuback!.bytes], [0xb0, 5, 0, 2, 0, 0x00, 0x11]);
    client.send({ cmd: 'pubrel', messageId: 40 });
    assert.equal([...(await client.nextReceived())!.bytes], [0x70, 3, 0, 40, 0x92]);
    client.send({ cmd: 'pubrec', messageId: 41 });
    assert.equal([...(await client.nextReceived())!.bytes], [0x62, 3, 0, 41, 0x92]);
    // Silent past one and a half keep alive periods.
    assert.is((await client.nextOf('disconnect'))?.reasonCode, 0x8d);
  } finally {
    await h.cleanup();
  }
});

test.run();

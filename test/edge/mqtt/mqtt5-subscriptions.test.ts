// MQTT 5 subscription options (No Local, Retain As Published, Retain Handling),
// Subscription Identifiers, and shared subscriptions for MQTT 5 and 3.1.1 members.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { Harness } from './harness.ts';
import { V5Client } from './v5-client.ts';

function collect(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean; ids: unknown }> {
  const messages: Array<{ topic: string; payload: string; retain: boolean; ids: unknown }> = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, ids: packet.properties?.subscriptionIdentifier }));
  return messages;
}

/** Publishes a marker that `client` receives, so everything published before it has arrived. */
async function settle(h: Harness, client: MqttClient, messages: Array<{ payload: string }>, topic: string): Promise<void> {
  const marker = `marker-${Math.random()}`;
  const publisher = await h.client({ clientId: `marker-${Math.random()}`, protocolVersion: 5 });
  await publisher.publishAsync(topic, marker, { qos: 1 });
  while (!messages.some((message) => message.payload === marker)) await new Promise((resolve) => client.once('message', resolve));
  messages.splice(messages.findIndex((message) => message.payload === marker), 1);
}

test('No Local keeps a client\'s own publishes from it; Retain As Published keeps the RETAIN flag on live messages', async () => {
  const h = await Harness.start();
  try {
    const a = await h.client({ clientId: 'nl-a', protocolVersion: 5 });
    const received = collect(a);
    await a.subscribeAsync('nl/x', { qos: 1, nl: true });
    await a.subscribeAsync('rap/x', { qos: 1, rap: true });
    await a.publishAsync('nl/x', 'own', { qos: 1 });
    await a.publishAsync('rap/x', 'retained', { qos: 1, retain: true });
    await settle(h, a, received, 'nl/x');
    assert.equal(received.map((message) => [message.topic, message.payload, message.retain]), [['rap/x', 'retained', true]]);
  } finally {
    await h.cleanup();
  }
});

test('Retain Handling: 0 sends retained messages at every subscribe, 1 only for a new subscription, 2 never', async () => {
  const h = await Harness.start();
  try {
    const publisher = await h.client({ clientId: 'rh-pub', protocolVersion: 5 });
    await publisher.publishAsync('rh/a', 'A', { qos: 1, retain: true });
    const client = await h.client({ clientId: 'rh-sub', protocolVersion: 5 });
    const received = collect(client);
    const count = async (rh: 0 | 1 | 2): Promise<number> => {
      await client.subscribeAsync('rh/+', { qos: 1, rh });
      await settle(h, client, received, 'rh/marker');
      return received.splice(0).filter((message) => message.payload === 'A').length;
    };
    assert.is(await count(1), 1, 'rh 1, new subscription');
    assert.is(await count(1), 0, 'rh 1, existing subscription');
    assert.is(await count(0), 1, 'rh 0');
    assert.is(await count(0), 1, 'rh 0 again');
    await client.unsubscribeAsync('rh/+');
    assert.is(await count(2), 0, 'rh 2');
  } finally {
    await h.cleanup();
  }
});

test('Subscription Identifiers: a message carries the identifier of every subscription it matched', async () => {
  const h = await Harness.start();
  try {
    const client = await h.client({ clientId: 'ids', protocolVersion: 5 });
    const received = collect(client);
    await client.subscribeAsync('ids/x', { qos: 1, properties: { subscriptionIdentifier: 2 } });
    await client.subscribeAsync('ids/#', { qos: 1, properties: { subscriptionIdentifier: 3 } });
    await client.publishAsync('ids/x', 'both', { qos: 1 });
    await settle(h, client, received, 'ids/marker');
    assert.is(received.length, 1, 'one delivery for overlapping subscriptions');
    assert.equal(([received[0]!.ids].flat() as number[]).sort(), [2, 3]);
  } finally {
    await h.cleanup();
  }
});

test('shared subscriptions: each message reaches exactly one member, MQTT 5 and 3.1.1 members alike; a member that leaves with messages unacknowledged has them sent to another', async () => {
  const h = await Harness.start();
  try {
    const v5 = await h.client({ clientId: 'worker-5', protocolVersion: 5 });
    const v3 = await h.client({ clientId: 'worker-3' });
    const got5 = collect(v5);
    const got3 = collect(v3);
    await v5.subscribeAsync('$share/workers/jobs/+', { qos: 1 });
    await v3.subscribeAsync('$share/workers/jobs/+', { qos: 1 });
    const publisher = await h.client({ clientId: 'jobs', protocolVersion: 5 });
    for (let index = 0; index < 20; index++) await publisher.publishAsync(`jobs/${index}`, String(index), { qos: 1 });
    while (got5.length + got3.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const all = [...got5, ...got3].map((message) => Number(message.payload)).sort((a, b) => a - b);
    assert.equal(all, [...Array(20).keys()], 'each job exactly once');
    assert.ok(got5.length > 0 && got3.length > 0, 'both members got some');

    // A member that does not acknowledge, then disconnects: its jobs go to the other member.
    const { client: stalled } = await V5Client.open(h.frontEnd.ports.mqtt, { clientId: 'worker-stalled' });
    stalled.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/workers/jobs/+', qos: 1 }] });
    await stalled.nextOf('suback');
    got5.length = 0;
    got3.length = 0;
    for (let index = 100; index < 106; index++) await publisher.publishAsync(`jobs/${index}`, String(index), { qos: 1 });
    const held = [];
    while (held.length === 0) {
      const packet = await stalled.nextOf('publish');
      held.push(packet!.payload.toString());
    }
    await stalled.close();
    while (got5.length + got3.length < 6) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal([...got5, ...got3].map((message) => Number(message.payload)).sort((a, b) => a - b), [100, 101, 102, 103, 104, 105]);
    assert.ok(await h.metric('tributary_mqtt_shared_redeliveries_total') >= 1);
  } finally {
    await h.cleanup();
  }
});

test.run();

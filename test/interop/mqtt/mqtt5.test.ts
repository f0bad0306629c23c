// Real MQTT 5 clients against the real daemon: mosquitto_pub/sub with -V mqttv5 and User
// Properties (-D), the Eclipse paho client 2.x (PyPI) in MQTT 5 mode, MQTT.js with
// protocolVersion 5, and Kafka clients (kafkajs) on the other side of the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Daemon } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../../edge/kafka/clients/support/kafkajs.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';
import { ClientProcess, paho5 } from './support/client-process.ts';

function mosquitto(command: 'mosquitto_pub' | 'mosquitto_sub', port: number, args: string[]): ClientProcess {
  return new ClientProcess(command, ['-h', '127.0.0.1', '-p', String(port), ...args]);
}

test('mosquitto_pub -V mqttv5 with User Properties (-D): mosquitto_sub -V mqttv5 gets them in order, a 3.1.1 mosquitto_sub the payload, and the record has them as headers', async () => {
  const daemon = await Daemon.start();
  try {
    const port = daemon.ports.mqtt!;
    const v5 = mosquitto('mosquitto_sub', port, ['-V', 'mqttv5', '-i', 'sub5', '-q', '1', '-C', '1', '-t', 'plant/+/temp', '-F', '%t|%p|%C|%P']);
    const v3 = mosquitto('mosquitto_sub', port, ['-V', 'mqttv311', '-i', 'sub3', '-q', '1', '-C', '1', '-t', 'plant/+/temp', '-v']);
    // Both subscriptions are in place once a retained probe reaches them.
    await mosquitto('mosquitto_pub', port, ['-V', 'mqttv5', '-i', 'probe', '-q', '1', '-r', '-t', 'plant/probe/temp', '-m', 'probe']).succeeded();
    assert.is(await v5.nextLine(), 'plant/probe/temp|probe||');
    assert.is(await v3.nextLine(), 'plant/probe/temp probe');
    await Promise.all([v5.succeeded(), v3.succeeded()]);
    await mosquitto('mosquitto_pub', port, ['-V', 'mqttv5', '-i', 'probe', '-q', '1', '-r', '-t', 'plant/probe/temp', '-n']).succeeded();

    const v5Again = mosquitto('mosquitto_sub', port, ['-V', 'mqttv5', '-i', 'sub5', '-q', '1', '-C', '1', '-t', 'plant/line-2/temp', '-F', '%t|%p|%C|%P']);
    const v3Again = mosquitto('mosquitto_sub', port, ['-V', 'mqttv311', '-i', 'sub3', '-q', '1', '-C', '1', '-t', 'plant/line-2/temp', '-v']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await mosquitto('mosquitto_pub', port, ['-V', 'mqttv5', '-i', 'line-2', '-q', '1', '-t', 'plant/line-2/temp', '-m', '71.5',
      '-D', 'publish', 'user-property', 'unit', 'C', '-D', 'publish', 'user-property', 'sensor', 'pt100', '-D', 'publish', 'user-property', 'unit', 'K',
      '-D', 'publish', 'content-type', 'text/plain']).succeeded();
    assert.is(await v5Again.nextLine(), 'plant/line-2/temp|71.5|text/plain|unit:C sensor:pt100 unit:K');
    assert.is(await v3Again.nextLine(), 'plant/line-2/temp 71.5');
    await Promise.all([v5Again.succeeded(), v3Again.succeeded()]);
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    const record = stored.records.find((candidate) => candidate.value?.toString() === '71.5')!;
    assert.equal(record.headers.slice(4).map((header) => [header.key, header.value?.toString()]), [['mqtt.contentType', 'text/plain'], ['unit', 'C'], ['sensor', 'pt100'], ['unit', 'K']]);
  } finally {
    await daemon.cleanup();
  }
});

test('a Home-Assistant-like run: paho 2.x (MQTT 5) with a birth message and a will, retained discovery configs from an MQTT.js 5 device, commands round-tripped through a Kafka application', async () => {
  const daemon = await Daemon.start({ config: {
    mqtt: {
      routes: [{ filter: 'home/+/set', topic: 'device-commands', key: '{1}' }],
      reverseRoutes: [{ topic: 'commands', mqttTopic: 'home/{key}/command', qos: 1 }],
    },
  } });
  const kafka = kafkajsClient(daemon.ports.kafka!, 'automation');
  const consumer = kafka.consumer({ groupId: 'automation' });
  const producer = kafka.producer();
  const device = mqtt.connect(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'lamp-1', protocolVersion: 5, reconnectPeriod: 0 });
  let hub: ClientProcess | undefined;
  try {
    const port = daemon.ports.mqtt!;
    // The device announces itself: a retained discovery config and its state, then waits for commands.
    await new Promise((resolve, reject) => { device.once('connect', resolve); device.once('error', reject); });
    const commands: Array<{ payload: string; userProperties: unknown; correlationData: Buffer | undefined; responseTopic: string | undefined }> = [];
    device.on('message', (_topic, payload, packet) => commands.push({ payload: payload.toString(), userProperties: packet.properties?.userProperties, correlationData: packet.properties?.correlationData, responseTopic: packet.properties?.responseTopic }));
    await device.subscribeAsync('home/lamp-1/command', { qos: 1 });
    await device.publishAsync('homeassistant/light/lamp-1/config', JSON.stringify({ name: 'Lamp', command_topic: 'home/lamp-1/set', state_topic: 'home/lamp-1/state' }), { qos: 1, retain: true });
    await device.publishAsync('home/lamp-1/state', 'OFF', { qos: 1, retain: true });

    // The hub: birth message (retained), a will saying it went offline, discovery by retained configs.
    hub = paho5(['--port', String(port), '--client-id', 'hub', '--will-topic', 'homeassistant/status', '--will-payload', 'offline', '--will-retain']);
    assert.is((await hub.nextEventOf('connected')).reasonCode, 0);
    hub.command({ op: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 1, retain: true });
    await hub.nextEventOf('published');
    hub.command({ op: 'subscribe', filter: 'homeassistant/+/+/config', qos: 1 });
    await hub.nextEventOf('subscribed');
    const discovered = await hub.nextEventOf('message');
    assert.equal([discovered.topic, discovered.retain], ['homeassistant/light/lamp-1/config', true]);
    hub.command({ op: 'subscribe', filter: 'home/lamp-1/state', qos: 1 });
    assert.equal([(await hub.nextEventOf('message')).payload], ['OFF']);

    // The hub switches the lamp on; a Kafka application reads the request from the log and
    // answers with a command record, which reaches the device with its headers as properties.
    await consumer.connect();
    await consumer.subscribe({ topic: 'device-commands', fromBeginning: true });
    await producer.connect();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = message.headers ?? {};
        await producer.send({ topic: 'commands', acks: -1, messages: [{ key: message.key!, value: message.value!, headers: {
          'mqtt.correlationData': headers['mqtt.correlationData'] as Buffer,
          'mqtt.responseTopic': 'home/lamp-1/state',
          origin: 'automation',
          requested: String(headers.requested),
        } }] });
      },
    });
    hub.command({ op: 'publish', topic: 'home/lamp-1/set', payload: 'ON', qos: 1, correlationData: 'beef', userProperties: [['requested', 'by-hub']] });
    assert.is((await hub.nextEventOf('published')).reasonCode, 0);
    while (commands.length === 0) await new Promise((resolve) => device.once('message', resolve));
    const command = commands[0]!;
    assert.is(command.payload, 'ON');
    assert.equal({ ...(command.userProperties as object) }, { origin: 'automation', requested: 'by-hub' });
    assert.is(command.correlationData?.toString('hex'), 'beef');
    // The device answers on the Response Topic; the hub sees the new state.
    await device.publishAsync(command.responseTopic!, 'ON', { qos: 1, retain: true, properties: { correlationData: command.correlationData } });
    const state = await hub.nextEventOf('message');
    assert.equal([state.topic, state.payload, state.correlationData], ['home/lamp-1/state', 'ON', 'beef']);

    // The hub goes away without DISCONNECT: its will marks it offline, retained.
    hub.command({ op: 'drop' });
    await hub.exited;
    const watcher = paho5(['--port', String(port), '--client-id', 'watcher']);
    await watcher.nextEventOf('connected');
    watcher.command({ op: 'subscribe', filter: 'homeassistant/status', qos: 1 });
    let status = await watcher.nextEventOf('message');
    while (status.payload !== 'offline') status = await watcher.nextEventOf('message');
    assert.equal([status.payload, status.retain], ['offline', true]);
    watcher.command({ op: 'disconnect' });
    await watcher.succeeded();
  } finally {
    hub?.kill();
    device.end(true);
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await daemon.cleanup();
  }
});

test('paho 2.x (MQTT 5): Subscription Identifiers, No Local, a refused publish answered with a reason code and the connection kept', async () => {
  const daemon = await Daemon.start({ config: { mqtt: { defaultRoute: 'reject', routes: [{ filter: 'ok/#', topic: 'ok', key: '{topic}' }] } } });
  const client = paho5(['--port', String(daemon.ports.mqtt), '--client-id', 'paho-v5']);
  try {
    assert.is((await client.nextEventOf('connected')).reasonCode, 0);
    client.command({ op: 'subscribe', filter: 'ok/+', qos: 1, id: 5 });
    await client.nextEventOf('subscribed');
    client.command({ op: 'subscribe', filter: 'ok/own', qos: 1, noLocal: true, id: 6 });
    await client.nextEventOf('subscribed');
    client.command({ op: 'publish', topic: 'nowhere/x', payload: 'refused', qos: 1 });
    assert.is((await client.nextEventOf('published')).reasonCode, 0x90);
    client.command({ op: 'publish', topic: 'ok/own', payload: 'mine', qos: 1 });
    const message = await client.nextEventOf('message');
    // Delivered through ok/+ only: ok/own has No Local.
    assert.equal([message.payload, message.subscriptionIdentifier], ['mine', [5]]);
    client.command({ op: 'disconnect' });
    await client.succeeded();
  } finally {
    client.kill();
    await daemon.cleanup();
  }
});

test.run();

// The reverse direction: a command produced on the central cluster (topic commands.{edge})
// is pulled down into the edge's local topic `commands`, exactly once, keys and headers
// kept, and the MQTT reverse route delivers it to the device subscribed at the edge.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin, Producer } from '@platformatic/kafka';
import mqtt from 'mqtt';
import { createLink } from '../../firmware-sim/link/link.ts';
import { Daemon } from '../helpers/daemon.ts';
import { freePort, header, kafkaClient, mirrorThrough, readPartition, waitFor } from './cluster.ts';

const REVERSE = { reverse: [{ from: 'commands.{edge}', to: 'commands' }], topics: { include: ['sensors'] } };

async function startCentral(): Promise<{ central: Daemon; port: number }> {
  const port = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port } } } });
  const admin = new Admin({ clientId: 'platform', bootstrapBrokers: [`127.0.0.1:${port}`] });
  await admin.createTopics({ topics: ['commands.edge-r', 'commands.edge-s'], partitions: 2, replicas: 1 });
  await admin.close();
  return { central, port };
}

async function sendCommand(centralPort: number, topic: string, key: string, value: string, commandId: string): Promise<void> {
  const producer = new Producer({ clientId: 'platform', bootstrapBrokers: [`127.0.0.1:${centralPort}`], acks: -1 });
  try {
    await producer.send({ messages: [{ topic, key: Buffer.from(key), value: Buffer.from(value), headers: new Map([[Buffer.from('command-id'), Buffer.from(commandId)]]) }] });
  } finally {
    await producer.close();
  }
}

async function localCommands(edgePort: number): Promise<{ key: string; value: string; commandId: string | undefined; centralOffset: string | undefined }[]> {
  const reader = kafkaClient(`127.0.0.1:${edgePort}`);
  try {
    const records = [];
    for (let partition = 0; partition < 2; partition += 1) records.push(...await readPartition(reader, 'commands', partition));
    return records.map((record) => ({ key: String(record.key), value: String(record.value), commandId: header(record, 'command-id'), centralOffset: header(record, 'tributary.central.offset') }));
  } catch {
    return [];
  } finally {
    await reader.close();
  }
}

test('a command produced on the central reaches the MQTT device subscribed at the edge, once, also after an edge restart', async () => {
  const { central, port: centralPort } = await startCentral();
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}` });
  const edgeConfig = {
    node: { id: 'edge-r' },
    // Declared with the central topic's partition count, so that the MQTT reverse route follows every partition from the start.
    topics: { overrides: { commands: { partitions: 2 } } },
    mqtt: { reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }] },
    mirror: mirrorThrough(centralPort, link.listen.port, REVERSE),
  };
  let edge = await Daemon.start({ config: edgeConfig });
  try {
    await waitFor('the local commands topic', async () => ((await localCommands(edge.ports.kafka!)).length === 0 && (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`).then((response) => response.json()) as { reverse: unknown[] }).reverse.length === 2 ? true : undefined));
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: 'dev-1', clean: true });
    let received: { topic: string; payload: string } | undefined;
    device.on('message', (topic, payload) => { received ??= { topic, payload: payload.toString() }; });
    await device.subscribeAsync('commands/dev-1', { qos: 1 });
    await sendCommand(centralPort, 'commands.edge-r', 'dev-1', 'open-valve', 'c-1');
    assert.equal(await waitFor('the command at the device', () => received), { topic: 'commands/dev-1', payload: 'open-valve' });
    await device.endAsync();

    const [command] = await localCommands(edge.ports.kafka!);
    assert.is(command!.commandId, 'c-1', 'the command\'s own headers are kept');
    assert.is(command!.centralOffset, '0', 'the central coordinates travel in headers');

    await edge.stop();
    edge = await edge.restart({ config: edgeConfig });
    await sendCommand(centralPort, 'commands.edge-r', 'dev-1', 'close-valve', 'c-2');
    const commands = await waitFor('both commands in the local log', async () => {
      const found = await localCommands(edge.ports.kafka!);
      return found.length >= 2 ? found : undefined;
    });
    assert.equal(commands.map((entry) => entry.commandId).sort(), ['c-1', 'c-2'], 'each command once, after the restart too');
  } finally {
    await edge.cleanup();
    await central.cleanup();
    await link.close();
  }
});

test('a standalone mirror pulls commands into the edge through its Kafka listener, exactly once across its restarts', async () => {
  const { central, port: centralPort } = await startCentral();
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}` });
  const kafkaPort = await freePort();
  const mirrorSection = mirrorThrough(centralPort, link.listen.port, { ...REVERSE, embedded: false, source: { bootstrap: [`127.0.0.1:${kafkaPort}`] }, http: { port: 0 } });
  const edge = await Daemon.start({ config: { node: { id: 'edge-s' }, listeners: { kafka: { port: kafkaPort } }, mirror: mirrorSection } });
  const mirrorConfig = { node: { id: 'edge-s' }, mirror: mirrorSection };
  let mirror = await Daemon.start({ subcommand: 'mirror', config: mirrorConfig });
  try {
    for (let index = 0; index < 20; index += 1) await sendCommand(centralPort, 'commands.edge-s', `dev-${index % 4}`, `command-${index}`, `c-${index}`);
    await waitFor('the first commands at the edge', async () => ((await localCommands(kafkaPort)).length >= 5 ? true : undefined));
    await mirror.kill();
    mirror = await mirror.restart({ subcommand: 'mirror', config: mirrorConfig });
    for (let index = 20; index < 40; index += 1) await sendCommand(centralPort, 'commands.edge-s', `dev-${index % 4}`, `command-${index}`, `c-${index}`);
    await mirror.stop();
    mirror = await mirror.restart({ subcommand: 'mirror', config: mirrorConfig });
    const commands = await waitFor('40 commands at the edge', async () => {
      const found = await localCommands(kafkaPort);
      return found.length >= 40 ? found : undefined;
    });
    assert.is(commands.length, 40, 'none twice');
    assert.equal(new Set(commands.map((entry) => entry.commandId)).size, 40);
  } finally {
    await mirror.cleanup();
    await edge.cleanup();
    await central.cleanup();
    await link.close();
  }
});

test.run();

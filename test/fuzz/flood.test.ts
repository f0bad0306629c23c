// Mutated frames over live sockets: connections to the Kafka, MQTT and MQTT-over-WebSocket
// listeners send the seed corpora, mutated as the fuzzer mutates them, while a
// well-behaved Kafka producer and a well-behaved MQTT device keep working. Afterwards the
// daemon still serves, and every record the broker acknowledged to them is in the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { Daemon } from '../helpers/daemon.ts';
import { kafkajsClient } from '../edge/kafka/clients/support/kafkajs.ts';
import { readPartition } from '../edge/kafka/clients/support/log-reader.ts';
import { readCorpus } from './engine/corpus.ts';
import { Mutator, Random } from './engine/mutator.ts';

/** Hostile connections per listener: enough to meet most of the decoders' refusals. */
const HOSTILE_CONNECTIONS_PER_LISTENER = 300;
/** Hostile connections open at once per listener, below mqtt.limits.maxConnections and kafka.maxConnections. */
const HOSTILE_CONCURRENCY = 8;
/** A hostile connection the broker has not closed by then is closed by the test. */
const HOSTILE_CONNECTION_MS = 1_000;
const CORPUS = join(import.meta.dirname, 'corpus');
const SEED = 20_261_206;

function mutatedInputs(target: string, count: number, stripControlByte: boolean): Buffer[] {
  const seeds = readCorpus([join(CORPUS, target)], 64 * 1024).map((seed) => (stripControlByte ? seed.subarray(1) : seed));
  const random = new Random(SEED);
  const mutator = new Mutator(random, 64 * 1024);
  return Array.from({ length: count }, (_, index) => {
    const base = seeds[index % seeds.length]!;
    // One in ten goes as captured: valid requests in between keep the decoders' deeper paths busy.
    return index % 10 === 0 ? base : mutator.mutate(base, seeds[random.below(seeds.length)]!);
  });
}

/** Sends `bytes` on a new TCP connection and waits until the broker closes it, or the test does. */
function sendRaw(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), HOSTILE_CONNECTION_MS);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(); });
    socket.write(bytes);
  });
}

function sendWebSocket(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, 'mqtt');
    const timer = setTimeout(() => socket.terminate(), HOSTILE_CONNECTION_MS);
    socket.on('error', () => {});
    socket.on('open', () => socket.send(bytes));
    socket.on('close', () => { clearTimeout(timer); resolve(); });
  });
}

async function flood(inputs: Buffer[], send: (input: Buffer) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: HOSTILE_CONCURRENCY }, async () => {
    for (let index = next++; index < inputs.length; index = next++) await send(inputs[index]!);
  }));
}

test('hostile frames on every listener: well-behaved clients keep working and every acknowledged record is in the log', async () => {
  const daemon = await Daemon.start({
    config: {
      mqtt: { routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }] },
      topics: { overrides: { sensors: { partitions: 1 }, orders: { partitions: 1 } } },
      log: { level: 'warn' },
    },
  });
  const producer = kafkajsClient(daemon.ports.kafka!, 'flood-good-producer').producer();
  let device: mqtt.MqttClient | undefined;
  try {
    await producer.connect();
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'good-device', clean: true, reconnectPeriod: 0 });
    const acknowledgedKafka: string[] = [];
    const acknowledgedMqtt: string[] = [];
    let flooding = true;
    const goodKafka = (async () => {
      for (let index = 0; flooding || index < 20; index++) {
        await producer.send({ topic: 'orders', acks: -1, messages: [{ key: 'k', value: `order-${index}` }] });
        acknowledgedKafka.push(`order-${index}`);
      }
    })();
    const goodMqtt = (async () => {
      for (let index = 0; flooding || index < 20; index++) {
        await device!.publishAsync('sensors/good-device/temp', `reading-${index}`, { qos: 1 });
        acknowledgedMqtt.push(`reading-${index}`);
      }
    })();

    await Promise.all([
      flood(mutatedInputs('kafka-request', HOSTILE_CONNECTIONS_PER_LISTENER, false).map((frame, index) => {
        // Mostly a correct size prefix, so that the decoder sees the frame; sometimes a mutated one.
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(index % 7 === 0 ? (frame.length * 977) & 0x7fffffff : frame.length);
        return Buffer.concat([prefix, frame]);
      }), (bytes) => sendRaw(daemon.ports.kafka!, bytes)),
      flood(mutatedInputs('mqtt-311', HOSTILE_CONNECTIONS_PER_LISTENER, true), (bytes) => sendRaw(daemon.ports.mqtt!, bytes)),
      flood(mutatedInputs('mqtt-311', HOSTILE_CONNECTIONS_PER_LISTENER, true), (bytes) => sendWebSocket(daemon.ports.mqttWs!, bytes)),
    ]);
    flooding = false;
    await Promise.all([goodKafka, goodMqtt]);

    const health = await fetch(`http://127.0.0.1:${daemon.ports.http}/health`);
    assert.is(health.status, 200, 'the daemon still serves');
    assert.ok(acknowledgedKafka.length >= 20 && acknowledgedMqtt.length >= 20, 'the well-behaved clients kept working');
    const orders = (await readPartition(daemon.ports.kafka!, 'orders', 0)).records.map((record) => record.value!.toString());
    assert.equal(orders.filter((value) => acknowledgedKafka.includes(value)), acknowledgedKafka, 'every acknowledged Kafka record, in order');
    const readings = (await readPartition(daemon.ports.kafka!, 'sensors', 0)).records.map((record) => record.value!.toString()).filter((value) => value.startsWith('reading-'));
    assert.equal(readings.filter((value) => acknowledgedMqtt.includes(value)), acknowledgedMqtt, 'every acknowledged MQTT publish, in order');
    assert.is(daemon.process.exitCode, null, 'the daemon did not exit');
    // Hostile input is refused at warn level; an error line would be a failure of the broker's own.
    assert.equal(daemon.logLines.filter((line) => Number(line.level) >= 50), [], 'no error logged');
  } finally {
    await device?.endAsync().catch(() => {});
    await producer.disconnect().catch(() => {});
    await daemon.cleanup();
  }
});

test.run();

// `node test/fuzz/capture-seeds.ts`: records what the real clients send and writes the seed
// corpora of the fuzz targets from it. A daemon runs with recording proxies in front of
// its Kafka and MQTT listeners; kcat, kafka-python, confluent-kafka, kafkajs and
// @platformatic/kafka produce (under every codec they have), consume, join a group and
// read metadata through one, mosquitto_pub, mosquitto_sub and mqtt.js publish and
// subscribe through the other. Then:
//   test/fuzz/corpus/kafka-request/CLIENT-API-vN-HASH   each request frame (size prefix cut off)
//   test/fuzz/corpus/record-batch/CLIENT-CODEC-HASH     each record batch of a Produce request
//   test/fuzz/corpus/mqtt-311/CLIENT-N-HASH             each MQTT 3.1.1 connection's bytes from the client
//   test/fuzz/corpus/mqtt-5/CLIENT-N-HASH               each MQTT 5 connection's bytes from the client
// `--mqtt-only` records the MQTT clients alone and leaves the Kafka corpora as they are.
// plus, for the API versions no client here sends, a request our encoder makes
// (synthesized-API-vN), so that every served API and version has a seed.
// Needs the Debian packages of the interop tests (kcat, mosquitto-clients, python3-kafka,
// python3-confluent-kafka); rerun it when a client or a served version changes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { API_DEFINITIONS, apiName, decodeRequest, encodeRequest, parseRequestHeader } from '../../shared/kafka/wire/index.ts';
import type { ServedApiKey } from '../../shared/kafka/wire/index.ts';
import type { CompressionName } from '../../shared/kafka/compression/codec.ts';
import { iterateBatchHeaders } from '../../shared/kafka/record-batch.ts';
import { Daemon } from '../helpers/daemon.ts';
import { requireProgram, requirePythonModule } from '../helpers/system-programs.ts';
import { KafkaProxy } from '../edge/kafka/clients/support/kafka-proxy.ts';
import { KAFKAJS_CODECS, kafkajsClient } from '../edge/kafka/clients/support/kafkajs.ts';
import { sampleValue } from '../shared/kafka/apis/samples.ts';

const CORPUS = resolve(import.meta.dirname, 'corpus');
const INTEROP = resolve(import.meta.dirname, '../interop/kafka');
/** Seeds kept per client, API and version: more of the same teach the fuzzer nothing. */
const SEEDS_PER_KIND_MAX = 3;
/** A client command that runs longer than this is stopped; its frames so far still count. */
const CLIENT_TIMEOUT_MS = 60_000;
const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const kafkaSeeds = new Map<string, Buffer>();
const batchSeeds = new Map<string, Buffer>();
const mqttSeeds = new Map<string, Buffer>();
const mqtt5Seeds = new Map<string, Buffer>();
/** The corpus the MQTT connections being recorded go to. */
let mqttCorpus = mqttSeeds;
const perKind = new Map<string, number>();
let client = 'unknown';

const hash = (bytes: Buffer): string => createHash('sha1').update(bytes).digest('hex').slice(0, 12);

function keep(seeds: Map<string, Buffer>, kind: string, bytes: Buffer): void {
  const count = perKind.get(kind) ?? 0;
  if (count >= SEEDS_PER_KIND_MAX) return;
  const name = `${kind}-${hash(bytes)}`;
  if (seeds.has(name)) return;
  perKind.set(kind, count + 1);
  seeds.set(name, Buffer.from(bytes));
}

function recordKafkaRequest(frame: Buffer): void {
  const header = parseRequestHeader(frame);
  const name = apiName(header.apiKey) ?? `api${header.apiKey}`;
  keep(kafkaSeeds, `${client}-${name}-v${header.apiVersion}`, frame);
  if (name !== 'Produce') return;
  const request = decodeRequest(frame, header);
  if (request.apiKey !== 0) return;
  for (const topic of request.body.topicData) {
    for (const partition of topic.partitionData) {
      const records = partition.records;
      if (records === null) continue;
      for (const batch of iterateBatchHeaders(records)) {
        // Control byte 0: the batch as the client sent it.
        keep(batchSeeds, `${client}-${CODECS[batch.compression] ?? batch.compression}`, Buffer.concat([Buffer.from([0]), records.subarray(batch.position, batch.position + batch.sizeBytes)]));
      }
    }
  }
}

/** A TCP proxy that records each connection's bytes from the client, for MQTT. */
async function recordingProxy(upstreamPort: number): Promise<Server> {
  const server = createServer((socket) => {
    // Named at connect: the close may come after the next client has begun.
    const label = client;
    const corpus = mqttCorpus;
    const chunks: Buffer[] = [];
    const upstream = connect(upstreamPort, '127.0.0.1');
    socket.on('data', (chunk) => { chunks.push(chunk); upstream.write(chunk); });
    upstream.on('data', (chunk) => socket.write(chunk));
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
      // Control byte 0: the stream in one read.
      if (chunks.length > 0) keep(corpus, `${label}-${corpus.size}`, Buffer.concat([Buffer.from([0]), ...chunks]));
      chunks.length = 0;
    };
    socket.on('close', end);
    upstream.on('close', end);
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return server;
}

function run(command: string, args: string[], input = ''): Promise<void> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
    child.on('close', () => { clearTimeout(timer); resolveRun(); });
    child.stdin.end(input);
  });
}

async function captureKafka(port: number): Promise<void> {
  const broker = `127.0.0.1:${port}`;
  const records = (label: string) => Array.from({ length: 5 }, (_, index) => ({ key: `device-${index % 2}`, value: `${label} reading ${index}`, headers: { unit: 'C' } }));

  client = 'kcat';
  const kcat = requireProgram('kcat');
  await run(kcat, ['-b', broker, '-L']);
  for (const codec of CODECS) await run(kcat, ['-b', broker, '-P', '-t', 'seeds-kcat', '-z', codec, '-K:', '-H', 'unit=C'], 'device-1:21.5\ndevice-2:19.0\n');
  await run(kcat, ['-b', broker, '-C', '-t', 'seeds-kcat', '-o', 'beginning', '-e', '-q']);
  await run(kcat, ['-b', broker, '-G', 'seeds-kcat-group', '-X', 'auto.offset.reset=earliest', '-e', '-q', 'seeds-kcat']);

  for (const [name, script, module] of [['kafka-python', 'kafka_python_client.py', 'kafka'], ['confluent-kafka', 'confluent_kafka_client.py', 'confluent_kafka']] as const) {
    client = name;
    const python = requirePythonModule(module);
    const topic = `seeds-${name}`;
    for (const codec of CODECS) {
      await run(python, [join(INTEROP, script), 'produce', '--bootstrap', broker, '--topic', topic, '--compression', codec], records(codec).map((record) => `${JSON.stringify(record)}\n`).join(''));
    }
    await run(python, [join(INTEROP, script), 'drain', '--bootstrap', broker, '--group', `${topic}-group`, '--topic', topic]);
  }

  client = 'kafkajs';
  const kafka = kafkajsClient(port, 'seeds-kafkajs');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'seeds-kafkajs', numPartitions: 2 }] });
  await admin.fetchTopicMetadata({ topics: ['seeds-kafkajs'] });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  for (const [codec, compression] of Object.entries(KAFKAJS_CODECS)) {
    await producer.send({ topic: 'seeds-kafkajs', compression, acks: -1, messages: records(codec).map(({ key, value, headers }) => ({ key, value, headers })) });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'seeds-kafkajs-group', maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'seeds-kafkajs', fromBeginning: true });
  let read = 0;
  await new Promise<void>((resolveRead) => { void consumer.run({ eachMessage: async () => { if (++read === 25) resolveRead(); } }); });
  await consumer.disconnect();
  await admin.listGroups();
  await admin.describeGroups(['seeds-kafkajs-group']);
  await admin.fetchOffsets({ groupId: 'seeds-kafkajs-group', topics: ['seeds-kafkajs'] });
  await admin.disconnect();

  client = 'platformatic';
  const bootstrapBrokers = [broker];
  const platformaticAdmin = new Admin({ clientId: 'seeds-platformatic', bootstrapBrokers });
  await platformaticAdmin.createTopics({ topics: ['seeds-platformatic'], partitions: 2, replicas: 1 });
  await platformaticAdmin.listTopics();
  await platformaticAdmin.close();
  const platformaticProducer = new Producer({ clientId: 'seeds-platformatic', bootstrapBrokers, serializers: stringSerializers, idempotent: true });
  for (const codec of CODECS) {
    await platformaticProducer.send({ messages: records(codec).map(({ key, value, headers }) => ({ topic: 'seeds-platformatic', key, value, headers: new Map(Object.entries(headers)) })), compression: codec, acks: -1 });
  }
  await platformaticProducer.close();
  const platformaticConsumer = new Consumer({ clientId: 'seeds-platformatic', groupId: 'seeds-platformatic-group', bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 });
  const stream = await platformaticConsumer.consume({ topics: ['seeds-platformatic'], mode: 'earliest' });
  let received = 0;
  for await (const message of stream) {
    await message.commit();
    if (++received === 25) break;
  }
  await stream.close();
  await platformaticConsumer.close(true);
}

async function captureMqtt(port: number): Promise<void> {
  client = 'mosquitto_pub';
  const publish = requireProgram('mosquitto_pub');
  for (const qos of ['0', '1', '2']) await run(publish, ['-h', '127.0.0.1', '-p', String(port), '-i', `seed-pub-${qos}`, '-q', qos, '-t', `sensors/dev-${qos}/temp`, '-m', '21.5']);
  await run(publish, ['-h', '127.0.0.1', '-p', String(port), '-i', 'seed-will', '-q', '1', '-r', '--will-topic', 'status/seed', '--will-payload', 'gone', '-u', 'user', '-P', 'secret', '-t', 'status/seed', '-m', 'up']);
  client = 'mosquitto_sub';
  await run(requireProgram('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(port), '-i', 'seed-sub', '-q', '1', '-c', '-t', 'sensors/+/temp', '-t', 'status/#', '-C', '1', '-W', '2']);
  client = 'mqttjs';
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'seed-mqttjs', clean: false, keepalive: 30, will: { topic: 'status/mqttjs', payload: Buffer.from('gone'), qos: 1, retain: true } });
  await device.subscribeAsync({ 'commands/seed-mqttjs': { qos: 1 }, 'sensors/#': { qos: 2 } });
  for (const qos of [0, 1, 2] as const) await device.publishAsync(`sensors/mqttjs/${qos}`, Buffer.from(JSON.stringify({ t: 21.5, qos })), { qos });
  await device.unsubscribeAsync('sensors/#');
  await device.endAsync();
}

/** MQTT 5: properties on every packet kind that has them, topic aliases, session expiry, shared subscriptions. */
async function captureMqtt5(port: number): Promise<void> {
  mqttCorpus = mqtt5Seeds;
  const host = ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv5'];
  client = 'mosquitto_pub-v5';
  const publish = requireProgram('mosquitto_pub');
  for (const qos of ['0', '1', '2']) {
    await run(publish, [...host, '-i', `seed5-pub-${qos}`, '-q', qos, '-t', `sensors/dev-${qos}/temp`, '-m', '21.5',
      '-D', 'publish', 'user-property', 'unit', 'C', '-D', 'publish', 'message-expiry-interval', '60', '-D', 'publish', 'content-type', 'application/json']);
  }
  await run(publish, [...host, '-i', 'seed5-will', '-q', '1', '-r', '--will-topic', 'status/seed5', '--will-payload', 'gone', '-D', 'will', 'will-delay-interval', '5',
    '-D', 'connect', 'session-expiry-interval', '300', '-D', 'connect', 'receive-maximum', '20', '-u', 'user', '-P', 'secret', '-t', 'status/seed5', '-m', 'up']);
  client = 'mosquitto_sub-v5';
  await run(requireProgram('mosquitto_sub'), [...host, '-i', 'seed5-sub', '-q', '1', '-c', '-t', 'sensors/+/temp', '-t', '$share/group/status/#',
    '-D', 'subscribe', 'subscription-identifier', '7', '-C', '1', '-W', '2']);
  client = 'mqttjs-v5';
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'seed5-mqttjs', protocolVersion: 5, clean: false, keepalive: 30,
    properties: { sessionExpiryInterval: 120, receiveMaximum: 50, topicAliasMaximum: 10, requestProblemInformation: true, userProperties: { site: 'north' } },
    will: { topic: 'status/mqttjs5', payload: Buffer.from('gone'), qos: 1, retain: true, properties: { willDelayInterval: 2, contentType: 'text/plain' } },
  });
  await device.subscribeAsync({ 'commands/seed5-mqttjs': { qos: 1, nl: true, rap: true, rh: 1 }, 'sensors/#': { qos: 2 } });
  for (const qos of [0, 1, 2] as const) {
    await device.publishAsync(`sensors/mqttjs5/${qos}`, Buffer.from(JSON.stringify({ t: 21.5, qos })), {
      qos, properties: { topicAlias: 1 + qos, responseTopic: 'replies/mqttjs5', correlationData: Buffer.from([qos]), userProperties: { unit: 'C' } },
    });
  }
  await device.unsubscribeAsync('sensors/#');
  await device.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
}

/** Every served API and version that no client sent, encoded by our encoder from a sample body. */
function synthesizeMissingVersions(): void {
  const sent = new Set([...kafkaSeeds.values()].map((frame) => { const header = parseRequestHeader(frame); return `${header.apiKey}:${header.apiVersion}`; }));
  for (const api of API_DEFINITIONS) {
    for (let version = api.versions.min; version <= api.versions.max; version++) {
      if (sent.has(`${api.apiKey}:${version}`)) continue;
      const body = sampleValue(api.request, version, { nulls: false });
      const frame = encodeRequest(api.apiKey as ServedApiKey, version, 7, 'seed', body as never).subarray(4);
      kafkaSeeds.set(`synthesized-${apiName(api.apiKey)}-v${version}`, frame);
    }
  }
}

function write(target: string, seeds: Map<string, Buffer>): void {
  const directory = join(CORPUS, target);
  mkdirSync(directory, { recursive: true });
  for (const name of readdirSync(directory)) if (!name.endsWith('.md')) rmSync(join(directory, name));
  for (const [name, bytes] of seeds) writeFileSync(join(directory, name), bytes);
  console.log(`${target}: ${seeds.size} seeds`);
}

const daemon = await Daemon.start({ config: { mqtt: { authentication: { allowAnonymous: true } } } });
const proxy = await KafkaProxy.start(daemon.ports.kafka!);
proxy.onRequest = recordKafkaRequest;
const mqttProxy = await recordingProxy(daemon.ports.mqtt!);
const mqttOnly = process.argv.includes('--mqtt-only');
try {
  if (!mqttOnly) await captureKafka(proxy.port);
  await captureMqtt((mqttProxy.address() as AddressInfo).port);
  await captureMqtt5((mqttProxy.address() as AddressInfo).port);
  // The last connections' close events come after their clients are done.
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
} finally {
  await proxy.close();
  mqttProxy.close();
  await daemon.cleanup();
}
if (!mqttOnly) {
  synthesizeMissingVersions();
  write('kafka-request', kafkaSeeds);
  write('record-batch', batchSeeds);
}
write('mqtt-311', mqttSeeds);
write('mqtt-5', mqtt5Seeds);

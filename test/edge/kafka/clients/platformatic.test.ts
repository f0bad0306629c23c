// @platformatic/kafka 2.x (new, flexible protocol versions) against the real daemon: every
// codec, keys and headers, consumer groups with a member killed, offsets across a broker
// restart, and an idempotent producer whose connection is cut after each of several appends.
import { checkRebalanceAfterKill, waitForEvenSplit } from './support/rebalance.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import { Daemon } from '../../../helpers/daemon.ts';
import { KafkaProxy } from './support/kafka-proxy.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from './support/keyed-records.ts';
import { readPartition } from './support/log-reader.ts';
import { MemberProcess, waitForMembers } from './support/member-process.ts';
import { within } from './support/timeout.ts';
import { assertNoServerErrors } from './support/server-log.ts';
import { ClientResults, npmPackageVersion } from '../../../helpers/client-results.ts';

/** Outcomes for the README's client matrix (npm run docs:clients). */
const results = new ClientResults({ client: '@platformatic/kafka', version: npmPackageVersion('@platformatic/kafka'), distribution: 'npm' }, import.meta.filename);

const MEMBER_SCRIPT = resolve(import.meta.dirname, 'support/group-member.ts');
/** Kafka's smallest allowed session timeout here; a killed member is noticed this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6000;
/** Generous bound for anything a client waits on, on a loaded two-core machine. */
const WAIT_MS = 30_000;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

type Received = KeyedRecord & { partition: number; offset: bigint };

function producerOf(port: number, clientId: string, extra: { idempotent?: boolean } = {}): Producer<string, string, string, string> {
  return new Producer({ clientId, bootstrapBrokers: [`127.0.0.1:${port}`], serializers: stringSerializers, retryDelay: 50, autocreateTopics: false, ...extra });
}

/**
 * Reads `topic` in group `groupId` from its committed offsets (or the start) until `count`
 * records arrived, then commits the offsets after them.
 */
async function consume(port: number, groupId: string, topic: string, count: number): Promise<Received[]> {
  const consumer = new Consumer({
    clientId: `${groupId}-consumer`,
    groupId,
    bootstrapBrokers: [`127.0.0.1:${port}`],
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
  });
  const received: Received[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const last = new Map<number, Message<string, string, string, string>>();
    const read = async () => {
      if (count === 0) return;
      for await (const message of stream) {
        received.push({ partition: message.partition, offset: message.offset, key: message.key, value: message.value, headers: Object.fromEntries(message.headers) });
        last.set(message.partition, message);
        if (received.length >= count) break;
      }
    };
    await within(read(), WAIT_MS, `${count} records from ${topic} (got ${received.length})`);
    for (const message of last.values()) await message.commit();
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return received;
}

test('produces keyed records with headers under every codec; a group reads each key back in order', () => results.runAll(['codec-none', 'codec-gzip', 'codec-snappy', 'codec-lz4', 'codec-zstd'], async () => {
  const daemon = await Daemon.start();
  const port = daemon.ports.kafka!;
  const admin = new Admin({ clientId: 'platformatic-admin', bootstrapBrokers: [`127.0.0.1:${port}`] });
  const producer = producerOf(port, 'platformatic-codecs');
  try {
    const topic = 'platformatic-codecs';
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const sequence = new KeyedSequence();
    for (const compression of CODECS) {
      for (let round = 0; round < 3; round++) {
        const messages = sequence.round(compression).map((record) => ({ topic, key: record.key, value: record.value, headers: record.headers }));
        await producer.send({ messages, compression, acks: -1 });
      }
    }
    const received = await consume(port, 'platformatic-codecs-group', topic, sequence.sent.length);
    assertInOrderPerKey(received, sequence.sent);

    const codecsStored = new Set<number>();
    let storedRecords = 0;
    for (let partition = 0; partition < 3; partition++) {
      const stored = await readPartition(port, topic, partition);
      for (const batch of stored.batches) codecsStored.add(batch.header.compression);
      storedRecords += stored.records.length;
      stored.records.forEach((record, index) => assert.is(record.offset, BigInt(index), `offsets of partition ${partition} are dense`));
    }
    assert.equal([...codecsStored].sort(), [0, 1, 2, 3, 4], 'batches stored with no compression, gzip, snappy, lz4 and zstd');
    assert.is(storedRecords, sequence.sent.length);
    assertNoServerErrors(daemon);
  } finally {
    await producer.close();
    await admin.close();
    await daemon.cleanup();
  }
}));

test('three members share six partitions; a member killed with SIGKILL has its partitions taken over', () => results.run('group-member-killed', async () => {
  const topic = 'platformatic-shared';
  const groupId = 'platformatic-shared-group';
  const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 6 } } } } });
  const options = JSON.stringify({ client: 'platformatic', port: daemon.ports.kafka, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  const members = [0, 1, 2].map((index) => new MemberProcess(`platformatic member ${index}`, process.execPath, [MEMBER_SCRIPT, options]));
  const producer = producerOf(daemon.ports.kafka!, 'platformatic-shared-producer');
  try {
    await waitForEvenSplit(members, 2, WAIT_MS);

    const produceRound = async (label: string) => {
      const messages = [];
      for (let partition = 0; partition < 6; partition++) {
        for (let index = 0; index < 3; index++) messages.push({ topic, partition, key: `p${partition}`, value: `${label}-p${partition}-${index}` });
      }
      await producer.send({ messages, acks: -1 });
      return messages.map((message) => message.value);
    };
    await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
    assertNoServerErrors(daemon);
  } finally {
    await producer.close();
    await Promise.all(members.map((member) => member.kill()));
    await daemon.cleanup();
  }
}));

test('committed offsets survive a clean restart and a SIGKILL of the broker; the group resumes after them', () => results.run('offsets-across-restart', async () => {
  const topic = 'platformatic-resume';
  const groupId = 'platformatic-resume-group';
  let daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 2 } } } } });
  const cleanups: Daemon[] = [daemon];
  try {
    const sequence = new KeyedSequence();
    const produce = async (rounds: number) => {
      const producer = producerOf(daemon.ports.kafka!, 'platformatic-resume-producer');
      const sent: KeyedRecord[] = [];
      for (let round = 0; round < rounds; round++) {
        const records = sequence.round('resume');
        await producer.send({ messages: records.map((record) => ({ topic, key: record.key, value: record.value, headers: record.headers })), acks: -1 });
        sent.push(...records);
      }
      await producer.close();
      return sent;
    };
    const first = await produce(5);
    assertInOrderPerKey(await consume(daemon.ports.kafka!, groupId, topic, first.length), first);
    const beforeRestart = await produce(2);

    const exit = await daemon.stop();
    assert.equal(exit, { code: 0, signal: null }, 'clean stop');
    daemon = await daemon.restart();
    cleanups.push(daemon);
    const afterRestart = [...beforeRestart, ...await produce(1)];
    const resumed = await consume(daemon.ports.kafka!, groupId, topic, afterRestart.length);
    assertInOrderPerKey(resumed, afterRestart);

    await daemon.kill();
    daemon = await daemon.restart();
    cleanups.push(daemon);
    const afterCrash = await produce(1);
    const resumedAfterCrash = await consume(daemon.ports.kafka!, groupId, topic, afterCrash.length);
    assertInOrderPerKey(resumedAfterCrash, afterCrash);
    // The resumed reads began at the commits: nothing read twice, nothing skipped.
    for (const partition of [0, 1]) {
      const stored = await readPartition(daemon.ports.kafka!, topic, partition);
      const readOffsets = [...resumed, ...resumedAfterCrash].filter((record) => record.partition === partition).map((record) => record.offset).sort((a, b) => (a < b ? -1 : 1));
      const firstResumed = stored.records.length - readOffsets.length;
      assert.equal(readOffsets, stored.records.slice(firstResumed).map((record) => record.offset), `partition ${partition} resumed at its committed offset`);
    }
    for (const instance of cleanups) assertNoServerErrors(instance);
  } finally {
    for (const instance of cleanups) await instance.cleanup();
  }
}));

test('an idempotent producer whose connection is cut after appends retries without duplicating a record', () => results.run('idempotent-link-cuts', async () => {
  const topic = 'platformatic-idempotent';
  const daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 1 } } } } });
  const proxy = await KafkaProxy.start(daemon.ports.kafka!);
  const producer = producerOf(proxy.port, 'platformatic-idempotent', { idempotent: true });
  try {
    const cutAt = new Set([3, 11, 19]);
    const values: string[] = [];
    for (let send = 0; send < 24; send++) {
      if (cutAt.has(send)) proxy.cutAfterNextProduce();
      const messages = [0, 1].map((index) => ({ topic, partition: 0, key: 'sensor', value: `r${send}-${index}`, headers: { send: String(send) } }));
      await within(producer.send({ messages, acks: -1 }), WAIT_MS, `acknowledgement of send ${send}`);
      values.push(...messages.map((message) => message.value));
    }
    assert.is(proxy.cuts, cutAt.size, 'each armed cut happened after the broker had the batch');
    assert.ok(proxy.producesForwarded >= 24 + cutAt.size, 'each cut batch was sent again');

    const stored = await readPartition(daemon.ports.kafka!, topic, 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), values, 'every record once, in order');
    assert.equal(stored.records.map((record) => record.offset), values.map((_value, index) => BigInt(index)), 'dense offsets');
    const producerIds = new Set(stored.batches.map((batch) => batch.header.producerId));
    assert.is(producerIds.size, 1, 'one producer id');
    assert.ok([...producerIds][0]! >= 0n, 'the batches carry the producer id the broker gave');
    assert.equal(stored.batches.map((batch) => batch.header.baseSequence), stored.batches.map((_batch, index) => index * 2), 'sequences without gaps or repeats');
    assertNoServerErrors(daemon);
  } finally {
    await producer.close();
    await proxy.close();
    await daemon.cleanup();
  }
}));

test.run();

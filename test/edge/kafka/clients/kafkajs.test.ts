// kafkajs 2.2 (old, non-flexible protocol versions) against the real daemon: every codec,
// keys and headers, consumer groups with a member killed, offsets across a broker restart,
// and an idempotent producer whose connection is cut after each of several appends.
import { checkRebalanceAfterKill, waitForEvenSplit } from './support/rebalance.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { Daemon } from '../../../helpers/daemon.ts';
import { KafkaProxy } from './support/kafka-proxy.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from './support/keyed-records.ts';
import { KAFKAJS_CODECS, kafkajsClient, type KafkaClient } from './support/kafkajs.ts';
import { readPartition } from './support/log-reader.ts';
import { MemberProcess, waitForMembers } from './support/member-process.ts';
import { within } from './support/timeout.ts';
import { assertNoServerErrors } from './support/server-log.ts';
import { ClientResults, npmPackageVersion } from '../../../helpers/client-results.ts';

/** Outcomes for the README's client matrix (npm run docs:clients). */
const results = new ClientResults({ client: 'kafkajs', version: npmPackageVersion('kafkajs'), distribution: 'npm' }, import.meta.filename);

const MEMBER_SCRIPT = resolve(import.meta.dirname, 'support/group-member.ts');
/** Kafka's smallest allowed session timeout here; a killed member is noticed this long after its last heartbeat. */
const SESSION_TIMEOUT_MS = 6000;
/** Generous bound for anything a client waits on, on a loaded two-core machine. */
const WAIT_MS = 30_000;

/**
 * Reads `topic` in group `groupId` from its committed offsets (or the start) until `count`
 * records arrived, then commits the offsets after them.
 */
async function consume(kafka: KafkaClient, groupId: string, topic: string, count: number): Promise<(KeyedRecord & { partition: number; offset: bigint })[]> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const received: (KeyedRecord & { partition: number; offset: bigint })[] = [];
  const done = Promise.withResolvers<void>();
  if (count === 0) done.resolve();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]));
        received.push({ partition, offset: BigInt(message.offset), key: message.key!.toString(), value: message.value!.toString(), headers });
        if (received.length >= count) done.resolve();
      },
    });
    await within(done.promise, WAIT_MS, `${count} records from ${topic} (got ${received.length})`);
    const next = new Map<number, bigint>();
    for (const record of received) if (record.offset + 1n > (next.get(record.partition) ?? 0n)) next.set(record.partition, record.offset + 1n);
    await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
  } finally {
    await consumer.disconnect();
  }
  return received;
}

test('produces keyed records with headers under every codec; a group reads each key back in order', () => results.runAll(['codec-none', 'codec-gzip', 'codec-snappy', 'codec-lz4', 'codec-zstd'], async () => {
  const daemon = await Daemon.start();
  const kafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-codecs');
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    const topic = 'kafkajs-codecs';
    await admin.connect();
    assert.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), 'topic created');
    await producer.connect();
    const sequence = new KeyedSequence();
    for (const [codec, compression] of Object.entries(KAFKAJS_CODECS)) {
      for (let round = 0; round < 3; round++) {
        const messages = sequence.round(codec).map((record) => ({ key: record.key, value: record.value, headers: record.headers }));
        await producer.send({ topic, compression, acks: -1, messages });
      }
    }
    const received = await consume(kafka, 'kafkajs-codecs-group', topic, sequence.sent.length);
    assertInOrderPerKey(received, sequence.sent);

    // What the broker kept: the batches as sent, compressed with each codec, nothing else.
    const codecsStored = new Set<number>();
    let storedRecords = 0;
    for (let partition = 0; partition < 3; partition++) {
      const stored = await readPartition(daemon.ports.kafka!, topic, partition);
      for (const batch of stored.batches) codecsStored.add(batch.header.compression);
      storedRecords += stored.records.length;
      stored.records.forEach((record, index) => assert.is(record.offset, BigInt(index), `offsets of partition ${partition} are dense`));
    }
    assert.equal([...codecsStored].sort(), [0, 1, 2, 3, 4], 'batches stored with no compression, gzip, snappy, lz4 and zstd');
    assert.is(storedRecords, sequence.sent.length);
    assertNoServerErrors(daemon);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await daemon.cleanup();
  }
}));

test('three members share six partitions; a member killed with SIGKILL has its partitions taken over', () => results.run('group-member-killed', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { 'kafkajs-shared': { partitions: 6 } } } } });
  const topic = 'kafkajs-shared';
  const groupId = 'kafkajs-shared-group';
  const options = JSON.stringify({ client: 'kafkajs', port: daemon.ports.kafka, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  const members = [0, 1, 2].map((index) => new MemberProcess(`kafkajs member ${index}`, process.execPath, [MEMBER_SCRIPT, options]));
  const kafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-shared-producer');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await waitForEvenSplit(members, 2, WAIT_MS);

    await producer.connect();
    const produceRound = async (label: string) => {
      const values: string[] = [];
      for (let partition = 0; partition < 6; partition++) {
        const messages = [0, 1, 2].map((index) => ({ partition, key: `p${partition}`, value: `${label}-p${partition}-${index}` }));
        await producer.send({ topic, acks: -1, messages });
        values.push(...messages.map((message) => message.value));
      }
      return values;
    };
    await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
    assertNoServerErrors(daemon);
  } finally {
    await producer.disconnect();
    await Promise.all(members.map((member) => member.kill()));
    await daemon.cleanup();
  }
}));

test('committed offsets survive a clean restart and a SIGKILL of the broker; the group resumes after them', () => results.run('offsets-across-restart', async () => {
  const topic = 'kafkajs-resume';
  const groupId = 'kafkajs-resume-group';
  let daemon = await Daemon.start({ config: { topics: { overrides: { [topic]: { partitions: 2 } } } } });
  const cleanups: Daemon[] = [daemon];
  try {
    const sequence = new KeyedSequence();
    const produce = async (port: number, rounds: number) => {
      const producer = kafkajsClient(port, 'kafkajs-resume-producer').producer({ allowAutoTopicCreation: false });
      await producer.connect();
      for (let round = 0; round < rounds; round++) {
        await producer.send({ topic, acks: -1, messages: sequence.round('resume').map((record) => ({ key: record.key, value: record.value, headers: record.headers })) });
      }
      await producer.disconnect();
    };
    await produce(daemon.ports.kafka!, 5);

    // Read everything, then commit a point in the middle of each partition by hand.
    const kafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-resume-consumer');
    const first = await consume(kafka, `${groupId}-reader`, topic, sequence.sent.length);
    const committed = [0, 1].map((partition) => BigInt(Math.floor(first.filter((record) => record.partition === partition).length / 2)));
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic, partitions: committed.map((offset, partition) => ({ partition, offset: String(offset) })) });
    await admin.disconnect();

    const exit = await daemon.stop();
    assert.equal(exit, { code: 0, signal: null }, 'clean stop');
    daemon = await daemon.restart();
    cleanups.push(daemon);
    await produce(daemon.ports.kafka!, 2);

    const expectedAfter = async (from: bigint[]) => {
      const expected: string[] = [];
      for (const partition of [0, 1]) {
        const stored = await readPartition(daemon.ports.kafka!, topic, partition);
        expected.push(...stored.records.filter((record) => record.offset >= from[partition]!).map((record) => `${partition}@${record.offset}:${record.value}`));
      }
      return expected.sort();
    };
    const describe = (records: { partition: number; offset: bigint; value: string }[]) => records.map((record) => `${record.partition}@${record.offset}:${record.value}`).sort();

    const resumedKafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-resume-consumer');
    const wanted = await expectedAfter(committed);
    const resumed = await consume(resumedKafka, groupId, topic, wanted.length);
    assert.equal(describe(resumed), wanted, 'after a clean restart the group reads from its committed offsets, nothing before');

    // The group committed what it read; a crash must not lose that commit either.
    const ends = [0, 1].map((partition) => resumed.filter((record) => record.partition === partition).reduce((max, record) => (record.offset + 1n > max ? record.offset + 1n : max), committed[partition]!));
    await daemon.kill();
    daemon = await daemon.restart();
    cleanups.push(daemon);
    await produce(daemon.ports.kafka!, 1);
    const crashKafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-resume-consumer');
    const wantedAfterCrash = await expectedAfter(ends);
    assert.is(wantedAfterCrash.length, 8, 'only the round produced after the crash is new');
    const afterCrash = await consume(crashKafka, groupId, topic, wantedAfterCrash.length);
    assert.equal(describe(afterCrash), wantedAfterCrash, 'after SIGKILL and restart the group resumes after its last commit');
    for (const instance of cleanups) assertNoServerErrors(instance);
  } finally {
    for (const instance of cleanups) await instance.cleanup();
  }
}));

test('an idempotent producer whose connection is cut after appends retries without duplicating a record', () => results.run('idempotent-link-cuts', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { 'kafkajs-idempotent': { partitions: 1 } } } } });
  const proxy = await KafkaProxy.start(daemon.ports.kafka!);
  const kafka = kafkajsClient(proxy.port, 'kafkajs-idempotent');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    const topic = 'kafkajs-idempotent';
    await producer.connect();
    const cutAt = new Set([3, 11, 19]);
    const values: string[] = [];
    for (let send = 0; send < 24; send++) {
      if (cutAt.has(send)) proxy.cutAfterNextProduce();
      const messages = [0, 1].map((index) => ({ key: 'sensor', value: `r${send}-${index}`, headers: { send: String(send) } }));
      await within(producer.send({ topic, acks: -1, messages }), WAIT_MS, `acknowledgement of send ${send}`);
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
    await producer.disconnect();
    await proxy.close();
    await daemon.cleanup();
  }
}));

test.run();

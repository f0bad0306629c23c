// kafkajs 2.2 transactions against the real daemon: a committed and an aborted transaction
// as read_committed and read_uncommitted consumers see them, sendOffsets in a transaction
// (the consumer group's offset moves only when it commits), and a zombie fenced by a new
// producer with the same transactional id.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import { kafkajsClient, type KafkaClient } from '../clients/support/kafkajs.ts';
import { within } from '../clients/support/timeout.ts';

/** Generous bound for anything a client waits on, on a loaded two-core machine. */
const WAIT_MS = 30_000;

let daemon: Daemon;
let kafka: KafkaClient;

test.before(async () => {
  daemon = await Daemon.start({ config: { topics: { defaults: { partitions: 1 } } } });
  kafka = kafkajsClient(daemon.ports.kafka!, 'kafkajs-transactions');
});

test.after(async () => {
  await daemon?.cleanup();
});

function transactionalProducer(transactionalId: string) {
  return kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
}

/** Reads `topic` from the start with a fresh group until `count` values arrived. */
async function readValues(topic: string, readUncommitted: boolean, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  const done = Promise.withResolvers<void>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => {
      values.push(message.value!.toString());
      if (values.length >= count) done.resolve();
    } });
    await within(done.promise, WAIT_MS, `${count} values of ${topic}`);
    return values;
  } finally {
    await consumer.disconnect();
  }
}

test('a committed transaction is read by read_committed consumers, an aborted one only by read_uncommitted ones', async () => {
  const producer = transactionalProducer('kafkajs-outcomes');
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: 'kjs-outcomes', messages: [{ value: 'kept-0' }, { value: 'kept-1' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'kjs-outcomes', messages: [{ value: 'dropped-0' }] });
    await aborted.abort();
    const later = await producer.transaction();
    await later.send({ topic: 'kjs-outcomes', messages: [{ value: 'later-0' }] });
    await later.commit();
  } finally {
    await producer.disconnect();
  }
  assert.equal(await readValues('kjs-outcomes', false, 3), ['kept-0', 'kept-1', 'later-0']);
  assert.equal(await readValues('kjs-outcomes', true, 4), ['kept-0', 'kept-1', 'dropped-0', 'later-0']);
});

test('sendOffsets: a group\'s offset moves with the transaction that commits it, not with one that aborts', async () => {
  const admin = kafka.admin();
  await admin.connect();
  const producer = transactionalProducer('kafkajs-offsets');
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'kjs-offsets-in', numPartitions: 1 }] });
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'kjs-offsets-out', messages: [{ value: 'a' }] });
    await aborted.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-offsets-in', partitions: [{ partition: 0, offset: '5' }] }] });
    await aborted.abort();
    const before = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-offsets-in'] });
    assert.is(before[0]!.partitions[0]!.offset, '-1', 'an aborted transaction commits no offsets');
    const committed = await producer.transaction();
    await committed.send({ topic: 'kjs-offsets-out', messages: [{ value: 'b' }] });
    await committed.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-offsets-in', partitions: [{ partition: 0, offset: '7' }] }] });
    await committed.commit();
    const after = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-offsets-in'] });
    assert.is(after[0]!.partitions[0]!.offset, '7');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

test('a second producer with the same transactional id fences the first', async () => {
  const zombie = transactionalProducer('kafkajs-fenced');
  const successor = transactionalProducer('kafkajs-fenced');
  await zombie.connect();
  try {
    const old = await zombie.transaction();
    await old.send({ topic: 'kjs-fenced', messages: [{ value: 'zombie' }] });
    await successor.connect();
    const current = await successor.transaction();
    await current.send({ topic: 'kjs-fenced', messages: [{ value: 'successor' }] });
    await current.commit();
    let refused: Error | undefined;
    try {
      await old.commit();
    } catch (error) {
      refused = error as Error;
    }
    assert.ok(refused !== undefined, 'the zombie cannot commit');
    assert.match(`${refused.name} ${(refused as { type?: string }).type ?? ''}`, /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|ProducerFenced/);
  } finally {
    await zombie.disconnect();
    await successor.disconnect();
  }
  assert.equal(await readValues('kjs-fenced', false, 1), ['successor']);
});

test.run();

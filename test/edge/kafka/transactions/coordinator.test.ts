// The transaction coordinator in-process, with the real log store, group coordinator and
// producer-id allocator on a temporary data directory and a clock the test moves: a
// transaction that outlives its timeout is aborted and its producer fenced; offsets of
// TxnOffsetCommit reach the group only when the transaction commits, also after a restart
// in between; and a transaction whose commit was decided before a crash is completed when
// the coordinator opens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { ErrorCode } from '../../../../shared/kafka/protocol/error-codes.ts';
import { GroupCoordinator } from '../../../../edge/kafka/groups/coordinator.ts';
import { ProducerIdAllocator } from '../../../../edge/kafka/producer-ids.ts';
import { TransactionCoordinator } from '../../../../edge/kafka/transactions/coordinator.ts';
import { TransactionStore } from '../../../../edge/kafka/transactions/transaction-store.ts';
import type { LogStore } from '../../../../edge/storage/index.ts';
import { openStore, removeDirectory, temporaryDirectory } from '../../storage/helpers.ts';

const TOPIC = 'out';

interface Parts {
  dataDir: string;
  store: LogStore;
  groups: GroupCoordinator;
  producerIds: ProducerIdAllocator;
  transactions: TransactionCoordinator;
  clock: { now: number };
}

async function open(dataDir: string, clock = { now: 1_000_000 }): Promise<Parts> {
  const store = await openStore(dataDir);
  if (store.describeTopic(TOPIC) === undefined) await store.createTopic(TOPIC, { partitions: 2 });
  const groups = await GroupCoordinator.open({ dataDir, partitionExists: (topic, partition) => (store.describeTopic(topic)?.partitions ?? 0) > partition });
  const producerIds = await ProducerIdAllocator.open({ dataDir });
  const transactions = await TransactionCoordinator.open({ dataDir, store, groups, producerIds, now: () => clock.now, timeoutCheckIntervalMs: 3_600_000 });
  return { dataDir, store, groups, producerIds, transactions, clock };
}

async function close(parts: Parts): Promise<void> {
  await parts.transactions.close();
  await parts.groups.close();
  await parts.producerIds.close();
  await parts.store.close();
}

async function begin(parts: Parts, transactionalId: string, timeoutMs = 60_000): Promise<{ producerId: bigint; producerEpoch: number }> {
  const init = await parts.transactions.initProducerId({ transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
  assert.is(init.errorCode, ErrorCode.NONE);
  const added = await parts.transactions.addPartitions({ v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
  assert.is(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
  assert.is(parts.transactions.verifyPartition(init.producerId, init.producerEpoch, TOPIC, 0), ErrorCode.NONE);
  assert.is(parts.transactions.verifyPartition(init.producerId, init.producerEpoch, TOPIC, 1), ErrorCode.INVALID_TXN_STATE, 'a partition not added is refused');
  await parts.store.partition(TOPIC, 0).append(encodeRecordBatch({ producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, isTransactional: true, records: [{ value: transactionalId }] }));
  return { producerId: init.producerId, producerEpoch: init.producerEpoch };
}

test('a transaction that outlives its timeout is aborted, and its producer fenced', async () => {
  const dataDir = temporaryDirectory();
  const parts = await open(dataDir);
  try {
    const producer = await begin(parts, 'slow', 1_000);
    const log = parts.store.partition(TOPIC, 0);
    assert.is(log.lastStableOffset, 0n);
    parts.clock.now += 999;
    await parts.transactions.abortTimedOut();
    assert.is(parts.transactions.stateOf('slow'), 'Ongoing', 'not before its timeout');
    parts.clock.now += 2;
    await parts.transactions.abortTimedOut();
    assert.is(parts.transactions.stateOf('slow'), 'CompleteAbort');
    assert.is(log.lastStableOffset, log.highWatermark);
    assert.equal(log.abortedTransactions(0n, log.highWatermark), [{ producerId: producer.producerId, firstOffset: 0n, lastOffset: 1n }]);
    assert.is(await parts.transactions.endTransaction({ transactionalId: 'slow', ...producer, committed: true }), ErrorCode.PRODUCER_FENCED);
    assert.is(parts.transactions.verifyPartition(producer.producerId, producer.producerEpoch, TOPIC, 0), ErrorCode.INVALID_PRODUCER_EPOCH);
    const described = parts.transactions.describe(['slow', 'unknown']).transactionStates;
    assert.equal(described.map((state) => [state.transactionalId, state.errorCode, state.transactionState]), [['slow', ErrorCode.NONE, 'CompleteAbort'], ['unknown', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, '']]);
  } finally {
    await close(parts);
    removeDirectory(dataDir);
  }
});

test('TxnOffsetCommit offsets reach the group only when the transaction commits, across a restart in between', async () => {
  const dataDir = temporaryDirectory();
  let parts = await open(dataDir);
  try {
    const producer = await begin(parts, 'offsets');
    assert.is(await parts.transactions.addOffsets({ transactionalId: 'offsets', ...producer, groupId: 'readers' }), ErrorCode.NONE);
    const answer = await parts.transactions.commitOffsets({ transactionalId: 'offsets', groupId: 'readers', ...producer, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.is(answer.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const committedOffset = (p: Parts): bigint => p.groups.fetchOffsets({ groupId: 'readers', topics: [{ name: TOPIC, partitionIndexes: [1] }] }).topics[0]!.partitions[0]!.committedOffset;
    assert.is(committedOffset(parts), -1n, 'pending until the commit');
    await close(parts);
    parts = await open(dataDir, parts.clock);
    assert.is(parts.transactions.stateOf('offsets'), 'Ongoing', 'the transaction is still under way after the restart');
    assert.is(parts.store.partition(TOPIC, 0).lastStableOffset, 0n);
    assert.is(await parts.transactions.endTransaction({ transactionalId: 'offsets', ...producer, committed: true }), ErrorCode.NONE);
    assert.is(committedOffset(parts), 42n);
    const log = parts.store.partition(TOPIC, 0);
    assert.is(log.lastStableOffset, log.highWatermark);
    assert.equal(log.abortedTransactions(0n, log.highWatermark), []);
    assert.is(await parts.transactions.endTransaction({ transactionalId: 'offsets', ...producer, committed: true }), ErrorCode.NONE, 'a retried EndTxn gets the same answer');
    assert.is(await parts.transactions.endTransaction({ transactionalId: 'offsets', ...producer, committed: false }), ErrorCode.INVALID_TXN_STATE);
  } finally {
    await close(parts);
    removeDirectory(dataDir);
  }
});

test('a commit decided before a crash (PrepareCommit) gets its markers and offsets when the coordinator opens', async () => {
  const dataDir = temporaryDirectory();
  let parts = await open(dataDir);
  try {
    const producer = await begin(parts, 'decided');
    await close(parts);
    // The state a crash between the decision and its markers leaves.
    const store = await TransactionStore.open(dataDir);
    const [record] = (await store.loadAll()).filter((candidate) => candidate.transactionalId === 'decided');
    assert.ok(record !== undefined && record.state === 'Ongoing');
    const writes = [{ topic: TOPIC, partition: 1, committed: { offset: 9n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1n } }];
    await store.addPendingOffsets('decided', 'decided-group', writes);
    await store.save({ ...record, state: 'PrepareCommit', groups: new Set(['decided-group']) });
    await store.close();
    parts = await open(dataDir, parts.clock);
    assert.is(parts.transactions.stateOf('decided'), 'CompleteCommit');
    const log = parts.store.partition(TOPIC, 0);
    assert.is(log.lastStableOffset, log.highWatermark, 'the commit marker was written');
    assert.equal(log.abortedTransactions(0n, log.highWatermark), []);
    assert.is(parts.groups.fetchOffsets({ groupId: 'decided-group', topics: [{ name: TOPIC, partitionIndexes: [1] }] }).topics[0]!.partitions[0]!.committedOffset, 9n);
    assert.is(parts.transactions.verifyPartition(producer.producerId, producer.producerEpoch, TOPIC, 0), ErrorCode.INVALID_TXN_STATE, 'the transaction has ended');
  } finally {
    await close(parts);
    removeDirectory(dataDir);
  }
});

test.run();

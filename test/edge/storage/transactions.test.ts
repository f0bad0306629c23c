// Transactions in the log (KIP-98): the last stable offset stays below the earliest open
// transaction, markers end transactions through the write path, aborted transactions are
// listed for read_committed reads, and all of it comes back after a clean close and after a
// crash (a copy of the data directory taken while the store runs, as a power cut leaves it).
import { cpSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../../shared/errors.ts';
import { encodeMarkerBatch } from '../../../shared/kafka/control-batch.ts';
import { batchOf, openStore, storePerTest, temporaryDirectory, removeDirectory } from './helpers.ts';

const current = storePerTest(test);
const TOPIC = 'txn';

function transactional(producerId: bigint, epoch: number, sequence: number, tag: string, count = 2): Buffer {
  return batchOf(tag, count, { producerId, producerEpoch: epoch, baseSequence: sequence, isTransactional: true });
}

async function rejectsWith(work: Promise<unknown>, code: 'PRODUCER_FENCED' | 'INVALID_RECORD_BATCH'): Promise<string> {
  try {
    await work;
  } catch (error) {
    assert.ok(isTributaryError(error, code), `expected ${code}, got ${String(error)}`);
    return (error as Error).message;
  }
  assert.unreachable(`expected ${code}`);
  return '';
}

test('the last stable offset waits for the earliest open transaction; an abort marker lists it as aborted, a commit marker does not', async () => {
  const store = (current.store = await openStore(current.dataDir));
  await store.createTopic(TOPIC, { partitions: 1 });
  const log = store.partition(TOPIC, 0);
  await log.append(transactional(7n, 0, 0, 'a'));       // 0-1, producer 7
  await log.append(batchOf('plain'));                    // 2
  await log.append(transactional(8n, 0, 0, 'b'));       // 3-4, producer 8
  assert.is(log.highWatermark, 5n);
  assert.is(log.lastStableOffset, 0n);
  assert.is(log.firstUnstableOffset(), 0n);
  assert.is((await log.read(0n, 1 << 20, { committedOnly: true })).batches.length, 0, 'read_committed sees nothing below an open transaction');
  assert.ok((await log.read(0n, 1 << 20)).batches.length > 0, 'read_uncommitted sees everything');

  const abort = await log.appendMarker({ producerId: 7n, producerEpoch: 0, marker: 'abort', coordinatorEpoch: 0 });
  assert.is(abort.baseOffset, 5n);
  assert.is(log.lastStableOffset, 3n, 'now producer 8 holds it back');
  assert.equal(log.abortedTransactions(0n, 6n), [{ producerId: 7n, firstOffset: 0n, lastOffset: 5n }]);
  const committedRead = await log.read(0n, 1 << 20, { committedOnly: true });
  let last = -1n;
  for (let position = 0; position < committedRead.batches.length;) {
    last = committedRead.batches.readBigInt64BE(position) + BigInt(committedRead.batches.readInt32BE(position + 23));
    position += committedRead.batches.readInt32BE(position + 8) + 12;
  }
  assert.is(last, 2n, 'read_committed stops below the last stable offset');

  await log.appendMarker({ producerId: 8n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
  assert.is(log.lastStableOffset, log.highWatermark);
  assert.is(log.firstUnstableOffset(), undefined);
  assert.equal(log.abortedTransactions(0n, log.highWatermark), [{ producerId: 7n, firstOffset: 0n, lastOffset: 5n }], 'a commit aborts nothing');
  assert.equal(log.abortedTransactions(6n, log.highWatermark), [], 'an aborted transaction ending before the range is not listed');
});

test('a marker from an older epoch is fenced, and producers cannot write control batches', async () => {
  const store = (current.store = await openStore(current.dataDir));
  await store.createTopic(TOPIC, { partitions: 1 });
  const log = store.partition(TOPIC, 0);
  await log.append(transactional(9n, 3, 0, 'c'));
  await rejectsWith(log.appendMarker({ producerId: 9n, producerEpoch: 2, marker: 'commit', coordinatorEpoch: 0 }), 'PRODUCER_FENCED');
  const message = await rejectsWith(log.append(encodeMarkerBatch({ producerId: 9n, producerEpoch: 3, marker: 'commit', coordinatorEpoch: 0 })), 'INVALID_RECORD_BATCH');
  assert.match(message, /only the transaction coordinator writes control batches/);
  assert.is(log.lastStableOffset, 0n, 'neither ended the transaction');
  // A marker with a newer epoch (a coordinator's abort after a timeout) fences the producer's old epoch.
  await log.appendMarker({ producerId: 9n, producerEpoch: 4, marker: 'abort', coordinatorEpoch: 0 });
  await rejectsWith(log.append(transactional(9n, 3, 2, 'late')), 'PRODUCER_FENCED');
  assert.is(log.lastStableOffset, log.highWatermark);
});

for (const how of ['a clean close', 'a crash'] as const) {
  test(`open transactions and aborted ones come back after ${how}, across a segment roll`, async () => {
    let store = (current.store = await openStore(current.dataDir, { topicDefaults: { segmentBytes: 1024 } }));
    await store.createTopic(TOPIC, { partitions: 1 });
    let log = store.partition(TOPIC, 0);
    await log.append(transactional(1n, 0, 0, 'aborted'));      // 0-1
    await log.append(transactional(2n, 0, 0, 'open'));         // 2-3
    for (let index = 0; index < 12; index++) await log.append(batchOf(`filler-${index}`, 2)); // rolls segments
    await log.appendMarker({ producerId: 1n, producerEpoch: 0, marker: 'abort', coordinatorEpoch: 0 });
    await log.append(transactional(3n, 0, 0, 'late-aborted')); // after the last roll's snapshot
    await log.appendMarker({ producerId: 3n, producerEpoch: 0, marker: 'abort', coordinatorEpoch: 0 });
    assert.ok(log.segments.length > 1, 'the log rolled');
    const highWatermark = log.highWatermark;
    const aborted = log.abortedTransactions(0n, highWatermark);
    assert.is(aborted.length, 2);
    let dataDir = current.dataDir;
    if (how === 'a crash') {
      dataDir = temporaryDirectory();
      cpSync(current.dataDir, dataDir, { recursive: true });
      await store.close();
      current.store = undefined;
    } else {
      await store.close();
    }
    try {
      store = await openStore(dataDir, { topicDefaults: { segmentBytes: 1024 } });
      log = store.partition(TOPIC, 0);
      assert.is(log.highWatermark, highWatermark);
      assert.is(log.lastStableOffset, 2n, 'producer 2\'s transaction is still open');
      assert.equal(log.abortedTransactions(0n, highWatermark), aborted);
      await log.appendMarker({ producerId: 2n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
      assert.is(log.lastStableOffset, log.highWatermark);
      await store.close();
    } finally {
      if (dataDir !== current.dataDir) removeDirectory(dataDir);
    }
  });
}

test.run();

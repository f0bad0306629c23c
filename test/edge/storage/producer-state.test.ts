import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError, type ErrorCode } from '../../../shared/errors.ts';
import { encodeRecordBatch, readBatchHeader } from '../../../shared/kafka/record-batch.ts';
import { PRODUCER_BATCHES_KEPT, ProducerStateManager } from '../../../edge/storage/producer-state.ts';
import { openStore, removeDirectory, temporaryDirectory } from './helpers.ts';

function batch(producerId: bigint, epoch: number, sequence: number, count = 1): Buffer {
  return encodeRecordBatch({ producerId, producerEpoch: epoch, baseSequence: sequence, records: Array.from({ length: count }, (_, i) => ({ value: `p${producerId}e${epoch}s${sequence + i}`, timestampMs: BigInt(Date.now()) })) });
}

function header(producerId: bigint, epoch: number, sequence: number, count = 1) {
  return readBatchHeader(batch(producerId, epoch, sequence, count));
}

function throwsCode(work: () => unknown, code: ErrorCode): void {
  try {
    work();
  } catch (error) {
    assert.ok(isTributaryError(error, code), `expected ${code}, got ${String(error)}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('sequence rules (KIP-98): in order, duplicates among the last five, gaps, fencing, new epochs', () => {
  const state = new ProducerStateManager('t-0');
  let offset = 0n;
  const append = (epoch: number, sequence: number, count = 1): void => {
    const h = header(1n, epoch, sequence, count);
    assert.equal(state.check(h), { kind: 'append' });
    state.apply(h, offset);
    offset += BigInt(count);
  };
  assert.equal(state.check(header(1n, 0, 77)), { kind: 'append' }, 'an unknown producer may start anywhere (KIP-360)');
  append(0, 0, 3);
  append(0, 3, 2);
  const duplicate = state.check(header(1n, 0, 0, 3));
  assert.ok(duplicate.kind === 'duplicate');
  assert.is(duplicate.batch.firstOffset, 0n);
  assert.is(duplicate.batch.lastOffset, 2n);
  throwsCode(() => state.check(header(1n, 0, 6)), 'OUT_OF_ORDER_SEQUENCE');
  throwsCode(() => state.check(header(1n, 0, 0, 2)), 'OUT_OF_ORDER_SEQUENCE');
  for (let sequence = 5; sequence < 5 + PRODUCER_BATCHES_KEPT; sequence++) append(0, sequence);
  throwsCode(() => state.check(header(1n, 0, 0, 3)), 'OUT_OF_ORDER_SEQUENCE');
  assert.is(state.get(1n)!.batches.length, PRODUCER_BATCHES_KEPT);
  append(1, 0);
  throwsCode(() => state.check(header(1n, 0, 11)), 'PRODUCER_FENCED');
  throwsCode(() => state.check(header(1n, 2, 4)), 'OUT_OF_ORDER_SEQUENCE');
  assert.equal(state.check(header(1n, 2, 0)), { kind: 'append' });
  throwsCode(() => state.check(readBatchHeader(encodeRecordBatch({ producerId: 1n, producerEpoch: 1, baseSequence: -1, records: [{ value: 'x' }] }))), 'INVALID_RECORD_BATCH');
});

test('sequence numbers wrap from Int32 max to 0', () => {
  const state = new ProducerStateManager('t-0');
  state.apply(header(5n, 0, 0x7ffffffe, 2), 0n);
  assert.is(state.get(5n)!.batches[0]!.lastSequence, 0x7fffffff);
  assert.equal(state.check(header(5n, 0, 0)), { kind: 'append' });
  throwsCode(() => state.check(header(5n, 0, 1)), 'OUT_OF_ORDER_SEQUENCE');
});

test('rollback undoes changes at and after an offset; commit makes them permanent', () => {
  const state = new ProducerStateManager('t-0');
  state.apply(header(1n, 0, 0), 0n);
  state.apply(header(1n, 0, 1), 1n);
  state.apply(header(2n, 0, 0), 2n);
  state.commit(1n);
  assert.is(state.pendingChanges, 2);
  state.rollback(1n);
  assert.is(state.get(2n), undefined);
  assert.is(state.get(1n)!.batches.length, 1);
  state.rollback(0n);
  assert.is(state.get(1n)!.batches.length, 1, 'committed changes stay');
});

test('snapshots round-trip and a damaged snapshot is refused', () => {
  const state = new ProducerStateManager('t-0');
  for (let i = 0; i < 8; i++) state.apply(header(BigInt(i % 3), 2, Math.floor(i / 3) * 2, 2), BigInt(i * 2));
  state.commit(100n);
  const snapshot = state.snapshot(16n);
  const restored = ProducerStateManager.restore('t-0', snapshot);
  assert.ok('state' in restored);
  assert.is(restored.offset, 16n);
  for (const id of [0n, 1n, 2n]) assert.equal(restored.state.get(id), state.get(id));
  const damaged = Buffer.from(snapshot);
  damaged[25]! ^= 1;
  assert.ok('problem' in ProducerStateManager.restore('t-0', damaged));
});

test('the log answers a retry with the original offsets and appends nothing', async () => {
  const dataDir = temporaryDirectory();
  const store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 0 } });
  try {
    await store.createTopic('t');
    const log = store.partition('t', 0);
    await log.append(batch(3n, 0, 0, 4));
    const original = await log.append(batch(3n, 0, 4, 2));
    const endBefore = log.logEndOffset;
    const retry = await log.append(batch(3n, 0, 4, 2));
    assert.equal(retry, { ...original, duplicate: true });
    assert.is(log.logEndOffset, endBefore);

    // A retry sent while the original is still in the same group is also recognised.
    const [first, second] = await Promise.all([log.append(batch(3n, 0, 6, 3)), log.append(batch(3n, 0, 6, 3))]);
    assert.is(first.duplicate, false);
    assert.equal(second, { ...first, duplicate: true });

    for (const [sequence, epoch, code] of [[20, 0, 'OUT_OF_ORDER_SEQUENCE'], [9, 1, 'OUT_OF_ORDER_SEQUENCE']] as const) {
      try {
        await log.append(batch(3n, epoch, sequence));
        assert.unreachable();
      } catch (error) {
        assert.ok(isTributaryError(error, code), String(error));
        assert.ok((error as Error).message.includes('t-0'), 'names the partition');
      }
    }
    await log.append(batch(3n, 1, 0));
    try {
      await log.append(batch(3n, 0, 9));
      assert.unreachable();
    } catch (error) {
      assert.ok(isTributaryError(error, 'PRODUCER_FENCED'), String(error));
    }
    assert.is(log.logEndOffset, endBefore + 4n, 'only the two good appends were added');
  } finally {
    await store.close();
    removeDirectory(dataDir);
  }
});

test('idempotence survives a clean restart', async () => {
  const dataDir = temporaryDirectory();
  try {
    let store = await openStore(dataDir);
    await store.createTopic('t');
    const original = await store.partition('t', 0).append(batch(8n, 2, 0, 5));
    await store.close();
    store = await openStore(dataDir);
    const retry = await store.partition('t', 0).append(batch(8n, 2, 0, 5));
    assert.equal(retry, { ...original, duplicate: true });
    await store.close();
  } finally {
    removeDirectory(dataDir);
  }
});

test.run();

// The transaction store's database is opened at start only when it exists, since recovery
// reads it; otherwise at the first write, so that a device whose clients never use
// transactions keeps no connection for them. What it writes reads back after a reopen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSACTIONS_DATABASE_PATH, TransactionStore, type TransactionRecord } from '../../../../edge/kafka/transactions/transaction-store.ts';

function ongoing(transactionalId: string): TransactionRecord {
  return {
    transactionalId,
    producerId: 2n ** 60n + 1n,
    producerEpoch: 3,
    state: 'Ongoing',
    timeoutMs: 60_000,
    startMs: 1_000,
    updatedMs: 1_000,
    partitions: new Map([['orders', new Set([0, 2])]]),
    groups: new Set(['billing']),
    pendingOffsets: new Map(),
  };
}

test('a data directory without transactions gets no database until the first write, which creates it; a reopen reads what it holds', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-transactions-'));
  const path = join(dataDir, TRANSACTIONS_DATABASE_PATH);
  try {
    const store = await TransactionStore.open(dataDir);
    assert.equal(await store.loadAll(), []);
    assert.not.ok(existsSync(path), 'nothing created by opening and reading');
    await store.save(ongoing('checkout'));
    assert.ok(existsSync(path), 'created by the first write');
    await store.addPendingOffsets('checkout', 'billing', [{ topic: 'orders', partition: 0, committed: { offset: 41n, leaderEpoch: -1, metadata: '', commitTimestampMs: 5n } }]);
    await store.close();

    const reopened = await TransactionStore.open(dataDir);
    try {
      const [record, ...others] = await reopened.loadAll();
      assert.is(others.length, 0);
      assert.is(record?.transactionalId, 'checkout');
      assert.is(record?.state, 'Ongoing');
      assert.is(record?.producerId, 2n ** 60n + 1n);
      assert.equal([...record!.partitions.get('orders')!].sort(), [0, 2]);
      assert.is(record?.pendingOffsets.get('billing')?.[0]?.committed.offset, 41n);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a store closed without a write leaves the data directory as it was', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-transactions-'));
  try {
    const store = await TransactionStore.open(dataDir);
    await store.close();
    assert.not.ok(existsSync(join(dataDir, TRANSACTIONS_DATABASE_PATH)));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();

// A failed fdatasync, as Linux reports it (the "fsyncgate" behaviour PostgreSQL met in
// 2018): the error is reported once, to one fdatasync, and the dirty pages it covered may
// be dropped while marked clean, so that a later fdatasync reports success for bytes that
// never reached the disk. The disk below does exactly that: a failed fdatasync overwrites
// what it covered with zeros, as the data on the device would be. A log that trusted any
// later fdatasync for those bytes would acknowledge records that are gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { isTributaryError } from '../../../shared/errors.ts';
import { decodeRecords, encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { errnoError, type FaultInjector, type FileOperation } from '../../../edge/storage/index.ts';
import { batchOf, openStore, readAll, storePerTest } from './helpers.ts';

interface LosingDisk {
  faults: FaultInjector;
  /** Every file operation of a segment file, in the order they were issued. */
  operations: { operation: FileOperation; path: string }[];
  failures: number;
}

/** Segment files whose fdatasync fails when `fail` says so, losing what it covered. */
function losingDisk(fail: (path: string) => boolean): LosingDisk {
  const syncedBytes = new Map<string, number>();
  const disk: LosingDisk = {
    operations: [],
    failures: 0,
    faults: (operation, path) => {
      if (!path.endsWith('.log')) return undefined;
      disk.operations.push({ operation, path });
      if (operation !== 'sync') return undefined;
      const size = statSync(path).size;
      if (!fail(path)) {
        syncedBytes.set(path, size);
        return undefined;
      }
      disk.failures += 1;
      const from = Math.min(syncedBytes.get(path) ?? 0, size);
      if (size > from) {
        const fd = openSync(path, 'r+');
        try {
          writeSync(fd, Buffer.alloc(size - from), 0, size - from, from);
        } finally {
          closeSync(fd);
        }
      }
      return errnoError('EIO', path);
    },
  };
  return disk;
}

const each = storePerTest(test);


test('no append whose bytes a failed fdatasync covered is acknowledged, with rolls and several partitions under way', async () => {
  let syncs = 0;
  const disk = losingDisk(() => ++syncs % 5 === 0 && syncs <= 300);
  const store = (each.store = await openStore(each.dataDir, { storage: { groupCommitMaxWaitMs: 0 }, topicDefaults: { segmentBytes: 2048 }, fileFaults: disk.faults }));
  await store.createTopic('t', { partitions: 3 });
  const acknowledged = new Map<string, Buffer>();
  let refused = 0;
  for (let round = 0; round < 40; round++) {
    await Promise.all(Array.from({ length: 15 }, async (_, i) => {
      const partition = i % 3;
      const batch = batchOf(`r${round}.${i}`, 1 + (i % 4));
      try {
        const result = await store.partition('t', partition).append(batch);
        acknowledged.set(`${partition}@${result.baseOffset}`, Buffer.from(batch));
      } catch (error) {
        assert.ok(isTributaryError(error, 'STORAGE_IO'), String(error));
        refused += 1;
      }
    }));
  }
  assert.ok(disk.failures > 10, `${disk.failures} fdatasyncs failed`);
  assert.ok(refused > 0, 'appends covered by a failed fdatasync were refused');
  const segments = store.partition('t', 0).segments.length;
  assert.ok(segments > 5, `${segments} segments: they rolled meanwhile`);
  await store.close();
  const reopened = (each.store = await openStore(each.dataDir));
  assert.equal(reopened.recoveryReport.truncations, [], 'every lost byte was cut off before the store closed');
  for (const partition of [0, 1, 2]) {
    const stored = await readAll(reopened, 't', partition);
    const expected = [...acknowledged].filter(([key]) => key.startsWith(`${partition}@`));
    assert.is(stored.size, expected.length, `partition ${partition} holds exactly the acknowledged appends`);
    for (const [key, batch] of expected) assert.equal(stored.get(BigInt(key.split('@')[1]!)), batch, `acknowledged ${key} is intact`);
  }
});

test('the cut after a failed fdatasync is synced before the refused append is answered', async () => {
  let failNext = false;
  const disk = losingDisk(() => {
    const fail = failNext;
    failNext = false;
    return fail;
  });
  const store = (each.store = await openStore(each.dataDir, { storage: { groupCommitMaxWaitMs: 0 }, fileFaults: disk.faults }));
  await store.createTopic('t');
  const log = store.partition('t', 0);
  await log.append(batchOf('kept'));
  const path = log.segments[0]!.path;
  const sizeBytes = statSync(path).size;
  failNext = true;
  disk.operations = [];
  let seenWhenRefused: FileOperation[] = [];
  await log.append(batchOf('lost')).then(
    () => assert.unreachable('the append was covered by the failed fdatasync'),
    (error: unknown) => {
      assert.ok(isTributaryError(error, 'STORAGE_IO'), String(error));
      seenWhenRefused = disk.operations.filter((entry) => entry.path === path).map((entry) => entry.operation);
    },
  );
  assert.equal(seenWhenRefused, ['write', 'sync', 'truncate', 'sync'], 'written, the sync failed, cut, the cut synced, then refused');
  assert.is(statSync(path).size, sizeBytes);
  assert.is((await log.append(batchOf('next'))).baseOffset, 1n, 'the next append takes the refused one\'s offset');
});

test('a failed fdatasync at a clean close cuts the unsynced appends off and refuses them (flush policy interval)', async () => {
  let failSyncs = false;
  const disk = losingDisk(() => failSyncs);
  const store = (each.store = await openStore(each.dataDir, { storage: { groupCommitMaxWaitMs: 0 }, fileFaults: disk.faults }));
  await store.createTopic('t', { flush: { policy: 'interval', intervalMs: 60_000 } });
  const log = store.partition('t', 0);
  // The first sync of the partition is due at once; the next one only after intervalMs.
  await log.append(batchOf('synced'));
  const pending = log.append(batchOf('unsynced', 3));
  const outcome = pending.then(() => 'acknowledged', (error: unknown) => (isTributaryError(error, 'STORAGE_IO') ? 'refused' : String(error)));
  while (log.logEndOffset < 4n) await new Promise((resolve) => setImmediate(resolve));
  assert.is(log.highWatermark, 1n, 'written, not yet synced');
  failSyncs = true;
  await store.close();
  assert.is(await outcome, 'refused');
  failSyncs = false;
  const reopened = (each.store = await openStore(each.dataDir));
  assert.equal(reopened.recoveryReport.truncations, [], 'nothing torn was left behind');
  const stored = await readAll(reopened, 't', 0);
  assert.equal([...stored.values()].map((batch) => decodeRecords(batch)[0]!.key!.toString()), ['synced']);
  assert.is(reopened.partition('t', 0).logEndOffset, 1n);
});

test('appends handed down behind a failed write are planned again after the cut, in order', async () => {
  let failWrites = 1;
  const store = (each.store = await openStore(each.dataDir, {
    storage: { groupCommitMaxWaitMs: 0 },
    fileFaults: (operation, path) => (operation === 'write' && path.endsWith('.log') && failWrites-- > 0 ? errnoError('ENOSPC', path) : undefined),
  }));
  await store.createTopic('t');
  const log = store.partition('t', 0);
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => log.append(encodeRecordBatch({ records: [{ key: `k${i}`, value: `v${i}` }] }))));
  assert.is(outcomes[0]!.status, 'rejected', 'the first group failed');
  if (outcomes[0]!.status === 'rejected') assert.ok(isTributaryError(outcomes[0]!.reason, 'STORAGE_DISK_FULL'), String(outcomes[0]!.reason));
  const later = outcomes.slice(1);
  assert.ok(later.every((outcome) => outcome.status === 'fulfilled'), 'the writes queued behind it were planned again');
  assert.equal(later.map((outcome) => (outcome as PromiseFulfilledResult<{ baseOffset: bigint }>).value.baseOffset), [0n, 1n, 2n, 3n, 4n, 5n, 6n], 'from the cut on, in arrival order');
  const stored = await readAll(store, 't', 0);
  assert.equal([...stored.values()].map((batch) => decodeRecords(batch)[0]!.key!.toString()), ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
});

test.run();

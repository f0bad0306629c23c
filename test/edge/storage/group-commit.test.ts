// Group commit and flush policies, observed through the file layer: which writes and
// fdatasyncs reach which file, and what readers can see at the moment of a sync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FileOperation } from '../../../edge/storage/index.ts';
import type { LogStore } from '../../../edge/storage/index.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { batchOf, openStore, storePerTest, type TestStoreOptions } from './helpers.ts';

interface Operation {
  operation: FileOperation;
  path: string;
  atMs: number;
}

const each = storePerTest(test);
let operations: Operation[] = [];
let onOperation: ((operation: Operation) => void) | undefined;

async function open(options: TestStoreOptions = {}): Promise<LogStore> {
  each.store = await openStore(each.dataDir, {
    ...options,
    fileFaults: (operation, path) => {
      const entry = { operation, path, atMs: performance.now() };
      operations.push(entry);
      onOperation?.(entry);
      return undefined;
    },
  });
  return each.store;
}

function count(operation: FileOperation, pathPart: string): number {
  return operations.filter((entry) => entry.operation === operation && entry.path.includes(pathPart) && entry.path.endsWith('.log')).length;
}

test.before.each(() => {
  operations = [];
  onOperation = undefined;
});

test('appends to four partitions arriving together cost one write and one fdatasync per file', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 200 } });
  await log.createTopic('t', { partitions: 4 });
  operations = [];
  const appends = [];
  for (let i = 0; i < 100; i++) appends.push(log.partition('t', i % 4).append(batchOf(`g${i}`, 3)));
  const results = await Promise.all(appends);
  for (let partition = 0; partition < 4; partition++) {
    assert.is(count('write', `t-${partition}/`), 1, `one write for partition ${partition}`);
    assert.is(count('sync', `t-${partition}/`), 1, `one fdatasync for partition ${partition}`);
    assert.is(log.partition('t', partition).highWatermark, 75n);
  }
  assert.is(results.filter((result) => result.baseOffset === 0n).length, 4);
});

test('natural batching: appends that arrive during a sync share the next one', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 0 } });
  await log.createTopic('t');
  operations = [];
  await Promise.all(Array.from({ length: 200 }, (_, i) => log.partition('t', 0).append(batchOf(`n${i}`))));
  const syncs = count('sync', 't-0/');
  assert.ok(syncs >= 1 && syncs <= 5, `${syncs} fdatasyncs for 200 appends`);
});

test('while the disk is idle, a group starts as soon as it holds groupCommitStartBytes; a smaller one waits for company', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 1000, groupCommitStartBytes: 4096 } });
  await log.createTopic('t');
  // The first append opens the active segment; it waits out groupCommitMaxWaitMs.
  await log.partition('t', 0).append(batchOf('warm-up'));
  // Then the disk is idle: its sync round has ended too.
  await new Promise((resolve) => setImmediate(resolve));
  operations = [];
  const small = batchOf('s00');
  const appends = [log.partition('t', 0).append(small)];
  assert.is(count('write', 't-0/'), 0, 'a group below groupCommitStartBytes waits');
  let queued = small.length;
  for (let i = 0; queued < 4096; i++) {
    const batch = batchOf(`l${String(i).padStart(2, '0')}`, 10);
    queued += batch.length;
    appends.push(log.partition('t', 0).append(batch));
  }
  // The append that brought the group to 4096 bytes started its write before returning, long before the 1000 ms wait was out.
  assert.is(count('write', 't-0/'), 1, 'the group was written as soon as it reached groupCommitStartBytes');
  await Promise.all(appends);
  assert.is(count('write', 't-0/'), 1, 'all of them in that one write');
  assert.is(log.partition('t', 0).highWatermark, BigInt(1 + 1 + (appends.length - 1) * 10));
});

test('a group holds at most groupCommitMaxBytes (at least one append)', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 200, groupCommitMaxBytes: 4096 } });
  await log.createTopic('t');
  const one = batchOf('m00', 10).length;
  operations = [];
  await Promise.all(Array.from({ length: 40 }, (_, i) => log.partition('t', 0).append(batchOf(`m${String(i).padStart(2, '0')}`, 10))));
  const perGroup = Math.floor(4096 / one);
  assert.is(count('write', 't-0/'), Math.ceil(40 / perGroup));
});

test('flush policy always: an append is acknowledged after an fdatasync covering it', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 0 } });
  await log.createTopic('t');
  for (let i = 0; i < 5; i++) {
    const before = count('sync', 't-0/');
    const result = await log.partition('t', 0).append(batchOf(`a${i}`));
    assert.ok(count('sync', 't-0/') > before);
    assert.is(log.partition('t', 0).highWatermark, result.lastOffset + 1n);
  }
});

test('flush policy interval: readers see only synced data; syncs are at least intervalMs apart; acknowledged after the sync', async () => {
  const intervalMs = 40;
  const log = await open({ storage: { groupCommitMaxWaitMs: 0 } });
  await log.createTopic('t', { flush: { policy: 'interval', intervalMs } });
  const partition = log.partition('t', 0);
  const seenAtSync: { highWatermark: bigint; logEndOffset: bigint }[] = [];
  onOperation = (entry) => {
    if (entry.operation === 'sync' && entry.path.includes('t-0/') && entry.path.endsWith('.log')) seenAtSync.push({ highWatermark: partition.highWatermark, logEndOffset: partition.logEndOffset });
  };
  operations = [];
  for (let round = 0; round < 6; round++) {
    const before = count('sync', 't-0/');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => partition.append(batchOf(`i${round}.${i}`))));
    assert.ok(count('sync', 't-0/') > before, 'acknowledged only after a sync');
    assert.ok(partition.highWatermark > results[results.length - 1]!.lastOffset);
  }
  const syncTimes = operations.filter((entry) => entry.operation === 'sync' && entry.path.includes('t-0/') && entry.path.endsWith('.log')).map((entry) => entry.atMs);
  for (let i = 1; i < syncTimes.length; i++) {
    // Timers never fire early by more than a millisecond of rounding.
    assert.ok(syncTimes[i]! - syncTimes[i - 1]! >= intervalMs - 1, `syncs ${(syncTimes[i]! - syncTimes[i - 1]!).toFixed(1)} ms apart`);
  }
  assert.ok(seenAtSync.some((seen) => seen.logEndOffset > seen.highWatermark), 'written but unsynced data was not visible to readers');
  for (const seen of seenAtSync) {
    assert.ok(seen.highWatermark <= seen.logEndOffset);
  }
});

test('flush policy os: no fdatasync on the append path; a clean close syncs', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 0 } });
  await log.createTopic('t', { flush: { policy: 'os' } });
  operations = [];
  for (let i = 0; i < 20; i++) {
    const result = await log.partition('t', 0).append(batchOf(`o${i}`));
    assert.is(log.partition('t', 0).highWatermark, result.lastOffset + 1n);
  }
  assert.is(count('sync', 't-0/'), 0);
  await log.close();
  assert.ok(count('sync', 't-0/') >= 1, 'synced at shutdown');
  each.store = undefined;
});

test('a full queue makes append wait rather than grow without bound, and everything lands', async () => {
  const log = await open({ storage: { groupCommitMaxWaitMs: 0, groupCommitMaxBytes: 64 * 1024 } });
  await log.createTopic('t', { maxMessageBytes: 4 * 1024 * 1024 });
  const payload = Buffer.alloc(3 * 1024 * 1024, 1);
  // 30 appends of 3 MiB: 90 MiB offered at once, above the 64 MiB queue bound.
  const results = await Promise.all(Array.from({ length: 30 }, () => log.partition('t', 0).append(encodeRecordBatch({ records: [{ value: payload }] }))));
  assert.equal(results.map((result) => result.baseOffset), Array.from({ length: 30 }, (_, i) => BigInt(i)));
});

test.run();

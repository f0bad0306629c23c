// The open-file cache: a store with more partitions than storage.maxOpenSegmentFiles keeps
// at most that many segment files open once its appends are durable, closes the least
// recently used idle ones (active segments included), and opens them again for the next
// append or read without losing or reordering anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readlinkSync } from 'node:fs';
import { Registry } from 'prom-client';
import { LruSet } from '../../../edge/storage/segment-cache.ts';
import { batchOf, openStore, readAll, removeDirectory, temporaryDirectory } from './helpers.ts';

const OPEN_FILES_MAX = 16;
const PARTITIONS = 40;
/** Looks at /proc, 10 ms apart, for the closes in flight to finish (a close takes microseconds; many attempts allow for a loaded machine). */
const CLOSE_ATTEMPTS = 200;

/** Descriptors this process holds on files under `directory`, read from /proc. */
function openFilesUnder(directory: string): string[] {
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(directory)) paths.push(target);
    } catch {
      // The descriptor closed while the directory was being read.
    }
  }
  return paths;
}

/** The cache closes descriptors without waiting for the close (it runs on the thread pool): the count read from /proc once they are done. */
async function openSegmentFilesOnceClosed(directory: string, atMost: number): Promise<number> {
  let count = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < CLOSE_ATTEMPTS && count > atMost; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    count = openFilesUnder(directory).filter((path) => path.endsWith('.log')).length;
  }
  return count;
}

async function metric(registry: Registry, name: string): Promise<number> {
  return (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
}

for (const policy of ['always', 'interval'] as const) {
  test(`flush policy ${policy}: ${PARTITIONS} partitions written at once, at most ${OPEN_FILES_MAX} segment files open once durable; each reopened for the next append and read`, async () => {
    const dataDir = temporaryDirectory();
    const registry = new Registry();
    let store = await openStore(dataDir, { registry, storage: { maxOpenSegmentFiles: OPEN_FILES_MAX }, topicDefaults: { segmentBytes: 4096, flush: { policy, intervalMs: 5 } } });
    try {
      await store.createTopic('many', { partitions: PARTITIONS });
      // Three rounds, each over every partition at once; the small segments roll, so inactive segments share the cache with active ones.
      for (let round = 0; round < 3; round++) {
        await Promise.all(Array.from({ length: PARTITIONS }, (_, partition) => store.partition('many', partition).append(batchOf(`r${round}p${partition}`, 40))));
      }
      assert.ok(await metric(registry, 'tributary_storage_open_segment_files') <= OPEN_FILES_MAX, 'the cache holds no more than its bound once nothing is in use');
      const open = await openSegmentFilesOnceClosed(dataDir, OPEN_FILES_MAX);
      assert.ok(open <= OPEN_FILES_MAX, `${open} segment files open, more than ${OPEN_FILES_MAX}`);
      assert.ok(await metric(registry, 'tributary_storage_segment_files_closed_total') >= PARTITIONS - OPEN_FILES_MAX, 'the cache closed descriptors, and counted them');

      // Every partition takes a further append (its descriptor opened again) at the next offset, and reads back whole.
      const after = await Promise.all(Array.from({ length: PARTITIONS }, (_, partition) => store.partition('many', partition).append(batchOf(`after-${partition}`))));
      after.forEach((result, partition) => assert.is(result.baseOffset, 120n, `partition ${partition} continues at its log end`));
      assert.ok(await openSegmentFilesOnceClosed(dataDir, OPEN_FILES_MAX) <= OPEN_FILES_MAX);
      for (const partition of [0, 37, PARTITIONS - 1]) {
        const stored = await readAll(store, 'many', partition);
        assert.equal([...stored.keys()], [0n, 40n, 80n, 120n], `partition ${partition} reads back every batch in order`);
      }
      await store.close();
      store = await openStore(dataDir, { storage: { maxOpenSegmentFiles: OPEN_FILES_MAX } });
      assert.is(store.recoveryReport.truncations.length, 0, 'a clean close with descriptors closed by the cache leaves nothing to repair');
      assert.ok(await openSegmentFilesOnceClosed(dataDir, OPEN_FILES_MAX) <= OPEN_FILES_MAX, 'recovery keeps within the bound too');
      assert.is(store.partition('many', PARTITIONS - 1).highWatermark, 121n);
    } finally {
      await store.close();
      removeDirectory(dataDir);
    }
  });
}

test('LruSet: an entry in use is passed over and moved back; the least recently used idle one goes', () => {
  const busy = new Set(['a']);
  const closed: string[] = [];
  const set = new LruSet<string>(2, (item) => {
    if (busy.has(item)) return false;
    closed.push(item);
    return true;
  });
  set.touch('a');
  set.touch('b');
  set.touch('c');
  assert.equal(closed, ['b'], 'a is in use, so b, the next least recently used, goes');
  assert.is(set.size, 2);
  set.touch('d');
  assert.equal(closed, ['b', 'c'], 'a went back behind c when it was passed over, so c is the oldest now');
  busy.clear();
  set.touch('e');
  assert.equal(closed, ['b', 'c', 'a']);
});

test('LruSet: settle() brings the set back within its bound once the entries in use are done', () => {
  const busy = new Set(['a', 'b', 'c', 'd']);
  const closed: string[] = [];
  const set = new LruSet<string>(2, (item) => {
    if (busy.has(item)) return false;
    closed.push(item);
    return true;
  });
  for (const item of busy) set.touch(item);
  assert.is(set.size, 4, 'over the bound while all are in use');
  for (const item of ['a', 'b', 'c', 'd']) {
    busy.delete(item);
    set.settle(item);
  }
  assert.is(set.size, 2, 'back within the bound');
  assert.equal(closed, ['a', 'b']);
});

test.run();

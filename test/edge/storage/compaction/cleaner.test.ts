// The cleaner on a real store: what a pass keeps and removes, where it stops, what it leaves
// to a later pass, and that a restart finds the compacted log as it was left. Topics flush
// under the os policy: these tests are about what compaction keeps, not about fdatasync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { isTributaryError } from '../../../../shared/errors.ts';
import { decodeRecords, encodeRecordBatch, iterateBatchHeaders, type RecordInput } from '../../../../shared/kafka/record-batch.ts';
import { AbortedBatchFilter } from '../../../../shared/kafka/read-committed.ts';
import type { LogStore } from '../../../../edge/storage/index.ts';
import { passIsDue } from '../../../../edge/storage/compaction/cleaner-pass.ts';
import { openStore, readAll, storePerTest, type TestStoreOptions } from '../helpers.ts';

const each = storePerTest(test);
const HOUR_MS = 3600_000;
let registry: Registry;

async function open(options: TestStoreOptions = {}): Promise<LogStore> {
  registry = new Registry();
  each.store = await openStore(each.dataDir, { registry, storage: { groupCommitMaxWaitMs: 0 }, ...options, topicDefaults: { segmentBytes: 2048, flush: { policy: 'os', intervalMs: 100 }, ...options.topicDefaults } });
  return each.store;
}

async function reopen(options: TestStoreOptions = {}): Promise<LogStore> {
  await each.store?.close();
  each.store = undefined;
  return open(options);
}

/** Appends one batch per record; returns the offset of each. */
async function produce(store: LogStore, topic: string, records: RecordInput[]): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (const record of records) offsets.push((await store.partition(topic, 0).append(encodeRecordBatch({ records: [record] }))).baseOffset);
  return offsets;
}

/** Every record readable from the log start: [offset, key, value]. */
async function contents(store: LogStore, topic: string): Promise<Array<[bigint, string | null, string | null]>> {
  const batches = await readAll(store, topic, 0);
  return [...batches.values()].flatMap((batch) => decodeRecords(batch).map((record): [bigint, string | null, string | null] => [record.offset, record.key?.toString() ?? null, record.value?.toString() ?? null]));
}

/** Records of keys k0..k(keys-1), `rounds` times over, each value naming its round; 100-byte values so that segments roll. */
function rounds(keys: number, count: number, timestampMs = Date.now() - HOUR_MS): RecordInput[] {
  const records: RecordInput[] = [];
  for (let round = 0; round < count; round++) for (let key = 0; key < keys; key++) records.push({ key: `k${key}`, value: `${round}`.padEnd(100, '.'), timestampMs });
  return records;
}

test('a pass keeps the newest record of every key in closed segments at its offset; the active segment is untouched; a restart finds the same', async () => {
  const store = await open();
  await store.createTopic('state', { cleanupPolicy: 'compact' });
  const offsets = await produce(store, 'state', rounds(5, 20));
  const partition = store.partition('state', 0);
  const activeBase = partition.segments.at(-1)!.baseOffset;
  const segmentsBefore = partition.segments.length;
  const before = await contents(store, 'state');
  assert.is(before.length, 100);

  const report = await store.compact();
  assert.is(report.passes.length, 1, 'the log was all dirty: due at the default ratio');
  const pass = report.passes[0]!;
  assert.ok(pass.removedRecords > 0 && pass.writtenBytes < pass.readBytes, `removed ${pass.removedRecords}, wrote ${pass.writtenBytes} of ${pass.readBytes}`);
  assert.ok(partition.segments.length < segmentsBefore, `${partition.segments.length} segments, from ${segmentsBefore}: cleaned segments are merged up to segment.bytes`);
  const after = await contents(store, 'state');
  const closed = after.filter(([offset]) => offset < activeBase);
  // In the closed segments, one record per key remains: the newest below the active segment.
  for (let key = 0; key < 5; key++) {
    const kept = closed.filter(([, k]) => k === `k${key}`);
    assert.is(kept.length, 1, `k${key} once in the closed segments`);
    const newestClosed = before.filter(([offset, k]) => k === `k${key}` && offset < activeBase).at(-1)!;
    assert.equal(kept[0], newestClosed, 'at its own offset, with its own value');
  }
  assert.equal(after.filter(([offset]) => offset >= activeBase), before.filter(([offset]) => offset >= activeBase), 'the active segment is as it was');
  for (const [offset, key, value] of after) assert.equal(before.find(([o]) => o === offset), [offset, key, value], 'offsets never change');
  assert.is(partition.highWatermark, offsets.at(-1)! + 1n);
  // Reads from any offset, gaps included, return the next record kept.
  for (let offset = 0n; offset < partition.highWatermark; offset++) {
    const { batches } = await partition.read(offset, 1);
    assert.ok(batches.length > 0, `a read at ${offset} returns the next batch kept`);
    assert.ok(batches.readBigInt64BE(0) + BigInt(batches.readInt32BE(23)) >= offset);
  }
  assert.match(await registry.getSingleMetricAsString('tributary_storage_cleaner_written_bytes_total'), new RegExp(`topic="state"\\} ${pass.writtenBytes}`));
  assert.match(await registry.getSingleMetricAsString('tributary_storage_cleaner_removed_records_total'), new RegExp(`topic="state"\\} ${pass.removedRecords}`));

  const restarted = await reopen();
  assert.equal(await contents(restarted, 'state'), after);
  assert.is(restarted.recoveryReport.truncations.length, 0);
  assert.equal((await restarted.partition('state', 0).append(encodeRecordBatch({ records: [{ key: 'k0', value: 'next' }] }))).baseOffset, offsets.at(-1)! + 1n, 'appends go on at the log end');
  assert.is((await restarted.compact()).passes.length, 0, 'nothing dirty is left: a second pass has nothing to do');
  // New dirty records: the next pass cleans them with what was cleaned before.
  await produce(restarted, 'state', rounds(5, 20));
  assert.is((await restarted.compact()).passes.length, 1);
  const newest = (await contents(restarted, 'state')).filter(([offset]) => offset < restarted.partition('state', 0).segments.at(-1)!.baseOffset);
  assert.is(new Set(newest.map(([, key]) => key)).size, newest.length, 'one record per key in the closed segments');
  const files = readdirSync(join(restarted.logDirectory, 'state-0'));
  assert.ok(!files.some((name) => name.endsWith('.cleaned') || name.endsWith('.swap')), files.join(', '));
});

test('a batch thinned by compaction keeps its base and last offset; reads, an index rebuild and recovery accept it', async () => {
  const store = await open();
  await store.createTopic('thin', { cleanupPolicy: 'compact' });
  const partition = store.partition('thin', 0);
  const old = Date.now() - HOUR_MS;
  await partition.append(encodeRecordBatch({ records: ['a', 'b', 'c', 'd'].map((key) => ({ key, value: `${key}-first`, timestampMs: old })) }));
  await produce(store, 'thin', [{ key: 'b', value: 'b-second', timestampMs: old }, { key: 'd', value: 'd-second', timestampMs: old }]);
  await produce(store, 'thin', rounds(1, 40).map((record) => ({ ...record, key: 'filler' })));
  await store.compact({ force: true });
  const thinned = (await readAll(store, 'thin', 0)).get(0n)!;
  assert.equal([thinned.readInt32BE(23), thinned.readInt32BE(57)], [3, 2], 'lastOffsetDelta 3 kept, 2 records left');
  assert.equal(decodeRecords(thinned).map((record) => [record.offset, record.key!.toString()]), [[0n, 'a'], [2n, 'c']]);
  const { batches } = await partition.read(1n, 1);
  assert.is(batches.readBigInt64BE(0), 0n, 'a read at a removed offset inside the batch returns the batch');
  // Without its index files, the compacted segment is walked again at the next start and on the next read.
  const expected = await contents(store, 'thin');
  await store.close();
  each.store = undefined;
  const directory = join(each.dataDir, 'log', 'thin-0');
  for (const name of readdirSync(directory)) if (name.endsWith('.index') || name.endsWith('.timeindex') || name === 'recovery-checkpoint') rmSync(join(directory, name));
  const restarted = await open();
  assert.is(restarted.recoveryReport.truncations.length, 0, 'gaps in closed segments are not damage');
  assert.equal(await contents(restarted, 'thin'), expected);
});

test('a tombstone hides its key at once and is removed once older than delete.retention.ms', async () => {
  const store = await open();
  await store.createTopic('ids', { cleanupPolicy: 'compact', deleteRetentionMs: HOUR_MS });
  const old = Date.now() - 3 * HOUR_MS;
  await produce(store, 'ids', [{ key: 'gone', value: 'x'.repeat(100), timestampMs: old }, { key: 'kept', value: 'y'.repeat(100), timestampMs: old }, { key: 'gone', value: null, timestampMs: Date.now() - 2 * HOUR_MS }, { key: 'fresh', value: 'z'.repeat(100), timestampMs: old }, { key: 'fresh', value: null, timestampMs: Date.now() }]);
  await produce(store, 'ids', rounds(1, 40).map((record) => ({ ...record, key: 'filler' })));
  await store.compact({ force: true });
  const keys = (await contents(store, 'ids')).map(([, key, value]) => `${key}=${value === null ? 'null' : value[0]}`);
  assert.not.ok(keys.includes('gone=null'), 'the tombstone older than delete.retention.ms went');
  assert.not.ok(keys.includes('gone=x'), 'and the value it deleted');
  assert.ok(keys.includes('fresh=null'), 'a recent tombstone stays for consumers that read behind');
  assert.not.ok(keys.includes('fresh=z'), 'its older value goes');
  assert.ok(keys.includes('kept=y'));
});

test('records without a key are refused on a compacted topic (INVALID_RECORD), and accepted on a deleting one', async () => {
  const store = await open();
  await store.createTopic('compacted', { cleanupPolicy: 'compact,delete' });
  await store.createTopic('plain', {});
  const keyless = () => encodeRecordBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }] });
  try {
    await store.partition('compacted', 0).append(keyless());
    assert.unreachable('refused');
  } catch (error) {
    assert.ok(isTributaryError(error, 'RECORD_KEY_MISSING'), String(error));
    assert.match((error as Error).message, /compacted-0: record at offset delta 1 of the batch at byte 0 has no key/);
  }
  assert.is(store.partition('compacted', 0).logEndOffset, 0n, 'nothing of the batch was appended');
  assert.is((await store.partition('plain', 0).append(keyless())).baseOffset, 0n);
  assert.is((await store.partition('compacted', 0).append(encodeRecordBatch({ records: [{ key: 'a', value: '1' }] }))).baseOffset, 0n, 'the partition goes on');
});

test('transactional and control batches stay whole; their records do not displace others', async () => {
  const store = await open();
  await store.createTopic('tx', { cleanupPolicy: 'compact' });
  const partition = store.partition('tx', 0);
  const old = Date.now() - HOUR_MS;
  await produce(store, 'tx', [{ key: 'k', value: 'plain-1', timestampMs: old }]);
  const transactional = encodeRecordBatch({ records: [{ key: 'k', value: 'tx-1', timestampMs: old }, { key: 'k', value: 'tx-2', timestampMs: old }], producerId: 7n, producerEpoch: 0, baseSequence: 0, isTransactional: true });
  const txOffset = (await partition.append(transactional)).baseOffset;
  // The commit marker, written as the transaction coordinator writes it: the log takes control batches from it alone.
  const markerOffset = (await partition.appendMarker({ producerId: 7n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0, timestampMs: old })).baseOffset;
  await produce(store, 'tx', rounds(1, 40).map((record) => ({ ...record, key: 'filler' })));
  const before = await readAll(store, 'tx', 0);
  await store.compact({ force: true });
  const after = await readAll(store, 'tx', 0);
  assert.equal(after.get(txOffset), before.get(txOffset), 'the transactional batch, byte for byte');
  assert.equal(after.get(markerOffset), before.get(markerOffset), 'the marker, byte for byte');
  assert.ok(after.has(0n), 'the plain record of k is not weighed against transactional ones');
  assert.ok(after.size < before.size, 'the fillers were compacted');
});

/** The values a read_committed reader sees from the log start, as Kafka's consumer drops aborted batches and markers. */
async function committedValues(store: LogStore, topic: string): Promise<Array<[bigint, string | null]>> {
  const log = store.partition(topic, 0);
  const seen: Array<[bigint, string | null]> = [];
  let offset = log.logStartOffset;
  while (offset < log.lastStableOffset) {
    const read = await log.read(offset, 64 * 1024, { committedOnly: true });
    const filter = new AbortedBatchFilter(read.abortedTransactions ?? []);
    let next = offset;
    for (const header of iterateBatchHeaders(read.batches)) {
      next = header.lastOffset + 1n;
      if (filter.skips(header, read.batches)) continue;
      for (const record of decodeRecords(read.batches, header.position)) if (record.offset >= offset) seen.push([record.offset, record.value?.toString() ?? null]);
    }
    if (next === offset) break;
    offset = next;
  }
  return seen;
}

test('aborted transactions\' batches are removed, their markers stay; a later committed transaction of the same producer is read; offsets stay', async () => {
  const store = await open({ topicDefaults: { deleteRetentionMs: HOUR_MS / 2 } });
  await store.createTopic('tx', { cleanupPolicy: 'compact' });
  const partition = store.partition('tx', 0);
  const old = Date.now() - HOUR_MS;
  const transaction = async (producerId: bigint, prefix: string, marker: 'commit' | 'abort', markerTimestampMs: number, baseSequence = 0): Promise<{ data: bigint; marker: bigint }> => {
    const batch = encodeRecordBatch({ records: [0, 1].map((index) => ({ key: `${prefix}-${index}`, value: `${prefix}-${index}`, timestampMs: old })), producerId, producerEpoch: 0, baseSequence, isTransactional: true });
    const data = (await partition.append(batch)).baseOffset;
    return { data, marker: (await partition.appendMarker({ producerId, producerEpoch: 0, marker, coordinatorEpoch: 0, timestampMs: markerTimestampMs })).baseOffset };
  };
  await produce(store, 'tx', [{ key: 'plain', value: 'plain', timestampMs: old }]);
  const abortedOld = await transaction(7n, 'aborted-old', 'abort', old);
  const committed = await transaction(8n, 'committed', 'commit', old);
  const abortedNew = await transaction(9n, 'aborted-new', 'abort', Date.now());
  // The same producer again after its abort: read_committed readers must find the abort marker to read this.
  const committedAgain = await transaction(7n, 'again', 'commit', old, 2);
  await produce(store, 'tx', rounds(1, 40).map((record) => ({ ...record, key: 'filler' })));
  const committedBefore = await committedValues(store, 'tx');
  const before = await readAll(store, 'tx', 0);

  const report = await store.compact({ force: true });
  assert.is(report.passes[0]!.removedTransactionRecords, 2 + 2, 'both aborted transactions\' records');
  const after = await readAll(store, 'tx', 0);
  assert.not.ok(after.has(abortedOld.data) || after.has(abortedNew.data), 'no batch of an aborted transaction is left');
  for (const marker of [abortedOld.marker, abortedNew.marker]) assert.equal(after.get(marker), before.get(marker), 'abort markers stay, byte for byte');
  assert.equal(after.get(committedAgain.data), before.get(committedAgain.data));
  assert.equal(after.get(committed.data), before.get(committed.data), 'committed transactional records stay whole');
  assert.equal(after.get(committed.marker), before.get(committed.marker), 'a commit marker stays while its transaction has records');
  const uncommitted = (await contents(store, 'tx')).map(([, , value]) => value);
  assert.not.ok(uncommitted.some((value) => value?.startsWith('aborted')), 'read_uncommitted shows no aborted record');
  // read_committed reads what it read before, at the same offsets, less the fillers compaction removed.
  const presentAfter = new Set((await contents(store, 'tx')).map(([offset]) => offset));
  assert.equal(await committedValues(store, 'tx'), committedBefore.filter(([offset]) => presentAfter.has(offset)));
  assert.ok((await committedValues(store, 'tx')).some(([offset, value]) => offset === committed.data && value === 'committed-0'));
  assert.ok((await committedValues(store, 'tx')).some(([offset, value]) => offset === committedAgain.data && value === 'again-0'), 'the producer\'s committed transaction after its abort is read');
  // A second pass finds nothing more to remove and leaves the same log.
  await store.compact({ force: true });
  assert.equal([...(await readAll(store, 'tx', 0)).keys()], [...after.keys()]);

  // A restart rebuilds the producer state from the cleaned log: nothing is left open, and reads agree.
  const reopened = await reopen({ topicDefaults: { deleteRetentionMs: HOUR_MS / 2 } });
  const log = reopened.partition('tx', 0);
  assert.is(log.lastStableOffset, log.highWatermark);
  assert.equal([...(await readAll(reopened, 'tx', 0)).keys()], [...after.keys()]);
  assert.ok((await committedValues(reopened, 'tx')).some(([, value]) => value === 'committed-1'));
  assert.ok((await committedValues(reopened, 'tx')).some(([, value]) => value === 'again-1'));
});

test('a key map too small for the dirty records makes partial passes that end where one full pass would', async () => {
  const records = rounds(40, 6);
  const full = await open();
  await full.createTopic('t', { cleanupPolicy: 'compact' });
  await produce(full, 't', records);
  await full.compact({ force: true });
  const expected = await contents(full, 't');
  await full.deleteTopic('t');

  const small = await reopen({ cleanerKeyMapBytes: 24 * 20 });
  await small.createTopic('t', { cleanupPolicy: 'compact' });
  await produce(small, 't', records);
  const first = await small.compact({ force: true });
  assert.ok(first.passes[0]!.partial, 'the map filled');
  let passes = 1;
  while ((await small.compact({ force: true })).passes.length > 0) passes += 1;
  assert.ok(passes > 1, `${passes} passes`);
  assert.equal(await contents(small, 't'), expected);
});

test('nothing newer than min.compaction.lag.ms, nothing past what a mirror delivered, nothing of a deleting topic is cleaned', async () => {
  let delivered: bigint | undefined = 0n;
  const store = await open({ deliveredOffset: (topic) => (topic === 'mirrored' ? delivered : undefined) });
  await store.createTopic('lagging', { cleanupPolicy: 'compact', minCompactionLagMs: HOUR_MS });
  await store.createTopic('mirrored', { cleanupPolicy: 'compact' });
  await store.createTopic('plain', {});
  for (const topic of ['lagging', 'plain']) await produce(store, topic, rounds(3, 30, Date.now()));
  await produce(store, 'mirrored', rounds(3, 30));
  assert.is((await store.compact({ force: true })).passes.length, 0, 'records too recent, or not yet mirrored, or a topic that deletes');
  delivered = 45n;
  const report = await store.compact({ force: true });
  assert.equal(report.passes.map((pass) => pass.topic), ['mirrored']);
  const kept = await contents(store, 'mirrored');
  assert.equal(kept.filter(([offset]) => offset >= 45n).length, 90 - 45, 'everything from the delivered offset on is still there');
  assert.ok(kept.filter(([offset]) => offset < 45n).length < 45);
});

test('a pass is due at min.cleanable.dirty.ratio, or once dirty records waited max.compaction.lag.ms', () => {
  const share = (dirtyBytes: number, cleanBytes: number, oldestDirtyTimestamp: bigint) => ({ cleanable: [], firstDirtyOffset: 0n, dirtyBytes, cleanBytes, oldestDirtyTimestamp });
  const now = 1_800_000_000_000;
  const config = { minCleanableDirtyRatio: 0.5, maxCompactionLagMs: HOUR_MS };
  assert.ok(passIsDue(share(50, 50, BigInt(now)), config, now), 'half dirty: due');
  assert.not.ok(passIsDue(share(49, 51, BigInt(now)), config, now), 'less than half, and recent');
  assert.ok(passIsDue(share(1, 99, BigInt(now - HOUR_MS)), config, now), 'a little dirt that waited max.compaction.lag.ms');
  assert.not.ok(passIsDue(share(0, 100, BigInt(now - 2 * HOUR_MS)), config, now), 'nothing dirty: never');
  assert.not.ok(passIsDue(share(1, 99, BigInt(now - 2 * HOUR_MS)), { ...config, maxCompactionLagMs: Number.MAX_SAFE_INTEGER }, now), 'the default lag means never');
});

test('retention by time does not delete the segments of a topic that is only compacted', async () => {
  const store = await open();
  await store.createTopic('compact-only', { cleanupPolicy: 'compact', retentionMs: 1000 });
  await store.createTopic('both', { cleanupPolicy: 'compact,delete', retentionMs: 1000 });
  for (const topic of ['compact-only', 'both']) await produce(store, topic, rounds(3, 30, Date.now() - HOUR_MS));
  await store.enforceRetention();
  assert.is(store.partition('compact-only', 0).logStartOffset, 0n);
  assert.ok(store.partition('both', 0).logStartOffset > 0n);
});

test.run();

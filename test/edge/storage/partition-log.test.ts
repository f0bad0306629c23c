import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../../shared/errors.ts';
import { BatchField, computeBatchCrc, decodeRecords, encodeRecordBatch, readBatchHeader } from '../../../shared/kafka/record-batch.ts';
import { Registry } from 'prom-client';
import { pbkdf2 } from 'node:crypto';
import { LONG_POLL_WAITERS_MAX, type LogStore } from '../../../edge/storage/index.ts';
import { RECENT_TAIL_BYTES } from '../../../edge/storage/partition-reader.ts';
import { READ_BYTES_MAX } from '../../../edge/storage/segment.ts';
import { batchOf, openStore, readAll, removeDirectory, temporaryDirectory } from './helpers.ts';

let dataDir = '';
let store: LogStore;

test.before.each(async () => {
  dataDir = temporaryDirectory();
  store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 0 } });
});

test.after.each(async () => {
  await store.close();
  removeDirectory(dataDir);
});

async function rejects(promise: Promise<unknown>, code: Parameters<typeof isTributaryError>[1], fragment?: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTributaryError(error, code), `expected ${code}, got ${String(error)}`);
    if (fragment !== undefined) assert.ok((error as Error).message.includes(fragment), `"${(error as Error).message}" should mention "${fragment}"`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('appends get consecutive offsets and are read back byte for byte', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  const sent = Array.from({ length: 20 }, (_, i) => batchOf(`r${i}`, 1 + (i % 4)));
  const copies = sent.map((batch) => Buffer.from(batch));
  const results = await Promise.all(sent.map((batch) => log.append(batch)));
  let expected = 0n;
  for (const [i, result] of results.entries()) {
    assert.is(result.baseOffset, expected);
    assert.is(result.lastOffset, expected + BigInt(1 + (i % 4)) - 1n);
    assert.is(result.duplicate, false);
    expected = result.lastOffset + 1n;
  }
  assert.is(log.highWatermark, expected);
  assert.is(log.logEndOffset, expected);
  const stored = await readAll(store, 't', 0);
  assert.is(stored.size, 20);
  for (const [i, result] of results.entries()) {
    const batch = stored.get(result.baseOffset)!;
    // Only the base offset and the leader epoch differ from what the producer sent; the CRC still holds.
    const expectedBytes = Buffer.from(copies[i]!);
    expectedBytes.writeBigInt64BE(result.baseOffset, BatchField.baseOffset);
    expectedBytes.writeInt32BE(0, BatchField.partitionLeaderEpoch);
    assert.equal(batch, expectedBytes);
    assert.is(readBatchHeader(batch).crc, computeBatchCrc(batch, 0, batch.length));
    assert.equal(decodeRecords(batch).map((r) => r.offset)[0], result.baseOffset);
  }
});

test('a read starts at the batch holding the offset and stops at maxBytes, but returns at least one batch (KIP-74)', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 5));
  const size = batchOf('b0', 5).length;
  const middle = await log.read(12n, size * 2 + 10);
  assert.is(middle.batches.length, size * 2);
  assert.is(middle.batches.readBigInt64BE(0), 10n, 'starts with the batch containing offset 12');
  const tiny = await log.read(0n, 10);
  assert.is(tiny.batches.length, size, 'a whole batch even though maxBytes is smaller');
  const atEnd = await log.read(50n, 1000);
  assert.is(atEnd.batches.length, 0);
  assert.is(atEnd.highWatermark, 50n);
  await rejects(log.read(51n, 1000), 'OFFSET_OUT_OF_RANGE', '[0, 50]');
  await rejects(log.read(-1n, 1000), 'OFFSET_OUT_OF_RANGE');
});

test('a read between the high watermark and the log end is empty, as in Kafka; past the log end it is out of range', async () => {
  await store.createTopic('t', { flush: { policy: 'interval', intervalMs: 60_000 } });
  const log = store.partition('t', 0);
  await log.append(batchOf('durable', 2)); // The first sync of a period is at once.
  assert.is(log.highWatermark, 2n);
  const pending = log.append(batchOf('written', 3));
  for (let tries = 0; log.logEndOffset === 2n && tries < 500; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is(log.logEndOffset, 5n, 'written');
  assert.is(log.highWatermark, 2n, 'not yet durable');
  for (const offset of [2n, 4n, 5n]) {
    const result = await log.read(offset, 1000);
    assert.is(result.batches.length, 0, `nothing served at ${offset}`);
    assert.is(result.highWatermark, 2n);
  }
  await rejects(log.read(6n, 1000), 'OFFSET_OUT_OF_RANGE', '[0, 5]');
  await store.close(); // A clean close syncs, and acknowledges the append.
  assert.is((await pending).baseOffset, 2n);
  store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 0 } });
  assert.is((await store.partition('t', 0).read(2n, 1000)).batches.readBigInt64BE(0), 2n, 'served once durable');
});

test('a large first batch is returned whole', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  const big = encodeRecordBatch({ records: [{ value: Buffer.alloc(200_000, 7) }] });
  await log.append(big);
  await log.append(batchOf('small'));
  const result = await log.read(0n, 1024);
  assert.is(result.batches.length, big.length);
});

test('validation refuses bad batches and says which check failed at which byte', async () => {
  await store.createTopic('t', { maxMessageBytes: 1000 });
  const log = store.partition('t', 0);
  const good = batchOf('x', 2);
  const flipped = Buffer.from(good);
  flipped[70]! ^= 1;
  await rejects(log.append(flipped), 'INVALID_RECORD_BATCH', 'CRC');
  const badMagic = Buffer.from(good);
  badMagic.writeInt8(1, BatchField.magic);
  await rejects(log.append(badMagic), 'INVALID_RECORD_BATCH', `byte ${BatchField.magic}`);
  const countMismatch = Buffer.from(good);
  countMismatch.writeInt32BE(5, BatchField.recordCount);
  countMismatch.writeUInt32BE(computeBatchCrc(countMismatch, 0, countMismatch.length), BatchField.crc);
  await rejects(log.append(countMismatch), 'INVALID_RECORD_BATCH', 'lastOffsetDelta');
  await rejects(log.append(Buffer.concat([good, good.subarray(0, 30)])), 'INVALID_RECORD_BATCH', `byte ${good.length}`);
  await rejects(log.append(Buffer.alloc(0)), 'INVALID_RECORD_BATCH');
  await rejects(log.append(encodeRecordBatch({ records: [{ value: Buffer.alloc(2000) }] })), 'RECORD_TOO_LARGE', '1000');
  assert.is(log.highWatermark, 0n, 'nothing was appended');
  const ok = await log.append(Buffer.concat([good, batchOf('y', 3)]));
  assert.equal([ok.baseOffset, ok.lastOffset], [0n, 4n], 'two concatenated batches in one append');
});

test('topics: create, describe, list, partitions, config, delete', async () => {
  const created = await store.createTopic('sensors', { partitions: 3, retentionMs: 1000, flush: { policy: 'os' } });
  assert.match(created.id, /^[0-9a-f-]{36}$/);
  assert.is(created.partitions, 3);
  assert.is(created.config.retentionMs, 1000);
  assert.is(created.config.flush.policy, 'os');
  assert.is(created.config.flush.intervalMs, 100, 'unset keys come from the defaults');
  await rejects(store.createTopic('sensors'), 'TOPIC_EXISTS');
  await rejects(store.createTopic('bad/name'), 'INVALID_TOPIC');
  await rejects(store.createTopic('x'.repeat(250)), 'INVALID_TOPIC', '249');
  await rejects(store.createTopic('..'), 'INVALID_TOPIC');
  await rejects(store.createTopic('ok', { retentionMs: 'soon' } as never), 'INVALID_TOPIC_CONFIG', 'retentionMs');
  await rejects(store.createTopic('ok', { colour: 'blue' } as never), 'INVALID_TOPIC_CONFIG', 'colour');
  const grown = await store.createPartitions('sensors', 5);
  assert.is(grown.partitions, 5);
  await rejects(store.createPartitions('sensors', 4), 'INVALID_PARTITIONS');
  await store.partition('sensors', 4).append(batchOf('p4'));
  const altered = await store.alterTopicConfig('sensors', { flush: { intervalMs: 7 } });
  assert.is(altered.config.flush.policy, 'os', 'earlier overrides stay');
  assert.is(altered.config.flush.intervalMs, 7);
  assert.equal(store.listTopics().map((t) => t.name), ['sensors']);
  assert.throws(() => store.partition('sensors', 9), (error: unknown) => isTributaryError(error, 'PARTITION_NOT_FOUND'));
  assert.throws(() => store.partition('nope', 0), (error: unknown) => isTributaryError(error, 'TOPIC_NOT_FOUND'));

  await store.close();
  store = await openStore(dataDir);
  const reopened = store.describeTopic('sensors')!;
  assert.is(reopened.id, created.id, 'the topic id survives a restart');
  assert.is(reopened.partitions, 5);
  assert.is(reopened.config.flush.intervalMs, 7);
  assert.is(store.partition('sensors', 4).highWatermark, 1n);

  const old = store.partition('sensors', 0);
  await store.deleteTopic('sensors');
  assert.is(store.describeTopic('sensors'), undefined);
  await rejects(old.append(batchOf('late')), 'TOPIC_NOT_FOUND');
  const again = await store.createTopic('sensors');
  assert.is.not(again.id, created.id);
  assert.is(store.partition('sensors', 0).highWatermark, 0n, 'a new topic of the same name starts empty');
});

test('data survives a clean restart, and the restart needs no verification', async () => {
  await store.createTopic('t', { partitions: 2 });
  for (let i = 0; i < 30; i++) await store.partition('t', i % 2).append(batchOf(`v${i}`, 2));
  const before = await readAll(store, 't', 0);
  await store.close();
  store = await openStore(dataDir);
  assert.ok(store.recoveryReport.partitions.every((p) => p.clean), 'clean shutdown');
  assert.is(store.recoveryReport.truncations.length, 0);
  assert.equal(await readAll(store, 't', 0), before);
  const next = await store.partition('t', 0).append(batchOf('after'));
  assert.is(next.baseOffset, 30n);
});

test('long poll: waitForData wakes on a durable append, times out, and ends on an AbortSignal', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  const waiting = log.waitForData(0n, 60_000);
  await log.append(batchOf('wake'));
  assert.is(await waiting, true);
  assert.is(await log.waitForData(0n, 60_000), true, 'data already there');
  assert.is(await log.waitForData(1n, 1), false, 'times out');
  const controller = new AbortController();
  const aborted = log.waitForData(1n, 60_000, controller.signal);
  controller.abort(new Error('client went away'));
  assert.is(await aborted, false, 'an abort ends the wait without an error');
  assert.is(await log.waitForData(1n, 60_000, controller.signal), false, 'an already aborted signal');
  // Racing partitions and aborting the losers leaves no rejection behind.
  await store.createTopic('u');
  const race = new AbortController();
  const waits = [log.waitForData(1n, 60_000, race.signal), store.partition('u', 0).waitForData(0n, 60_000, race.signal)];
  await store.partition('u', 0).append(batchOf('winner'));
  assert.is(await Promise.race(waits), true);
  race.abort();
  assert.equal(await Promise.all(waits), [false, true]);
  const atClose = log.waitForData(1n, 60_000);
  await store.close();
  assert.is(await atClose, false, 'closing ends long polls');
  store = await openStore(dataDir);
});

test('limits: long polls per partition (LONG_POLL_WAITERS_MAX) and bytes per read (READ_BYTES_MAX)', async () => {
  await store.createTopic('t', { maxMessageBytes: 2 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 });
  const log = store.partition('t', 0);
  const controller = new AbortController();
  const waits = Array.from({ length: LONG_POLL_WAITERS_MAX }, () => log.waitForData(0n, 60_000, controller.signal));
  assert.is(await log.waitForData(0n, 60_000), false, 'one more long poll returns at once');
  controller.abort();
  assert.ok((await Promise.all(waits)).every((woke) => woke === false));

  const megabyte = encodeRecordBatch({ records: [{ value: Buffer.alloc(1024 * 1024, 3) }] });
  for (let i = 0; i < 20; i++) await log.append(Buffer.from(megabyte));
  const { batches } = await log.read(0n, 100 * 1024 * 1024);
  assert.ok(batches.length <= READ_BYTES_MAX && batches.length >= READ_BYTES_MAX - megabyte.length, `${batches.length} bytes read`);
});

test('a read at the tail of the active segment does not queue behind a busy thread pool; an older read does', async () => {
  await store.createTopic('t', { segmentBytes: 64 * 1024 * 1024 });
  const log = store.partition('t', 0);
  const tenKilobytes = encodeRecordBatch({ records: [{ value: Buffer.alloc(10 * 1024, 7) }] });
  const batches = Math.ceil((2 * RECENT_TAIL_BYTES) / tenKilobytes.length);
  for (let i = 0; i < batches; i++) await log.append(Buffer.from(tenKilobytes));
  const tailOffset = BigInt(batches - 1);
  const expectedTail = (await log.read(tailOffset, 1)).batches;
  const expectedOld = (await log.read(0n, 1)).batches;

  // Occupy every thread of libuv's pool with slow work, then read.
  const events: string[] = [];
  const poolThreads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const busy = Array.from({ length: poolThreads }, () => new Promise<void>((resolve, reject) => {
    pbkdf2('password', 'salt', 400_000, 32, 'sha256', (error) => { events.push('pool free'); return error ? reject(error) : resolve(); });
  }));
  const tailRead = log.read(tailOffset, 1).then((result) => { events.push('tail read'); return result; });
  const oldRead = log.read(0n, 1).then((result) => { events.push('old read'); return result; });
  const [tail, old] = await Promise.all([tailRead, oldRead, ...busy]);
  assert.is(events[0], 'tail read', `the tail read finished first (${events.join(', ')})`);
  assert.ok(events.indexOf('old read') > events.indexOf('pool free'), `the old read waited for the pool (${events.join(', ')})`);
  assert.equal(tail.batches, expectedTail, 'the same bytes either way');
  assert.equal(old.batches, expectedOld);
});

test('the durable event reports each advance of the high watermark', async () => {
  await store.createTopic('t');
  const seen: bigint[] = [];
  store.on('durable', (event) => {
    if (event.topic === 't') seen.push(event.highWatermark);
  });
  await store.partition('t', 0).append(batchOf('a', 2));
  await store.partition('t', 0).append(batchOf('b', 3));
  assert.equal(seen, [2n, 5n]);
});

test('offsetForTimestamp finds the first record at or after a time', async () => {
  await store.createTopic('t', { segmentBytes: 2048 });
  const log = store.partition('t', 0);
  for (let i = 0; i < 100; i++) {
    await log.append(encodeRecordBatch({ records: [{ value: `a${i}`, timestampMs: 1000n + BigInt(i * 10) }, { value: `b${i}`, timestampMs: 1005n + BigInt(i * 10) }] }));
  }
  assert.ok(log.segments.length > 3, 'several segments');
  assert.equal(await log.offsetForTimestamp(0n), { offset: 0n, timestamp: 1000n });
  assert.equal(await log.offsetForTimestamp(1003n), { offset: 1n, timestamp: 1005n });
  assert.equal(await log.offsetForTimestamp(1500n), { offset: 100n, timestamp: 1500n });
  assert.equal(await log.offsetForTimestamp(1991n), { offset: 199n, timestamp: 1995n });
  assert.is(await log.offsetForTimestamp(5000n), undefined);
});

test('offsetForTimestamp looks inside compressed batches of every codec', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  for (const [index, compression] of (['snappy', 'lz4', 'gzip', 'zstd'] as const).entries()) {
    const base = BigInt(index * 1000);
    await log.append(encodeRecordBatch({ compression, records: [{ value: 'a', timestampMs: base + 100n }, { value: 'b', timestampMs: base + 200n }] }));
  }
  for (let index = 0; index < 4; index++) {
    assert.equal(await log.offsetForTimestamp(BigInt(index * 1000) + 150n), { offset: BigInt(index * 2 + 1), timestamp: BigInt(index * 1000) + 200n });
  }
});

test('segments roll by size and reads cross segment boundaries', async () => {
  await store.createTopic('t', { segmentBytes: 4096 });
  const log = store.partition('t', 0);
  const sent: bigint[] = [];
  for (let i = 0; i < 200; i++) sent.push((await log.append(batchOf(`s${i}`, 2))).baseOffset);
  const total = log.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  assert.ok(log.segments.length >= Math.floor(total / 4096) + 1, `${log.segments.length} segments for ${total} bytes`);
  for (const segment of log.segments) assert.ok(segment.sizeBytes <= 4096);
  assert.equal([...(await readAll(store, 't', 0)).keys()], sent);
  await store.close();
  store = await openStore(dataDir);
  assert.equal([...(await readAll(store, 't', 0)).keys()], sent, 'after a restart');
});

test('segments roll by age (segmentMs) on the next append', async () => {
  await store.createTopic('t', { segmentMs: 60_000 });
  const log = store.partition('t', 0);
  await log.append(batchOf('young'));
  await log.append(batchOf('still young'));
  assert.is(log.segments.length, 1);
  // Age the active segment instead of waiting a minute.
  log.segments[0]!.firstAppendWallMs = Date.now() - 61_000;
  const result = await log.append(batchOf('old enough'));
  assert.is(log.segments.length, 2);
  assert.is(log.segments[1]!.baseOffset, result.baseOffset);
});

test('metrics: appended records and bytes, fdatasync latency, segments and disk use', async () => {
  const registry = new Registry();
  await store.close();
  store = await openStore(dataDir, { registry, storage: { groupCommitMaxWaitMs: 0 } });
  await store.createTopic('m', { segmentBytes: 1024 });
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const batch = batchOf(`metric${i}`, 2);
    bytes += batch.length;
    await store.partition('m', 0).append(batch);
  }
  const text = await registry.metrics();
  assert.match(text, /tributary_storage_append_records_total\{topic="m"\} 60/);
  assert.match(text, new RegExp(`tributary_storage_append_bytes_total\\{topic="m"\\} ${bytes}`));
  assert.match(text, /tributary_storage_flush_duration_seconds_count [1-9]/);
  assert.match(text, new RegExp(`tributary_storage_segments\\{topic="m"\\} ${store.partition('m', 0).segments.length}`));
  assert.match(text, new RegExp(`tributary_storage_disk_usage_bytes ${store.diskUsageBytes()}`));
  assert.ok(store.diskUsageBytes() >= bytes);
});

test('appends after close fail with STORAGE_CLOSED', async () => {
  await store.createTopic('t');
  const log = store.partition('t', 0);
  await store.close();
  await rejects(log.append(batchOf('late')), 'STORAGE_CLOSED');
  store = await openStore(dataDir);
});

test.run();

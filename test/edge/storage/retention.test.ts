import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { isTributaryError } from '../../../shared/errors.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import type { EvictedSegment, LogStore } from '../../../edge/storage/index.ts';
import { openStore, storePerTest, type TestStoreOptions } from './helpers.ts';

const HOUR_MS = 3600_000;
const each = storePerTest(test);
let registry: Registry;

async function open(options: TestStoreOptions = {}): Promise<LogStore> {
  registry = new Registry();
  each.store = await openStore(each.dataDir, { registry, storage: { groupCommitMaxWaitMs: 0, ...options.storage }, ...options, topicDefaults: { segmentBytes: 2048, ...options.topicDefaults } });
  return each.store;
}


/** Appends `count` one-record batches with the given timestamp; returns the offset after them. */
async function fill(log: LogStore, topic: string, partition: number, count: number, timestampMs: number): Promise<bigint> {
  let end = 0n;
  for (let i = 0; i < count; i++) {
    end = (await log.partition(topic, partition).append(encodeRecordBatch({ records: [{ value: Buffer.alloc(100, i), timestampMs: BigInt(timestampMs) }] }))).lastOffset + 1n;
  }
  return end;
}

async function metric(name: string): Promise<string> {
  return registry.getSingleMetricAsString(name);
}

test('time retention deletes segments whose newest record is too old, never the active one', async () => {
  const log = await open();
  await log.createTopic('t', { retentionMs: HOUR_MS });
  const oldEnd = await fill(log, 't', 0, 60, Date.now() - 2 * HOUR_MS);
  await fill(log, 't', 0, 30, Date.now());
  const partition = log.partition('t', 0);
  const before = partition.segments.length;
  const report = await log.enforceRetention();
  assert.ok(report.evicted.length > 0);
  assert.ok(report.evicted.every((segment) => segment.reason === 'time' && segment.nextOffset <= oldEnd));
  assert.ok(report.evicted.every((segment) => !existsSync(segment.file)), 'files are gone');
  assert.is(partition.segments.length, before - report.evicted.length);
  assert.ok(partition.logStartOffset > 0n && partition.logStartOffset <= oldEnd);
  try {
    await partition.read(0n, 1000);
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'OFFSET_OUT_OF_RANGE'));
  }
  assert.is((await partition.read(partition.logStartOffset, 1000)).batches.readBigInt64BE(0), partition.logStartOffset);
  assert.match(await metric('tributary_storage_evicted_segments_total'), new RegExp(`reason="time"\\} ${report.evicted.length}`));

  // Everything old, but the active segment stays.
  await log.alterTopicConfig('t', { retentionMs: 0 });
  await log.enforceRetention();
  assert.is(partition.segments.length, 1);
  assert.is(partition.highWatermark, 90n);
});

test('size retention keeps the partition at most retentionBytes, oldest segments first', async () => {
  const log = await open();
  await log.createTopic('t', { retentionBytes: 6000, retentionMs: -1 });
  await fill(log, 't', 0, 200, Date.now());
  const partition = log.partition('t', 0);
  const report = await log.enforceRetention();
  assert.ok(report.evicted.length > 0 && report.evicted.every((segment) => segment.reason === 'size'));
  assert.ok(partition.sizeBytes <= 6000 + 2048 + 1024, `${partition.sizeBytes} bytes left`);
  const first = report.evicted[0]!;
  assert.is(first.baseOffset, 0n, 'oldest first');
  assert.is(partition.logStartOffset, report.evicted[report.evicted.length - 1]!.nextOffset);
});

test('the disk budget evicts the oldest data across topics, and an append over budget triggers it', async () => {
  const log = await open({ storage: { diskBudgetBytes: 16 * 1024 } });
  await log.createTopic('old', { retentionMs: -1 });
  await log.createTopic('new', { retentionMs: -1 });
  await fill(log, 'old', 0, 60, Date.now() - HOUR_MS);
  const evicted: EvictedSegment[] = [];
  log.on('evicted', (segment) => evicted.push(segment));
  const firstEviction = once(log, 'evicted');
  await fill(log, 'new', 0, 120, Date.now());
  await firstEviction;
  const report = await log.enforceRetention();
  assert.ok(report.diskUsageBytes <= 16 * 1024, `${report.diskUsageBytes} bytes in use`);
  assert.ok(evicted.length > 0 && evicted.every((segment) => segment.reason === 'budget'));
  const firstNew = evicted.findIndex((segment) => segment.topic === 'new');
  const lastOld = evicted.map((segment) => segment.topic).lastIndexOf('old');
  assert.ok(firstNew === -1 || lastOld < firstNew || log.partition('old', 0).segments.length === 1, 'the older topic went first');
  assert.match(await metric('tributary_storage_evicted_bytes_total'), /reason="budget"\} [1-9]/);
});

test('undelivered data is kept by time and size retention, and its eviction by the budget is counted as loss', async () => {
  let delivered = 0n;
  const log = await open({ storage: { diskBudgetBytes: 0 }, deliveredOffset: (topic) => (topic === 'mirrored' ? delivered : undefined) });
  await log.createTopic('mirrored', { retentionMs: HOUR_MS, retentionBytes: 4096 });
  await fill(log, 'mirrored', 0, 100, Date.now() - 2 * HOUR_MS);
  const partition = log.partition('mirrored', 0);
  const segments = partition.segments.length;
  let report = await log.enforceRetention();
  assert.is(report.evicted.length, 0, 'nothing delivered, nothing deleted');
  assert.is(partition.segments.length, segments);

  delivered = partition.segments[2]!.baseOffset;
  report = await log.enforceRetention();
  assert.is(report.evicted.length, 2, 'exactly the delivered segments');
  assert.ok(report.evicted.every((segment) => segment.nextOffset <= delivered && segment.undeliveredRecords === 0n));
  await each.store!.close();

  const withBudget = await open({ storage: { diskBudgetBytes: 4096 }, deliveredOffset: () => delivered });
  report = await withBudget.enforceRetention();
  const lost = report.evicted.reduce((sum, segment) => sum + segment.undeliveredRecords, 0n);
  assert.ok(lost > 0n, 'the budget evicted undelivered records');
  assert.ok(report.evicted.every((segment) => segment.reason === 'budget'));
  assert.match(await metric('tributary_storage_undelivered_evicted_records_total'), new RegExp(`topic="mirrored"\\} ${lost}`));
  assert.ok(report.budgetExceeded || report.diskUsageBytes <= 4096);
});

test('a budget smaller than the active segments is reported, and the active segments stay', async () => {
  const log = await open({ storage: { diskBudgetBytes: 1024 } });
  await log.createTopic('t', { partitions: 2 });
  await fill(log, 't', 0, 40, Date.now());
  await fill(log, 't', 1, 5, Date.now());
  const report = await log.enforceRetention();
  assert.is(report.budgetExceeded, true);
  assert.is(log.partition('t', 0).segments.length, 1);
  assert.is(log.partition('t', 1).segments.length, 1);
  assert.is(log.partition('t', 0).highWatermark, 40n);
});

test('retention runs on its cron schedule', async () => {
  const log = await open({ storage: { retentionCheckCron: '* * * * * *' } });
  await log.createTopic('t', { retentionMs: HOUR_MS });
  // Listening first: on a slow disk a run may come while the segments are still being written.
  const evicted = once(log, 'evicted');
  await fill(log, 't', 0, 40, Date.now() - 2 * HOUR_MS);
  await fill(log, 't', 0, 1, Date.now());
  const [segment] = (await evicted) as [EvictedSegment];
  assert.is(segment.reason, 'time');
});

test.run();

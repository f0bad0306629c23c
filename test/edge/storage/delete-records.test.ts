// DeleteRecords in the log (KIP-107): the log start offset moves inside a segment, durably;
// reads and timestamp searches below it find nothing; retention then removes the segments
// wholly below it; a crash that cuts the log below it brings it back to the log end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTributaryError } from '../../../shared/errors.ts';
import { decodeRecords } from '../../../shared/kafka/record-batch.ts';
import { LOG_START_OFFSET_FILE, encodeLogStartOffset } from '../../../edge/storage/checkpoint.ts';
import type { EvictedSegment, LogStore } from '../../../edge/storage/index.ts';
import { batchOf, openStore, storePerTest } from './helpers.ts';

const each = storePerTest(test);

async function open(): Promise<LogStore> {
  each.store = await openStore(each.dataDir, { storage: { groupCommitMaxWaitMs: 0 }, topicDefaults: { segmentBytes: 1024 } });
  return each.store;
}


/** Appends `count` batches of five records each, timestamps 1000 + offset. */
async function fill(log: LogStore, count: number): Promise<void> {
  for (let batch = 0; batch < count; batch++) {
    const base = batch * 5;
    await log.partition('t', 0).append(batchOf(`b${batch}`, 5, { records: Array.from({ length: 5 }, (_unused, index) => ({ value: null, timestampMs: 1000 + base + index })) }));
  }
}

test('the log start moves inside a batch, durably; reads below it are out of range, searches start at it', async () => {
  const log = await open();
  await log.createTopic('t', { partitions: 1, retentionMs: -1 });
  await fill(log, 2);
  assert.is(await log.deleteRecords('t', 0, 3n), 3n);
  const partition = log.partition('t', 0);
  assert.is(partition.logStartOffset, 3n);
  try {
    await partition.read(2n, 4096);
    assert.unreachable('a read below the log start');
  } catch (error) {
    assert.ok(isTributaryError(error, 'OFFSET_OUT_OF_RANGE'), String(error));
  }
  // A read at the log start gets the batch that holds it, as Kafka serves it; the consumer skips what is below.
  const { batches } = await partition.read(3n, 4096);
  assert.equal(decodeRecords(batches).map((record) => record.offset).slice(0, 5), [0n, 1n, 2n, 3n, 4n]);
  assert.equal(await partition.offsetForTimestamp(1000n), { offset: 3n, timestamp: 1003n }, 'the first record at or after the time and the log start');
  assert.is(await log.deleteRecords('t', 0, 1n), 3n, 'an offset below the log start changes nothing');
  try {
    await log.deleteRecords('t', 0, 11n);
    assert.unreachable('past the high watermark');
  } catch (error) {
    assert.ok(isTributaryError(error, 'OFFSET_OUT_OF_RANGE'), String(error));
  }
  await log.close();
  const reopened = await open();
  assert.is(reopened.partition('t', 0).logStartOffset, 3n, 'durable across a restart');
  assert.is(reopened.recoveryReport.partitions[0]!.logStartOffset, 3n);
});

test('retention removes the segments wholly below the log start, and only those', async () => {
  const log = await open();
  await log.createTopic('t', { partitions: 1, retentionMs: -1 });
  await fill(log, 40);
  const partition = log.partition('t', 0);
  const before = partition.segments.map((segment) => segment.baseOffset);
  assert.ok(before.length >= 3, `several segments (${before.length})`);
  const cut = before[2]! + 1n;
  const evicted: EvictedSegment[] = [];
  // DeleteRecords starts the retention run itself.
  const bothEvicted = new Promise<void>((resolve) => log.on('evicted', (segment) => { if (evicted.push(segment) === 2) resolve(); }));
  await log.deleteRecords('t', 0, cut);
  await bothEvicted;
  assert.equal(evicted.map((segment) => [segment.baseOffset, segment.reason]), [[before[0]!, 'deleted-records'], [before[1]!, 'deleted-records']]);
  assert.equal((await log.enforceRetention()).evicted, [], 'nothing more goes');
  assert.is(partition.segments[0]!.baseOffset, before[2]);
  assert.is(partition.logStartOffset, cut, 'still inside the oldest segment kept');
});

test('a log start offset beyond a log a crash cut short moves back to the log end, so new records stay visible', async () => {
  const log = await open();
  await log.createTopic('t', { partitions: 1, retentionMs: -1 });
  await fill(log, 1);
  await log.close();
  writeFileSync(join(each.dataDir, 'log', 't-0', LOG_START_OFFSET_FILE), encodeLogStartOffset(50n));
  const reopened = await open();
  const partition = reopened.partition('t', 0);
  assert.is(partition.logStartOffset, 5n);
  await fill(reopened, 1);
  await reopened.close();
  const again = await open();
  assert.is(again.partition('t', 0).logStartOffset, 5n);
  assert.is((await again.partition('t', 0).read(5n, 4096)).batches.length > 0, true);
});

test.run();

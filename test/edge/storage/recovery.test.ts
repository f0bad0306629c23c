// Recovery from damaged logs: torn tails at every byte, flipped bits, lost or wrong
// index files, a lost checkpoint, lost producer snapshots.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { isTributaryError } from '../../../shared/errors.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { encodeCheckpoint, RECOVERY_CHECKPOINT_FILE } from '../../../edge/storage/checkpoint.ts';
import type { LogStore } from '../../../edge/storage/index.ts';
import { batchOf, openStore, readAll, removeDirectory, temporaryDirectory } from './helpers.ts';

let dataDir = '';

test.before.each(() => {
  dataDir = temporaryDirectory();
});

test.after.each(() => {
  removeDirectory(dataDir);
});

function partitionDirectory(topic = 't', partition = 0): string {
  return join(dataDir, 'log', `${topic}-${partition}`);
}

function filesOf(directory: string, suffix: string): string[] {
  return readdirSync(directory).filter((name) => name.endsWith(suffix)).sort().map((name) => join(directory, name));
}

/** Positions of the batches in a segment file. */
function batchPositions(file: Buffer): number[] {
  const positions: number[] = [];
  for (let position = 0; position < file.length; position += file.readInt32BE(position + 8) + 12) positions.push(position);
  return positions;
}

async function withStore<T>(work: (store: LogStore) => Promise<T>, registry?: Registry): Promise<T> {
  const store = await openStore(dataDir, { registry });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

test('a torn last batch is cut at every byte, and only it is lost', async () => {
  const sent = await withStore(async (store) => {
    await store.createTopic('t');
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await store.partition('t', 0).append(batchOf(`torn${i}`, 1 + (i % 3))));
    // A small last batch: it is cut at every one of its bytes.
    results.push(await store.partition('t', 0).append(encodeRecordBatch({ records: [{ value: 'z' }] })));
    return results;
  });
  const directory = partitionDirectory();
  const saved = new Map(readdirSync(directory).map((name) => [name, readFileSync(join(directory, name))]));
  const segmentName = [...saved.keys()].find((name) => name.endsWith('.log'))!;
  const segment = saved.get(segmentName)!;
  const positions = batchPositions(segment);
  const lastStart = positions[positions.length - 1]!;
  const lastBase = sent[sent.length - 1]!.baseOffset;

  for (let cut = lastStart; cut < segment.length; cut++) {
    // Restore the directory as the clean shutdown left it, then tear the segment.
    for (const name of readdirSync(directory)) rmSync(join(directory, name));
    for (const [name, data] of saved) writeFileSync(join(directory, name), data);
    truncateSync(join(directory, segmentName), cut);
    // Half the cuts also lose the checkpoint, as a crash before the first clean shutdown would.
    if (cut % 2 === 1) unlinkSync(join(directory, RECOVERY_CHECKPOINT_FILE));
    await withStore(async (store) => {
      const log = store.partition('t', 0);
      const truncations = store.recoveryReport.truncations;
      if (cut === lastStart) {
        assert.is(truncations.length, 0, 'a cut between batches loses nothing else');
      } else {
        assert.is(truncations.length, 1, `cut at ${cut}`);
        assert.is(truncations[0]!.position, lastStart);
        assert.is(truncations[0]!.droppedBytes, cut - lastStart);
        assert.ok(truncations[0]!.file.endsWith(segmentName));
        assert.match(truncations[0]!.reason, /torn|length/);
      }
      assert.is(log.logEndOffset, lastBase);
      const stored = await readAll(store, 't', 0);
      assert.equal([...stored.keys()], sent.slice(0, -1).map((result) => result.baseOffset));
      for (const [index, position] of positions.slice(0, -1).entries()) {
        assert.equal(stored.get(sent[index]!.baseOffset), segment.subarray(position, positions[index + 1]));
      }
      // The log continues where the torn batch was.
      assert.is((await log.append(batchOf('again'))).baseOffset, lastBase);
    });
  }
});

test('after a crash, a flipped bit past the checkpoint cuts the log at that batch and reports it', async () => {
  const registry = new Registry();
  let endOfFirst = 0;
  let offsetAfterFirst = 0n;
  const results = await withStore(async (store) => {
    await store.createTopic('t');
    const log = store.partition('t', 0);
    const all = [];
    for (let i = 0; i < 10; i++) all.push(await log.append(batchOf(`a${i}`, 2)));
    endOfFirst = log.segments[0]!.sizeBytes;
    offsetAfterFirst = log.logEndOffset;
    for (let i = 0; i < 10; i++) all.push(await log.append(batchOf(`b${i}`, 2)));
    return all;
  });
  const directory = partitionDirectory();
  // As if the process had died after the second ten appends: the checkpoint is the one after the first ten.
  writeFileSync(join(directory, RECOVERY_CHECKPOINT_FILE), encodeCheckpoint({ segmentBaseOffset: 0n, position: endOfFirst, nextOffset: offsetAfterFirst }));
  const segmentPath = filesOf(directory, '.log')[0]!;
  const segment = readFileSync(segmentPath);
  const positions = batchPositions(segment);
  const victim = 15;
  segment[positions[victim]! + 70]! ^= 0x04;
  writeFileSync(segmentPath, segment);

  await withStore(async (store) => {
    const [cut] = store.recoveryReport.truncations;
    assert.ok(cut !== undefined, 'the corrupt batch was found');
    assert.is(cut.position, positions[victim]);
    assert.is(cut.droppedBytes, segment.length - positions[victim]!);
    assert.match(cut.reason, /CRC/);
    assert.is(store.partition('t', 0).logEndOffset, results[victim]!.baseOffset);
    assert.equal([...(await readAll(store, 't', 0)).keys()], results.slice(0, victim).map((result) => result.baseOffset));
    const metrics = await registry.getSingleMetricAsString('tributary_storage_recovery_truncations_total');
    assert.match(metrics, /tributary_storage_recovery_truncations_total\{topic="t"\} 1/);
  }, registry);
});

test('a flipped bit in a segment before the checkpoint is never served', async () => {
  const registry = new Registry();
  const results = await withStore(async (store) => {
    await store.createTopic('t', { segmentBytes: 2048 });
    const all = [];
    for (let i = 0; i < 60; i++) all.push(await store.partition('t', 0).append(batchOf(`c${i}`, 2)));
    return all;
  });
  const directory = partitionDirectory();
  const segmentPath = filesOf(directory, '.log')[1]!;
  const segment = readFileSync(segmentPath);
  const positions = batchPositions(segment);
  const segmentBase = segment.readBigInt64BE(0);
  const victimIndex = 3;
  const victimOffset = segment.readBigInt64BE(positions[victimIndex]!);
  segment[positions[victimIndex]! + 66]! ^= 0x80;
  writeFileSync(segmentPath, segment);

  await withStore(async (store) => {
    assert.is(store.recoveryReport.truncations.length, 0, 'a trusted segment is not rescanned at start');
    const log = store.partition('t', 0);
    try {
      await log.read(victimOffset, 1_000_000);
      assert.unreachable('the corrupt batch was served');
    } catch (error) {
      assert.ok(isTributaryError(error, 'STORAGE_CORRUPT'), String(error));
      assert.ok((error as Error).message.includes(segmentPath), 'names the file');
      assert.ok((error as Error).message.includes(`byte ${positions[victimIndex]}`), (error as Error).message);
    }
    const before = await log.read(segmentBase, 1_000_000);
    assert.is(before.batches.length, positions[victimIndex], 'batches before the corrupt one are served, it is not');
    const last = results[results.length - 1]!;
    const after = await log.read(last.baseOffset, 1_000_000);
    assert.is(after.batches.readBigInt64BE(0), last.baseOffset, 'later segments are unaffected');
    assert.match(await registry.getSingleMetricAsString('tributary_storage_corrupt_batches_total'), /\{topic="t"\} [1-9]/);
  }, registry);
});

test('missing and wrong index files are rebuilt; reads by offset and by time still work', async () => {
  const results = await withStore(async (store) => {
    await store.createTopic('t', { segmentBytes: 12_000 });
    const all = [];
    for (let i = 0; i < 600; i++) {
      all.push(await store.partition('t', 0).append(encodeRecordBatch({ records: [{ value: `v${i}`, timestampMs: 10_000n + BigInt(i) * 100n }] })));
    }
    return all;
  });
  const directory = partitionDirectory();
  const indexes = filesOf(directory, '.index');
  const timeIndexes = filesOf(directory, '.timeindex');
  assert.ok(indexes.length >= 4, `${indexes.length} segments`);
  unlinkSync(indexes[0]!);
  unlinkSync(timeIndexes[0]!);
  writeFileSync(indexes[1]!, Buffer.from('not an index at all, just some bytes of the right sort of length'));
  const third = readFileSync(timeIndexes[2]!);
  third[third.length - 10]! ^= 1;
  writeFileSync(timeIndexes[2]!, third);

  await withStore(async (store) => {
    const rebuilt = store.recoveryReport.rebuiltIndexes.map((entry) => entry.file);
    assert.ok(rebuilt.includes(indexes[0]!), 'deleted index rebuilt');
    assert.ok(rebuilt.includes(indexes[1]!), 'garbage index rebuilt');
    assert.ok(rebuilt.includes(indexes[2]!), 'index with a bad CRC rebuilt');
    assert.is(store.recoveryReport.truncations.length, 0);
    const log = store.partition('t', 0);
    for (const probe of [0, 1, 57, 120, 299, 599]) {
      const { batches } = await log.read(results[probe]!.baseOffset, 100);
      assert.is(batches.readBigInt64BE(0), results[probe]!.baseOffset);
      assert.equal(await log.offsetForTimestamp(10_000n + BigInt(probe) * 100n - 50n), { offset: results[probe]!.baseOffset, timestamp: 10_000n + BigInt(probe) * 100n });
    }
  });
  await withStore(async (store) => {
    assert.is(store.recoveryReport.rebuiltIndexes.length, 0, 'rebuilt index files were written back');
  });
});

test('producer state comes from the snapshot, or from the log when snapshots are lost', async () => {
  const idempotent = (sequence: number, count = 2): Buffer => encodeRecordBatch({ producerId: 9n, producerEpoch: 1, baseSequence: sequence, records: Array.from({ length: count }, (_, i) => ({ value: `s${sequence + i}` })) });
  const first = await withStore(async (store) => {
    await store.createTopic('t', { segmentBytes: 1024 });
    let result;
    for (let sequence = 0; sequence < 40; sequence += 2) result = await store.partition('t', 0).append(idempotent(sequence));
    return result!;
  });
  await withStore(async (store) => {
    const recovery = store.recoveryReport.partitions[0]!;
    assert.is(recovery.producerStateFrom, first.lastOffset + 1n, 'the clean-shutdown snapshot was used');
    const retry = await store.partition('t', 0).append(idempotent(38));
    assert.equal(retry, { ...first, duplicate: true });
  });
  for (const snapshot of filesOf(partitionDirectory(), '.snapshot')) unlinkSync(snapshot);
  await withStore(async (store) => {
    assert.is(store.recoveryReport.partitions[0]!.producerStateFrom, 'log-start');
    const retry = await store.partition('t', 0).append(idempotent(38));
    assert.equal(retry, { ...first, duplicate: true }, 'rebuilt from batch headers');
    const next = await store.partition('t', 0).append(idempotent(40));
    assert.is(next.baseOffset, first.lastOffset + 1n);
  });
});

test('a damaged checkpoint means the whole log is verified', async () => {
  await withStore(async (store) => {
    await store.createTopic('t');
    for (let i = 0; i < 5; i++) await store.partition('t', 0).append(batchOf(`d${i}`));
  });
  writeFileSync(join(partitionDirectory(), RECOVERY_CHECKPOINT_FILE), Buffer.from('garbage'));
  await withStore(async (store) => {
    const recovery = store.recoveryReport.partitions[0]!;
    assert.is(recovery.verifiedBatches, 5);
    assert.is(recovery.clean, false);
    assert.is(store.partition('t', 0).highWatermark, 5n);
  });
});

test.run();

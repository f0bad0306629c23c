// A full disk and I/O errors: the append fails with an error naming the file, nothing
// acknowledged earlier is lost, reads keep working, no torn batch is left behind, and
// appends work again once the fault is gone.
//
// The first test fills a real, small tmpfs (mounting needs root). Where mounting is not
// permitted it says so and the injected-fault tests below stand in for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { isTributaryError, type ErrorCode } from '../../../shared/errors.ts';
import { decodeRecords, encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { errnoError, type FaultInjector, type LogStore } from '../../../edge/storage/index.ts';
import { batchOf, openStore, readAll, removeDirectory, temporaryDirectory } from './helpers.ts';

function tryMountTmpfs(path: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

async function expectFailure(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTributaryError(error, code), `expected ${code}, got ${String(error)}`);
    return error as Error;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

test('a real full disk (tmpfs): refused with STORAGE_DISK_FULL, nothing acknowledged lost, appends resume when space returns', async () => {
  const mountPoint = temporaryDirectory();
  if (!tryMountTmpfs(mountPoint, '3m')) {
    console.log('  note: mounting a tmpfs is not permitted here; the disk-full behaviour is covered by the injected ENOSPC tests below');
    rmdirSync(mountPoint);
    return;
  }
  let store: LogStore | undefined;
  try {
    const dataDir = join(mountPoint, 'data');
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(768 * 1024, 1));
    store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 0 }, topicDefaults: { segmentBytes: 256 * 1024 } });
    await store.createTopic('t', { partitions: 2 });
    const acknowledged = new Map<string, { crc: number }>();
    let failure: Error | undefined;
    for (let i = 0; i < 5000 && failure === undefined; i++) {
      const partition = i % 2;
      const batch = encodeRecordBatch({ records: [{ value: randomBytes(3000) }, { value: randomBytes(1000) }] });
      try {
        const result = await store.partition('t', partition).append(batch);
        acknowledged.set(`${partition}@${result.baseOffset}`, { crc: crc32c(batch) >>> 0 });
      } catch (error) {
        failure = error as Error;
      }
    }
    assert.ok(failure !== undefined, 'the disk filled up');
    assert.ok(isTributaryError(failure, 'STORAGE_DISK_FULL'), String(failure));
    const path = String((failure as { details?: { path?: string } }).details?.path);
    assert.ok(path.startsWith(dataDir) && failure.message.includes(path), `the error names the file: ${failure.message}`);

    const check = async (log: LogStore): Promise<void> => {
      for (const partition of [0, 1]) {
        const stored = await readAll(log, 't', partition);
        for (const [key, expected] of acknowledged) {
          const [p, offset] = key.split('@');
          if (Number(p) !== partition) continue;
          const batch = stored.get(BigInt(offset!));
          assert.ok(batch !== undefined, `acknowledged ${key} is readable`);
          assert.is(crc32c(batch) >>> 0, expected.crc);
        }
      }
    };
    await check(store);

    unlinkSync(filler);
    for (const partition of [0, 1]) {
      const log = store.partition('t', partition);
      const end = log.logEndOffset;
      const batch = batchOf(`after-${partition}`);
      const result = await log.append(batch);
      assert.is(result.baseOffset, end, 'offsets continue without a gap');
      acknowledged.set(`${partition}@${result.baseOffset}`, { crc: crc32c(batch) >>> 0 });
    }
    await store.close();
    store = await openStore(dataDir);
    assert.is(store.recoveryReport.truncations.length, 0, 'no torn batch was left in the segment');
    await check(store);
  } finally {
    await store?.close();
    execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  }
});

let dataDir = '';
let fault: FaultInjector | undefined;
let store: LogStore;

test.before.each(async () => {
  dataDir = temporaryDirectory();
  fault = undefined;
  store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 0 }, topicDefaults: { segmentBytes: 4096 }, fileFaults: (operation, path) => fault?.(operation, path) });
  await store.createTopic('t');
});

test.after.each(async () => {
  fault = undefined;
  await store.close();
  removeDirectory(dataDir);
});

function activeSegment(): { path: string; sizeBytes: number } {
  const segments = store.partition('t', 0).segments;
  return segments[segments.length - 1]!;
}

async function reopenAndCheck(expectedEnd: bigint): Promise<void> {
  fault = undefined;
  await store.close();
  store = await openStore(dataDir, { fileFaults: (operation, path) => fault?.(operation, path) });
  assert.is(store.recoveryReport.truncations.length, 0, 'nothing torn was left behind');
  assert.is(store.partition('t', 0).highWatermark, expectedEnd);
  const stored = await readAll(store, 't', 0);
  let expected = 0n;
  for (const [base, batch] of stored) {
    assert.is(base, expected);
    expected = base + BigInt(batch.readInt32BE(23)) + 1n;
  }
  assert.is(expected, expectedEnd);
}

test('injected ENOSPC mid-write: the half-written batch is cut off and the next append takes its offset', async () => {
  const log = store.partition('t', 0);
  await log.append(batchOf('a', 2));
  const { path, sizeBytes } = activeSegment();
  fault = (operation, file) => (operation === 'write' && file.endsWith('.log') ? errnoError('ENOSPC', file) : undefined);
  const error = await expectFailure(log.append(batchOf('b', 3)), 'STORAGE_DISK_FULL');
  assert.ok(error.message.includes(path), error.message);
  assert.is(statSync(path).size, sizeBytes, 'the file was cut back to its last good batch');
  assert.is(log.highWatermark, 2n);
  assert.is((await log.read(0n, 1000)).batches.readBigInt64BE(0), 0n, 'reads keep working');
  fault = undefined;
  assert.is((await log.append(batchOf('c', 1))).baseOffset, 2n);
  await reopenAndCheck(3n);
});

test('injected EIO on fdatasync: the unsynced appends fail and are cut off; later appends work', async () => {
  const log = store.partition('t', 0);
  await log.append(batchOf('a', 2));
  const { path, sizeBytes } = activeSegment();
  fault = (operation, file) => (operation === 'sync' && file.endsWith('.log') ? errnoError('EIO', file) : undefined);
  const failures = await Promise.allSettled([log.append(batchOf('b')), log.append(batchOf('c'))]);
  for (const outcome of failures) {
    assert.is(outcome.status, 'rejected');
    if (outcome.status === 'rejected') {
      assert.ok(isTributaryError(outcome.reason, 'STORAGE_IO'), String(outcome.reason));
      assert.ok((outcome.reason as Error).message.includes(path));
    }
  }
  assert.is(statSync(path).size, sizeBytes);
  assert.is(log.logEndOffset, 2n);
  fault = undefined;
  assert.is((await log.append(batchOf('d'))).baseOffset, 2n);
  await reopenAndCheck(3n);
});

test('fdatasync failures while later groups are being written: every append is either durable or refused, never both', async () => {
  const log = store.partition('t', 0);
  const outcomes = new Map<string, PromiseSettledResult<{ baseOffset: bigint }>>();
  const pending: Promise<void>[] = [];
  const send = (tag: string): void => {
    pending.push(log.append(batchOf(tag, 2)).then(
      (value) => void outcomes.set(tag, { status: 'fulfilled', value }),
      (reason: unknown) => void outcomes.set(tag, { status: 'rejected', reason }),
    ));
  };
  let failures = 0;
  let syncs = 0;
  let extra = 0;
  fault = (operation, file) => {
    if (operation !== 'sync' || !file.endsWith('.log') || failures >= 6 || ++syncs % 4 !== 0) return undefined;
    failures += 1;
    // More appends arrive just as the sync fails, so that some are being written meanwhile.
    for (let i = 0; i < 3; i++) send(`extra${extra++}`);
    return errnoError('EIO', file);
  };
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 5; i++) send(`r${round}.${i}`);
    await Promise.all(pending);
  }
  await Promise.all(pending);
  fault = undefined;
  const refused = [...outcomes.values()].filter((outcome) => outcome.status === 'rejected');
  for (const outcome of refused) assert.ok(isTributaryError(outcome.reason, 'STORAGE_IO'), String(outcome.status === 'rejected' ? outcome.reason : ''));
  const durable = new Map([...outcomes].filter(([, outcome]) => outcome.status === 'fulfilled').map(([tag, outcome]) => [(outcome as PromiseFulfilledResult<{ baseOffset: bigint }>).value.baseOffset, tag]));
  await store.close();
  store = await openStore(dataDir);
  assert.is(store.recoveryReport.truncations.length, 0);
  const stored = await readAll(store, 't', 0);
  assert.equal([...stored.keys()].sort((a, b) => (a < b ? -1 : 1)), [...durable.keys()].sort((a, b) => (a < b ? -1 : 1)), 'exactly the acknowledged appends are in the log');
  for (const [offset, batch] of stored) assert.is(decodeRecords(batch)[0]!.key!.toString(), durable.get(offset));
  assert.ok(refused.length > 0, 'some appends were refused');
});

test('a write error sticks until the file can be cut back, then the partition recovers', async () => {
  const log = store.partition('t', 0);
  await log.append(batchOf('a'));
  const { path, sizeBytes } = activeSegment();
  fault = (operation, file) => (file.endsWith('.log') && (operation === 'write' || operation === 'truncate') ? errnoError('ENOSPC', file) : undefined);
  await expectFailure(log.append(batchOf('b')), 'STORAGE_DISK_FULL');
  fault = (operation, file) => (file.endsWith('.log') && operation === 'truncate' ? errnoError('EIO', file) : undefined);
  const stuck = await expectFailure(log.append(batchOf('c')), 'STORAGE_IO');
  assert.match(stuck.message, /truncate/);
  assert.ok(statSync(path).size > sizeBytes, 'the torn bytes are still there');
  fault = undefined;
  assert.is((await log.append(batchOf('d'))).baseOffset, 1n);
  assert.is(statSync(path).size, sizeBytes + batchOf('d').length, 'cut back, then appended');
  await reopenAndCheck(2n);
});

test('a cut that failed is tried again at a clean close, so the next start finds nothing torn', async () => {
  const log = store.partition('t', 0);
  await log.append(batchOf('a'));
  const { path, sizeBytes } = activeSegment();
  fault = (operation, file) => (file.endsWith('.log') && (operation === 'write' || operation === 'truncate') ? errnoError('ENOSPC', file) : undefined);
  await expectFailure(log.append(batchOf('b')), 'STORAGE_DISK_FULL');
  assert.ok(statSync(path).size > sizeBytes, 'the torn bytes are still there');
  await reopenAndCheck(1n);
});

test('a failure while rolling to a new segment fails the append; the next roll succeeds', async () => {
  const log = store.partition('t', 0);
  let end = 0n;
  while (log.segments.length === 1) end = (await log.append(batchOf('fill', 5))).lastOffset + 1n;
  const segments = log.segments.length;
  const big = encodeRecordBatch({ records: [{ value: Buffer.alloc(3000, 2) }] });
  fault = (operation, file) => (operation === 'open' && file.endsWith('.log') ? errnoError('ENOSPC', file) : undefined);
  // Fill the active segment so that the next append must roll.
  let failed = false;
  for (let i = 0; i < 3 && !failed; i++) {
    try {
      end = (await log.append(Buffer.from(big))).lastOffset + 1n;
    } catch (error) {
      assert.ok(isTributaryError(error, 'STORAGE_DISK_FULL'), String(error));
      failed = true;
    }
  }
  assert.ok(failed, 'the roll failed');
  assert.is(log.segments.length, segments);
  fault = undefined;
  assert.is((await log.append(Buffer.from(big))).baseOffset, end);
  assert.is(log.segments.length, segments + 1);
  await reopenAndCheck(end + 1n);
});

test.run();

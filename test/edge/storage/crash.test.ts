// Crash tests with real processes: a child appends and reports each durable append on
// stdout; the parent kills it with SIGKILL at a random moment, reopens the log, and checks
// that every reported batch is there with its exact bytes and that nothing corrupt is
// served. Several rounds on the same data directory, so recovery runs on logs that were
// themselves recovered, with segments rolling in between.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { crc32c } from '@node-rs/crc32';
import { verifyBatch } from '../../../shared/kafka/record-batch.ts';
import type { LogStore } from '../../../edge/storage/index.ts';
import { openStore, readAll, removeDirectory, temporaryDirectory } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROUNDS = 6;

interface Reported {
  partition: number;
  baseOffset: string;
  lastOffset: string;
  crc: number;
  size: number;
  sequence?: number;
  epoch?: number;
  batch?: string;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the child until it has reported `killAfter` durable appends, then kills it with SIGKILL. */
async function runAndKill(dataDir: string, seed: number, killAfter: number, epoch: number): Promise<Reported[]> {
  const child = spawn(process.execPath, [CHILD, dataDir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CRASH_EPOCH: String(epoch) } });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const reported: Reported[] = [];
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const parsed = JSON.parse(line) as Reported & { ready?: boolean };
    if (parsed.ready) continue;
    reported.push(parsed);
    if (reported.length === killAfter) child.kill('SIGKILL');
  }
  const how = await exited;
  children.delete(child);
  assert.is(how, 'SIGKILL', `child should die by SIGKILL, not ${String(how)}: ${stderr}`);
  return reported;
}

async function checkEverything(store: LogStore, durable: Map<string, Reported>): Promise<void> {
  for (let partition = 0; partition < 3; partition++) {
    const stored = await readAll(store, 'crash', partition);
    // Nothing corrupt is served: every batch returned passes its own checks.
    for (const batch of stored.values()) verifyBatch(batch);
    for (const reported of durable.values()) {
      if (reported.partition !== partition) continue;
      const batch = stored.get(BigInt(reported.baseOffset));
      assert.ok(batch !== undefined, `durable batch ${partition}@${reported.baseOffset} is missing`);
      assert.is(batch.length, reported.size);
      assert.is(crc32c(batch) >>> 0, reported.crc, `batch ${partition}@${reported.baseOffset} differs from what was acknowledged`);
    }
    // Offsets are contiguous from the log start.
    let expected = store.partition('crash', partition).logStartOffset;
    for (const [base, batch] of stored) {
      assert.is(base, expected, `offsets continue without a gap in partition ${partition}`);
      expected = base + BigInt(batch.readInt32BE(23)) + 1n;
    }
    assert.is(expected, store.partition('crash', partition).highWatermark);
  }
}

test('SIGKILL at random moments loses no acknowledged append and serves nothing corrupt', async () => {
  const dataDir = temporaryDirectory();
  try {
    const durable = new Map<string, Reported>();
    let truncations = 0;
    let verifiedBatches = 0;
    let lastIdempotent: Reported | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = 20 + Math.floor(Math.random() * 400);
      const reported = await runAndKill(dataDir, 1 + round * 7919 + Math.floor(Math.random() * 1000), killAfter, round);
      for (const entry of reported) {
        durable.set(`${entry.partition}@${entry.baseOffset}`, entry);
        if (entry.sequence !== undefined) lastIdempotent = entry;
      }
      const store = await openStore(dataDir);
      try {
        truncations += store.recoveryReport.truncations.length;
        verifiedBatches += store.recoveryReport.partitions.reduce((sum, partition) => sum + partition.verifiedBatches, 0);
        assert.ok(store.recoveryReport.partitions.every((partition) => !partition.clean || partition.verifiedBatches === 0));
        for (const cut of store.recoveryReport.truncations) assert.ok(cut.droppedBytes >= 0 && cut.reason.length > 0);
        await checkEverything(store, durable);
        // Idempotence survives the kill: the last acknowledged idempotent batch, sent again, is a duplicate.
        if (lastIdempotent !== undefined && lastIdempotent.epoch === round) {
          const retry = await store.partition('crash', 0).append(Buffer.from(lastIdempotent.batch!, 'base64'));
          assert.is(retry.duplicate, true, 'a retry after SIGKILL is recognised');
          assert.is(retry.baseOffset, BigInt(lastIdempotent.baseOffset));
          assert.is(retry.lastOffset, BigInt(lastIdempotent.lastOffset));
        }
      } finally {
        await store.close();
      }
    }
    assert.ok(durable.size > ROUNDS * 20, `${durable.size} durable appends checked`);
    assert.ok(verifiedBatches > 0, 'recovery verified the batches written after the last checkpoint');
    console.log(`  ${durable.size} acknowledged appends checked over ${ROUNDS} SIGKILLs; recovery verified ${verifiedBatches} batches and cut ${truncations} torn tails`);
  } finally {
    removeDirectory(dataDir);
  }
});

test.run();

// Compaction under SIGKILL: a child appends keyed records and tombstones to a compacted topic
// while the cleaner runs pass after pass; the parent kills it at a random moment, reopens
// the store (recovery finishes or drops any swap under way) and checks, round after round on
// the same data directory, that:
//   - nothing acknowledged is lost: the newest acknowledged record of every key is there at
//     its offset with its value, unless a newer record of the key is;
//   - nothing resurrects: no key shows an older value than its newest acknowledged record,
//     and a key whose newest acknowledged record is a tombstone shows no value from before it;
//   - nothing corrupt is served, offsets only increase, and no .cleaned or .swap file is left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeRecords, verifyBatch } from '../../../../shared/kafka/record-batch.ts';
import { openStore, readAll, removeDirectory, temporaryDirectory } from '../helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const TOPIC = 'compacted';
const ROUNDS = 6;

interface AckedRecord {
  offset: bigint;
  key: string;
  value: string | null;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the child until it has reported `killAfter` durable appends, then kills it; returns what it acknowledged and how many passes it finished. */
async function runAndKill(dataDir: string, seed: number, round: number, killAfter: number): Promise<{ acked: AckedRecord[]; passes: number }> {
  const child = spawn(process.execPath, [CHILD, dataDir, String(seed), String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const acked: AckedRecord[] = [];
  let appends = 0;
  let passes = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    const parsed = JSON.parse(line) as { ready?: boolean; pass?: boolean; records?: Array<{ offset: string; key: string; value: string | null }> };
    if (parsed.pass) passes += 1;
    if (parsed.records === undefined) continue;
    for (const record of parsed.records) acked.push({ offset: BigInt(record.offset), key: record.key, value: record.value });
    appends += 1;
    if (appends === killAfter) child.kill('SIGKILL');
  }
  const how = await exited;
  children.delete(child);
  assert.is(how, 'SIGKILL', `child should die by SIGKILL, not ${String(how)}: ${stderr}`);
  return { acked, passes };
}

test('SIGKILL at random moments of cleaning loses no acknowledged record and brings back no removed one', async () => {
  const dataDir = temporaryDirectory();
  try {
    /** The newest acknowledged record of each key, over every round. */
    const newestAcked = new Map<string, AckedRecord>();
    let passes = 0;
    let removedSeen = false;
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = 100 + Math.floor(Math.random() * 500);
      const run = await runAndKill(dataDir, 1 + round * 7919 + Math.floor(Math.random() * 1000), round, killAfter);
      passes += run.passes;
      for (const record of run.acked) {
        const known = newestAcked.get(record.key);
        if (known === undefined || record.offset > known.offset) newestAcked.set(record.key, record);
      }
      const store = await openStore(dataDir);
      try {
        const leftovers = readdirSync(join(store.logDirectory, `${TOPIC}-0`)).filter((name) => name.endsWith('.cleaned') || name.endsWith('.swap'));
        assert.equal(leftovers, [], 'recovery finished or dropped every swap');
        const newestInLog = new Map<string, AckedRecord>();
        let previous = -1n;
        let records = 0;
        for (const batch of (await readAll(store, TOPIC, 0)).values()) {
          verifyBatch(batch, 0, { requireDenseOffsets: false });
          for (const record of decodeRecords(batch)) {
            assert.ok(record.offset > previous, `offsets only increase (${record.offset} after ${previous})`);
            previous = record.offset;
            records += 1;
            newestInLog.set(record.key!.toString(), { offset: record.offset, key: record.key!.toString(), value: record.value?.toString() ?? null });
          }
        }
        if (records < run.acked.length) removedSeen = true;
        for (const [key, acked] of newestAcked) {
          const inLog = newestInLog.get(key);
          if (inLog === undefined) {
            assert.is(acked.value, null, `key ${key}: its newest acknowledged value (offset ${acked.offset}) is lost`);
            continue;
          }
          assert.ok(inLog.offset >= acked.offset, `key ${key}: the log shows offset ${inLog.offset} (${inLog.value === null ? 'a tombstone' : 'a value'}), older than the acknowledged ${acked.offset}: a removed record came back`);
          if (inLog.offset === acked.offset) assert.is(inLog.value, acked.value, `key ${key} at ${acked.offset} has the acknowledged value`);
        }
      } finally {
        await store.close();
      }
    }
    assert.ok(passes >= ROUNDS, `the cleaner finished ${passes} passes among the kills`);
    assert.ok(removedSeen, 'compaction removed records');
    console.log(`  ${ROUNDS} SIGKILLs among ${passes} compaction passes; ${newestAcked.size} keys held to their newest acknowledged record`);
  } finally {
    removeDirectory(dataDir);
  }
});

test.run();

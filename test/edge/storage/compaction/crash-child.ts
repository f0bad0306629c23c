// A process that appends keyed records and tombstones to a compacted topic while the cleaner
// runs pass after pass, until it is killed, for the compaction crash test.
//
//   node test/edge/storage/compaction/crash-child.ts <dataDir> <seed> <round>
//
// Each durable append is reported on stdout as one line of JSON: its records' offsets, keys
// and values (null for a tombstone). Each finished pass is reported too, so that the parent
// knows the kills fell among passes.
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { openStore } from '../helpers.ts';

const [dataDir, seedText, roundText] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: crash-child.ts <dataDir> <seed> <round>');
let seed = Number(seedText ?? 1) >>> 0 || 1;
function random(): number {
  // xorshift32: reproducible per seed.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
}

export const TOPIC = 'compacted';
const KEYS = 24;
const APPENDERS = 3;
const round = Number(roundText ?? 0);

// Small segments, so that segments close and are cleaned all the time; tombstones go at the first pass that sees them.
const store = await openStore(dataDir, { storage: { groupCommitMaxWaitMs: 1 }, topicDefaults: { segmentBytes: 4096 } });
if (store.describeTopic(TOPIC) === undefined) await store.createTopic(TOPIC, { cleanupPolicy: 'compact', deleteRetentionMs: 0, minCleanableDirtyRatio: 0.01 });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

async function appender(id: number): Promise<never> {
  for (let n = 0; ; n++) {
    const count = 1 + Math.floor(random() * 4);
    const records = Array.from({ length: count }, (_, index) => {
      const key = `k${Math.floor(random() * KEYS)}`;
      const value = random() < 0.15 ? null : `r${round}-a${id}-${n}-${index}-`.padEnd(40 + Math.floor(random() * 200), 'v');
      return { key, value };
    });
    const result = await store.partition(TOPIC, 0).append(encodeRecordBatch({ records }));
    const line = { records: records.map((record, index) => ({ offset: (result.baseOffset + BigInt(index)).toString(), key: record.key, value: record.value })) };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

async function cleaner(): Promise<never> {
  for (;;) {
    const report = await store.compact({ force: true });
    for (const pass of report.passes) process.stdout.write(`${JSON.stringify({ pass: true, removed: pass.removedRecords })}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

await Promise.all([...Array.from({ length: APPENDERS }, (_, id) => appender(id)), cleaner()]);

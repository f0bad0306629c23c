// Compaction benchmark (not a test): how fast the cleaner cleans a compacted partition and
// how many bytes it writes, beside a baseline measured in the same run on the same disk:
// a plain sequential copy of the same segment files (1 MiB reads and writes, one
// fdatasync per file), the least any cleaner that rewrites them must do.
//
//   npm run bench:compaction
//   BENCH_MIB=64 BENCH_KEYS=10000 BENCH_ROUNDS=3 npm run bench:compaction
//
// Each round fills a fresh one-partition compacted topic with BENCH_MIB MiB of 10-record
// batches whose keys are drawn from BENCH_KEYS keys (values 100 to 300 bytes), copies its
// closed segments (the baseline), then runs one compaction pass over them. Throughput is
// MiB of log cleaned (bytes of the segments the pass rewrote) per second. The write
// amplification the cleaner adds is bytes it wrote / bytes of batches appended, from
// /proc/self/io write_bytes during the pass (index files and checkpoints included) and from
// its own count; for the baseline, bytes copied / bytes appended.
// The copy runs first in every round (the pass replaces the files it copies), each after a
// `sync`; medians with the range are printed.
import { execSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_STORAGE_CONFIG, DEFAULT_TOPIC_CONFIG } from '../shared/config/topic-settings.ts';
import { encodeRecordBatch } from '../shared/kafka/record-batch.ts';
import { silentLogger } from '../shared/logger.ts';
import { LogStore } from '../edge/storage/index.ts';
import { fixed, goalLine, renderTable, runRatios, type FigureRow } from './report.ts';
import { spread } from './statistics.ts';

const LOG_MIB = Number(process.env.BENCH_MIB ?? 64);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORDS_PER_BATCH = 10;
/** Segments of 16 MiB: several closed segments per round, as on a device's long-lived compacted topic. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
const COPY_CHUNK_BYTES = 1024 * 1024;

function processWriteBytes(): number {
  return Number(/write_bytes:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);
}

async function fill(dataDir: string): Promise<{ store: LogStore; appendedBytes: number; directory: string }> {
  const store = await LogStore.open({
    dataDir,
    logger: silentLogger(),
    registry: new Registry(),
    storage: { ...DEFAULT_STORAGE_CONFIG, retentionCheckCron: '0 0 1 1 *', cleanerCheckIntervalMs: 3_600_000 },
    topicDefaults: { ...DEFAULT_TOPIC_CONFIG, segmentBytes: SEGMENT_BYTES, flush: { policy: 'os', intervalMs: 100 } },
  });
  await store.createTopic('bench', { cleanupPolicy: 'compact' });
  const partition = store.partition('bench', 0);
  let appendedBytes = 0;
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pending: Promise<unknown>[] = [];
  while (appendedBytes < LOG_MIB * 1024 * 1024) {
    const batch = encodeRecordBatch({ records: Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: `key-${Math.floor(random() * KEYS)}`, value: Buffer.alloc(100 + Math.floor(random() * 200), 0x61 + Math.floor(random() * 26)) })) });
    appendedBytes += batch.length;
    pending.push(partition.append(batch));
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return { store, appendedBytes, directory: join(store.logDirectory, 'bench-0') };
}

/** The baseline: each closed segment copied with large sequential reads and writes, one fdatasync per file. */
function copySegments(directory: string, files: string[]): { seconds: number; bytes: number; processBytes: number } {
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const before = processWriteBytes();
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (const name of files) {
    const input = openSync(join(directory, name), 'r');
    const output = openSync(join(directory, `${name}.copy`), 'w');
    for (let position = 0; ;) {
      const read = readSync(input, buffer, 0, buffer.length, position);
      if (read === 0) break;
      writeSync(output, buffer, 0, read, position);
      position += read;
      bytes += read;
    }
    fdatasyncSync(output);
    closeSync(output);
    closeSync(input);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const processBytes = processWriteBytes() - before;
  for (const name of files) rmSync(join(directory, `${name}.copy`));
  return { seconds, bytes, processBytes };
}

interface Round {
  cleanerMiBps: number;
  baselineMiBps: number;
  cleanerWa: number;
  cleanerWaProcess: number;
  baselineWa: number;
  removedShare: number;
}

async function round(root: string, index: number): Promise<Round> {
  const dataDir = join(root, `round-${index}`);
  const { store, appendedBytes, directory } = await fill(dataDir);
  try {
    const activeBase = store.partition('bench', 0).segments.at(-1)!.baseOffset;
    const closed = readdirSync(directory).filter((name) => name.endsWith('.log') && BigInt(name.slice(0, 20)) < activeBase).sort();
    execSync('sync');
    // The baseline goes first: the pass replaces the very files it copies.
    const baseline = copySegments(directory, closed);
    execSync('sync');
    const before = processWriteBytes();
    const started = process.hrtime.bigint();
    const report = await store.compact({ force: true });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const processBytes = processWriteBytes() - before;
    const pass = report.passes[0];
    if (pass === undefined) throw new Error('the cleaner found nothing to clean');
    const result: Round = {
      cleanerMiBps: pass.cleanedBytes / 1024 / 1024 / seconds,
      baselineMiBps: baseline.bytes / 1024 / 1024 / baseline.seconds,
      cleanerWa: pass.writtenBytes / appendedBytes,
      cleanerWaProcess: processBytes / appendedBytes,
      baselineWa: baseline.bytes / appendedBytes,
      removedShare: 1 - pass.writtenBytes / pass.cleanedBytes,
    };
    console.log(`  round ${index + 1}: cleaned ${(pass.cleanedBytes / 1024 / 1024).toFixed(1)} MiB in ${seconds.toFixed(2)} s (${result.cleanerMiBps.toFixed(1)} MiB/s), wrote ${(pass.writtenBytes / 1024 / 1024).toFixed(1)} MiB, removed ${pass.removedRecords.toLocaleString('en')} records; baseline copy ${result.baselineMiBps.toFixed(1)} MiB/s`);
    return result;
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-bench-compaction-'));
  try {
    console.log(`compaction benchmark: ${LOG_MIB} MiB of ${RECORDS_PER_BATCH}-record batches over ${KEYS.toLocaleString('en')} keys, ${SEGMENT_BYTES / 1024 / 1024} MiB segments, ${ROUNDS} rounds`);
    const rounds: Round[] = [];
    for (let index = 0; index < ROUNDS; index++) rounds.push(await round(root, index));
    const values = (pick: (round: Round) => number): number[] => rounds.map(pick);
    type Column = 'cleaner' | 'copy';
    const rows: FigureRow<Column>[] = [
      { label: 'MiB/s of log cleaned', better: 'higher', format: fixed(1), values: { cleaner: values((r) => r.cleanerMiBps), copy: values((r) => r.baselineMiBps) } },
      { label: 'bytes written / bytes appended', better: 'lower', format: fixed(3), values: { cleaner: values((r) => r.cleanerWaProcess), copy: values((r) => r.baselineWa) } },
    ];
    console.log('');
    for (const line of renderTable(['cleaner', 'copy'] as const, [{ numerator: 'cleaner', denominator: 'copy' }], rows)) console.log(line);
    console.log(`\nwrite amplification the cleaner adds, by its own count (written / appended): ${fixed(3)(spread(values((r) => r.cleanerWa)).median)}; share of the cleaned bytes it removed: ${fixed(2)(spread(values((r) => r.removedShare)).median)}`);
    // The cleaner reads every record (the key map, then the copy) and writes only what it keeps: it should never write more than a copy.
    console.log(goalLine({ label: 'cleaner bytes written / copy bytes written', values: runRatios(rows[1]!, { numerator: 'cleaner', denominator: 'copy' }), atMost: 1 }));
    console.log(JSON.stringify({ bench: 'compaction', logMiB: LOG_MIB, keys: KEYS, rounds }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();

// The backlog phase of the footprint benchmark: a device whose uplink was down for days holds
// a large log, and its broker's memory must not grow with it. For each backlog size the
// daemon is filled through its Kafka listener (kcat, records of RECORD_BYTES), stopped and
// started again on the same data directory, so that what is measured is the daemon opening
// a log of that size, not the one that wrote it. Its RSS is read SETTLE_MS after ready
// (idle with the backlog on disk); then kcat reads the whole backlog from the start, and the
// peak RSS (VmHWM) is read after. The target: the largest backlog's figures within
// BACKLOG_GROWTH_MAX of the smallest's, each ratio taken within one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemon } from '../test/helpers/daemon.ts';
import { requireProgram } from '../test/helpers/system-programs.ts';
import { kcatConsume, kcatProduce, writeRecordsFile } from './kafka/kcat.ts';
import { memoryKiB } from './process-stats.ts';
import { cell, fixed, goalLine } from './report.ts';
import { spread } from './statistics.ts';

/** The footprint plan's target: a 1 GB backlog's RSS within 10% of a 10 MB backlog's. */
export const BACKLOG_GROWTH_MAX = 1.1;
const SIZES_MB = (process.env.BENCH_BACKLOG_SIZES_MB ?? '10,1024').split(',').map(Number);
const RUNS = Number(process.env.BENCH_BACKLOG_RUNS ?? 1);
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 10_000);
/** A reading of a few sensors batched by a gateway: large enough that 1 GB is written in well under a minute. */
const RECORD_BYTES = 1000;
const TOPIC = 'backlog';
const MB = 1024 * 1024;
/** The daemon's configuration in both of its lives: the defaults, logging warnings only. */
const CONFIG = { log: { level: 'warn' } };

interface BacklogResult { idleRssMB: number; readPeakMB: number; records: number }

async function measureBacklog(sizeMB: number, recordsFile: string, records: number): Promise<BacklogResult> {
  const writer = await Daemon.start({ config: CONFIG });
  let reader: Daemon | undefined;
  try {
    await kcatProduce(`127.0.0.1:${writer.ports.kafka}`, TOPIC, recordsFile);
    await writer.stop();
    reader = await writer.restart({ config: CONFIG });
    await sleep(SETTLE_MS);
    const idleRssMB = memoryKiB(reader.pid, 'VmRSS') / 1024;
    const read = await kcatConsume(`127.0.0.1:${reader.ports.kafka}`, TOPIC);
    if (read.records !== records) throw new Error(`the ${sizeMB} MB backlog gave back ${read.records} records of ${records} produced`);
    return { idleRssMB, readPeakMB: memoryKiB(reader.pid, 'VmHWM') / 1024, records: read.records };
  } finally {
    await writer.cleanup();
    await reader?.cleanup();
  }
}

export async function backlogPhase(): Promise<Record<number, BacklogResult[]>> {
  requireProgram('kcat');
  console.log(`Backlog: ${SIZES_MB.join(' and ')} MB of ${RECORD_BYTES}-byte records on disk; RSS ${SETTLE_MS / 1000} s after a restart, then the peak while kcat reads it all; ${RUNS} run(s); target: the largest within ${BACKLOG_GROWTH_MAX}× the smallest`);
  const results: Record<number, BacklogResult[]> = Object.fromEntries(SIZES_MB.map((size) => [size, []]));
  const directory = mkdtempSync(join(tmpdir(), 'tributary-backlog-'));
  try {
    for (let run = 0; run < RUNS; run += 1) {
      for (const sizeMB of run % 2 === 0 ? SIZES_MB : [...SIZES_MB].reverse()) {
        const records = Math.round(sizeMB * MB / (RECORD_BYTES + 1));
        const recordsFile = join(directory, `records-${sizeMB}`);
        writeRecordsFile(recordsFile, records, RECORD_BYTES);
        try {
          const result = await measureBacklog(sizeMB, recordsFile, records);
          results[sizeMB]!.push(result);
          console.log(`  run ${run + 1} ${String(sizeMB).padStart(5)} MB: RSS after restart ${result.idleRssMB.toFixed(1)} MB, peak while read ${result.readPeakMB.toFixed(1)} MB (${result.records.toLocaleString('en')} records)`);
        } finally {
          rmSync(recordsFile, { force: true });
        }
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  const smallest = results[Math.min(...SIZES_MB)]!;
  const largest = results[Math.max(...SIZES_MB)]!;
  for (const sizeMB of SIZES_MB) {
    console.log(`  ${String(sizeMB).padStart(5)} MB backlog: RSS after restart ${cell(spread(results[sizeMB]!.map((run) => run.idleRssMB)), fixed(1))} MB, peak while read ${cell(spread(results[sizeMB]!.map((run) => run.readPeakMB)), fixed(1))} MB`);
  }
  console.log(`  ${goalLine({ label: 'RSS after restart, largest / smallest backlog', values: largest.map((run, index) => run.idleRssMB / smallest[index]!.idleRssMB), atMost: BACKLOG_GROWTH_MAX })}`);
  console.log(`  ${goalLine({ label: 'peak RSS while read, largest / smallest backlog', values: largest.map((run, index) => run.readPeakMB / smallest[index]!.readPeakMB), atMost: BACKLOG_GROWTH_MAX })}`);
  return results;
}

if (process.argv[1] === import.meta.filename) await backlogPhase();

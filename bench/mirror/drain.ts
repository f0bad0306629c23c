// One drain of the comparison: a mirror process starts with the whole backlog waiting at the
// edge and a fresh link in front of the central, and runs until the central holds every
// record. The clock starts when the process is started:
//
//   first byte    the first byte the mirror sends through the link (its start-up before);
//   first record  the first backlog record the central holds;
//   done          the central holds every backlog record: the drain time.
//
// Between first record and done the mirror is only moving data: its transfer time, in which
// the link's utilisation (bytes it carried upstream / (cap × time)) is measured too. Bytes on
// the wire are everything the link carried both ways from start to done, internal topics,
// metadata and acknowledgements included.
import type { Central } from './central.ts';
import { startMirror, type MirrorName, type MirrorRun } from './mirrors.ts';
import { kafkaClient } from '../../test/mirror/cluster.ts';
import { cleanUpOnCrash } from '../cleanup-on-crash.ts';
import { cpuSeconds, memoryKiB } from '../process-stats.ts';

/** Between two looks at the central's progress and the link's counters; the times are this precise. */
const POLL_MS = 100;
/** A drain that takes longer than this many times the cap's arithmetic has stalled: the run fails and says so. */
const STALL_FACTOR = 10;
/** Start-up allowance on top of that, for a JVM on a loaded machine. */
const STALL_ALLOWANCE_MS = 120_000;

export interface DrainFigures {
  drainSeconds: number;
  startUpSeconds: number;
  firstRecordSeconds: number;
  transferSeconds: number;
  /** Bytes the link carried upstream while records were moving, over what the cap allowed in that time. */
  utilisation: number;
  bytesUpstream: number;
  bytesDownstream: number;
  /** Records the central holds at the end: more than the backlog means duplicates. */
  recordsAtCentral: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export interface Backlog { topic: string; partitions: number; records: number; bytes: number }

export async function drain(name: MirrorName, central: Central, run: Omit<MirrorRun, 'topic' | 'centralBootstrap'>, backlog: Backlog, capBytesPerSecond: number): Promise<DrainFigures> {
  const link = await central.openLink(capBytesPerSecond);
  const reader = kafkaClient(central.bootstrap, 'bench-central-reader');
  const started = performance.now();
  const mirror = await startMirror(name, { ...run, topic: backlog.topic, centralBootstrap: central.linkBootstrap });
  const forget = cleanUpOnCrash(() => mirror.stop());
  const deadline = started + (backlog.bytes / capBytesPerSecond) * 1000 * STALL_FACTOR + STALL_ALLOWANCE_MS;
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    let firstByte = Number.NaN;
    let firstRecord = Number.NaN;
    let upstreamAtFirstRecord = 0;
    let records = 0;
    for (;;) {
      const stats = link.stats();
      if (Number.isNaN(firstByte) && stats.bytesUpstream > 0) firstByte = seconds();
      records = await centralRecords(reader, mirror.targetTopic, backlog.partitions);
      if (Number.isNaN(firstRecord) && records > 0) {
        firstRecord = seconds();
        upstreamAtFirstRecord = stats.bytesUpstream;
      }
      if (records >= backlog.records) break;
      if (!mirror.alive()) throw new Error(`${name} exited before the central held the backlog (${records} of ${backlog.records} records):\n${mirror.output()}`);
      if (performance.now() > deadline) throw new Error(`${name} stalled: the central holds ${records} of ${backlog.records} records after ${seconds().toFixed(0)} s:\n${mirror.output()}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const done = seconds();
    const stats = link.stats();
    const transferSeconds = done - firstRecord;
    return {
      drainSeconds: done,
      startUpSeconds: firstByte,
      firstRecordSeconds: firstRecord,
      transferSeconds,
      utilisation: (stats.bytesUpstream - upstreamAtFirstRecord) / (capBytesPerSecond * transferSeconds),
      bytesUpstream: stats.bytesUpstream,
      bytesDownstream: stats.bytesDownstream,
      recordsAtCentral: records,
      peakRssMiB: memoryKiB(mirror.pid, 'VmHWM') / 1024,
      cpuSeconds: cpuSeconds(mirror.pid),
    };
  } finally {
    await mirror.stop();
    forget();
    await reader.close();
    await link.close();
  }
}

/** Records in a central topic (the sum of its partitions' high watermarks); 0 while it does not exist or cannot be read yet. */
async function centralRecords(reader: ReturnType<typeof kafkaClient>, topic: string, partitions: number): Promise<number> {
  // Asked first, without creating it: the central would otherwise create the topic with its
  // default of one partition before the mirror creates it with the edge's count.
  if ((await reader.partitionCount(topic)) === undefined) return 0;
  let total = 0n;
  try {
    for (let partition = 0; partition < partitions; partition += 1) total += (await reader.offsets(topic, partition)).highWatermark;
  } catch {
    // A partition just created may have no leader yet; the next look will tell.
    return 0;
  }
  return Number(total);
}

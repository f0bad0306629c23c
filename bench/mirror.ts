// Mirror benchmark (not a test): edge to central through the fault-injecting link, capped at
// 1 MB/s. The central is Apache Kafka 4.4, one node (bench/mirror/central.ts): what the
// mirror meets in production, and what MirrorMaker 2 is made for.
//
//   npm run bench:mirror                          # about 10 minutes
//   BENCH_BACKLOG_MB=10 BENCH_LIVE_SECONDS=8 BENCH_COMPARE_MB=10 BENCH_COMPARE_RUNS=1 npm run bench:mirror   # a quick run
//
// 1. The embedded mirror (the default), bench/mirror/embedded-mirror.ts: link utilisation and
//    goodput while producers keep the edge ahead of the link; then the drain of a
//    BENCH_BACKLOG_MB backlog built while the link was cut, next to the cap's arithmetic and
//    a raw TCP stream of the same bytes through an identical link, measured in the same run.
// 2. Side by side with MirrorMaker 2 (bench/mirror/mirrors.ts, bench/mirror/drain.ts): one
//    edge holds a BENCH_COMPARE_MB backlog, and Tributary's standalone mirror and MirrorMaker
//    2 take turns draining all of it, each from a cold start into topics of its own on the
//    same central, through a fresh link with the same cap, BENCH_COMPARE_RUNS times each in
//    alternating order. Drain time, link utilisation, bytes on the wire, the mirror process's
//    peak RSS and CPU. Both are processes of their own reading the edge over Kafka, so their
//    memory compares like for like.
//
// Record values are random bytes, so compression cannot hide the link: 100 MB at 1 MB/s is
// about 100 s. Goals: utilisation >= 0.9, embedded drain <= 1.15 × the raw baseline; against
// MirrorMaker 2, drain speed >= 1.0× at <= 0.25× its memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from '@platformatic/kafka';
import { Daemon, metricValue } from '../test/helpers/daemon.ts';
import { cleanUpOnCrash } from './cleanup-on-crash.ts';
import { startCentral, type Central } from './mirror/central.ts';
import { drain, type Backlog, type DrainFigures } from './mirror/drain.ts';
import { produceBytes } from './mirror/edge-records.ts';
import { embeddedMirror } from './mirror/embedded-mirror.ts';
import { MIRROR_NAMES, warmTributaryMirror, type MirrorName } from './mirror/mirrors.ts';
import { rawTcpSeconds } from './mirror/raw-tcp-baseline.ts';
import { loadAverage } from './process-stats.ts';
import { fixed, goalLine, renderTable, runRatios, type FigureRow } from './report.ts';

function option(name: string, fallback: number): number {
  const flag = process.argv.indexOf(`--${name.toLowerCase().replaceAll('_', '-')}`);
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env[`BENCH_${name}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_${name} / --${name.toLowerCase().replaceAll('_', '-')}: "${raw}" is not a positive number`);
  return value;
}

const CAP_BYTES_PER_SECOND = option('CAP_BYTES', 1_000_000);
const BACKLOG_BYTES = option('BACKLOG_MB', 100) * 1_000_000;
const LIVE_SECONDS = option('LIVE_SECONDS', 20);
const PARTITIONS = option('PARTITIONS', 4);
const RECORD_BYTES = option('RECORD_BYTES', 1000);
const COMPARE_BYTES = option('COMPARE_MB', 50) * 1_000_000;
const COMPARE_RUNS = option('COMPARE_RUNS', 3);

const EDGE = 'bench-edge';
const BACKLOG_TOPIC = 'backlog';

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;
const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
const loadText = (): string => loadAverage().map((value) => value.toFixed(2)).join(' ');

async function embeddedPhases(central: Central): Promise<void> {
  const figures = await embeddedMirror(central, { capBytesPerSecond: CAP_BYTES_PER_SECOND, liveSeconds: LIVE_SECONDS, backlogBytes: BACKLOG_BYTES, partitions: PARTITIONS, recordBytes: RECORD_BYTES });
  const theoretical = figures.drainLinkBytes / CAP_BYTES_PER_SECOND;
  const baseline = await rawTcpSeconds(figures.drainLinkBytes, CAP_BYTES_PER_SECOND);
  const ratio = figures.drainSeconds / baseline;
  console.log([
    '',
    'embedded mirror, live (second half of the live phase)',
    `  link utilisation      ${figures.utilisation.toFixed(3)}   (${mb(figures.liveLinkBytes)} in ${figures.liveSeconds.toFixed(1)} s at a cap of ${mb(CAP_BYTES_PER_SECOND)}/s)   goal >= 0.9: ${verdict(figures.utilisation >= 0.9)}`,
    `  goodput               ${mb(figures.goodputBytesPerSecond)}/s of source bytes delivered   (${(figures.goodputBytesPerSecond / CAP_BYTES_PER_SECOND).toFixed(3)} × the cap)`,
    `embedded mirror, drain of a ${mb(BACKLOG_BYTES)} backlog after an outage`,
    `  drain time            ${figures.drainSeconds.toFixed(1)} s   (${mb(figures.drainLinkBytes)} on the link, ${mb(BACKLOG_BYTES / figures.drainSeconds)}/s of source bytes)`,
    `  cap arithmetic        ${theoretical.toFixed(1)} s   (link bytes / cap)   ratio ${(figures.drainSeconds / theoretical).toFixed(3)}`,
    `  raw TCP baseline      ${baseline.toFixed(1)} s   (same bytes, same link, no Kafka)   ratio ${ratio.toFixed(3)}   goal <= 1.15: ${verdict(ratio <= 1.15)}`,
  ].join('\n'));
  console.log(JSON.stringify({ bench: 'mirror-embedded', capBytesPerSecond: CAP_BYTES_PER_SECOND, ...figures, backlogBytes: BACKLOG_BYTES, theoreticalSeconds: theoretical, baselineSeconds: baseline, drainToBaseline: ratio }));
}

/** An edge holding the comparison's backlog, with no mirror of its own; the backlog's size in records and batch bytes. */
async function backlogEdge(directory: string): Promise<{ edge: Daemon; backlog: Backlog }> {
  const edge = await Daemon.start({ dataDir: join(directory, 'edge'), config: { node: { id: EDGE }, log: { level: 'warn' }, topics: { overrides: { [BACKLOG_TOPIC]: { partitions: PARTITIONS } } } } });
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  try {
    const records = await produceBytes(producer, BACKLOG_TOPIC, 0, COMPARE_BYTES, { partitions: PARTITIONS, recordBytes: RECORD_BYTES });
    const bytes = metricValue(await edge.metrics(), 'tributary_storage_append_bytes_total', { topic: BACKLOG_TOPIC }) ?? Number.NaN;
    return { edge, backlog: { topic: BACKLOG_TOPIC, partitions: PARTITIONS, records, bytes } };
  } finally {
    await producer.close();
  }
}

async function comparison(central: Central, root: string): Promise<void> {
  const { edge, backlog } = await backlogEdge(root);
  const forget = cleanUpOnCrash(() => edge.cleanup());
  const figures: Record<MirrorName, DrainFigures[]> = { tributary: [], mm2: [] };
  const loads: string[] = [];
  console.log(`\nside by side: ${mb(backlog.bytes)} of record batches (${backlog.records.toLocaleString('en')} records) at the edge, drained ${COMPARE_RUNS} times by each mirror`);
  const edgeBootstrap = `127.0.0.1:${edge.ports.kafka}`;
  try {
    await warmTributaryMirror({ edgeBootstrap, edgeId: EDGE, centralBootstrap: central.linkBootstrap, topic: BACKLOG_TOPIC, runName: 'warm-up', directory: root });
    for (let run = 0; run < COMPARE_RUNS; run++) {
      const order = run % 2 === 0 ? MIRROR_NAMES : [...MIRROR_NAMES].reverse();
      for (const name of order) {
        const directory = mkdtempSync(join(root, `${name}-${run + 1}-`));
        try {
          const result = await drain(name, central, { edgeBootstrap, edgeId: EDGE, runName: `${name}-run${run + 1}`, directory }, backlog, CAP_BYTES_PER_SECOND);
          figures[name].push(result);
          console.log(`run ${run + 1} ${name.padEnd(9)} drain ${result.drainSeconds.toFixed(1)} s (first byte ${result.startUpSeconds.toFixed(1)} s, first record ${result.firstRecordSeconds.toFixed(1)} s), ${mb(result.bytesUpstream)} up, ${mb(result.bytesDownstream)} down, peak RSS ${result.peakRssMiB.toFixed(1)} MiB`);
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      }
      loads.push(loadText());
    }
  } finally {
    await edge.cleanup();
    forget();
  }
  reportComparison(figures, backlog, loads);
}

function reportComparison(figures: Record<MirrorName, DrainFigures[]>, backlog: Backlog, loads: string[]): void {
  const of = (pick: (run: DrainFigures) => number): Record<MirrorName, number[]> => ({ tributary: figures.tributary.map(pick), mm2: figures.mm2.map(pick) });
  const megabytes = (bytes: number): number => bytes / 1_000_000;
  const drainSpeed: FigureRow<MirrorName> = { label: 'drain speed from start, source MB/s', better: 'higher', format: fixed(3), values: of((run) => megabytes(backlog.bytes) / run.drainSeconds) };
  const transferSpeed: FigureRow<MirrorName> = { label: 'transfer speed, source MB/s', better: 'higher', format: fixed(3), values: of((run) => megabytes(backlog.bytes) / run.transferSeconds) };
  const peakRss: FigureRow<MirrorName> = { label: 'mirror process peak RSS (VmHWM), MiB', better: 'lower', format: fixed(1), values: of((run) => run.peakRssMiB) };
  const rows: FigureRow<MirrorName>[] = [
    { label: 'drain time from process start, s', better: 'lower', format: fixed(1), values: of((run) => run.drainSeconds) },
    { label: '  start-up: first byte on the link, s', better: 'lower', format: fixed(1), values: of((run) => run.startUpSeconds) },
    { label: '  first record at the central, s', better: 'lower', format: fixed(1), values: of((run) => run.firstRecordSeconds) },
    { label: '  transfer: first record to last, s', better: 'lower', format: fixed(1), values: of((run) => run.transferSeconds) },
    drainSpeed,
    transferSpeed,
    { label: 'link utilisation while transferring', better: 'higher', format: fixed(3), values: of((run) => run.utilisation) },
    { label: 'bytes on the wire upstream, MB', better: 'lower', format: fixed(1), values: of((run) => megabytes(run.bytesUpstream)) },
    { label: 'bytes on the wire downstream, MB', better: 'lower', format: fixed(2), values: of((run) => megabytes(run.bytesDownstream)) },
    { label: 'wire bytes (both ways) per source byte', better: 'lower', format: fixed(3), values: of((run) => (run.bytesUpstream + run.bytesDownstream) / backlog.bytes) },
    { label: `records at the central (backlog ${backlog.records.toLocaleString('en')})`, better: 'lower', format: (value) => Math.round(value).toLocaleString('en'), values: of((run) => run.recordsAtCentral) },
    peakRss,
    { label: 'mirror process CPU, s', better: 'lower', format: fixed(1), values: of((run) => run.cpuSeconds) },
  ];
  const ratio = { numerator: 'tributary', denominator: 'mm2' } as const;
  console.log(`median (lowest–highest) of ${COMPARE_RUNS} run${COMPARE_RUNS === 1 ? '' : 's'}; ratios within each run; load average (1, 5, 15 min) after each run: ${loads.join('; ')}`);
  for (const line of renderTable(MIRROR_NAMES, [ratio], rows)) console.log(line);
  console.log('goals (judged on the median of the same-run ratios)');
  console.log(`  ${goalLine({ label: 'drain speed from process start vs MirrorMaker 2', values: runRatios(drainSpeed, ratio), atLeast: 1.0 })}`);
  console.log(`  ${goalLine({ label: 'transfer speed vs MirrorMaker 2', values: runRatios(transferSpeed, ratio), atLeast: 1.0 })}`);
  console.log(`  ${goalLine({ label: 'peak RSS vs MirrorMaker 2', values: runRatios(peakRss, ratio), atMost: 0.25 })}`);
  console.log(JSON.stringify({ bench: 'mirror-comparison', capBytesPerSecond: CAP_BYTES_PER_SECOND, backlog, runs: COMPARE_RUNS, loadAverages: loads, figures }));
}

async function main(): Promise<void> {
  console.log(`mirror benchmark: link cap ${mb(CAP_BYTES_PER_SECOND)}/s, ${PARTITIONS} partitions, ${RECORD_BYTES}-byte random values, live ${LIVE_SECONDS} s, backlog ${mb(BACKLOG_BYTES)}; side by side with MirrorMaker 2: ${mb(COMPARE_BYTES)} × ${COMPARE_RUNS} runs; central Apache Kafka 4.4 (one node)`);
  console.log(`load average (1, 5, 15 min) at start: ${loadText()}`);
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-mirror-bench-'));
  const central = await startCentral(root);
  const forget = cleanUpOnCrash(() => central.cleanup());
  try {
    await embeddedPhases(central);
    await comparison(central, root);
  } finally {
    await central.cleanup();
    forget();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();

// The idle phase of the footprint benchmark: what an edge daemon holds while nothing
// happens, against the device budget (IDLE_RSS_TARGET_MB). Memory on the device is shared
// with the applications beside the broker, so this is the figure a device owner pays always.
//
// Two configurations, each started fresh RUNS times (interleaved, so a slow spell falls on
// all): the built-in defaults, and the defaults with a mirror configured (its target need
// not answer: the mirror's code, client and buffers are loaded either way); each once as
// `node bin/tributary.js` alone and once with the Node.js flags of the systemd unit. Each daemon is
// left alone SETTLE_MS after its ready line, then VmRSS and VmHWM are read from /proc.
//
// Beside them, in the same run and read the same way: mosquitto and bare aedes (in
// memory), the smallest MQTT broker there is and the engine Tributary began with.
//
// Beside each RSS its anonymous part (RssAnon): the rest is pages of files, mostly of the
// node binary, which the kernel can drop and read again and which every Node.js process
// on the device shares.
//
// Then a breakdown: a probe process loads the daemon's parts one after another, each
// after the previous, and prints what each adds to RSS (after a full GC), so the figure
// above can be read as the sum of its parts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { Daemon } from '../test/helpers/daemon.ts';
import { startAedes, startMosquitto } from './mqtt-brokers.ts';
import { memoryKiB } from './process-stats.ts';
import { cell, fixed, goalLine } from './report.ts';
import { spread } from './statistics.ts';

/** The footprint plan's goal: an idle edge daemon at most this resident, 10 s after ready. */
export const IDLE_RSS_TARGET_MB = 64;
const RUNS = Number(process.env.BENCH_IDLE_RUNS ?? 3);
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 10_000);
const ROOT = resolve(import.meta.dirname, '..');
const MB = 1024 * 1024;

/** The Node.js flags the systemd unit (of this checkout, or of `projectRoot`) gives the daemon (its NODE_OPTIONS), so that the deployed figure is printed beside the bare one. */
export function unitNodeOptions(projectRoot = ROOT): string[] {
  const unit = readFileSync(resolve(projectRoot, 'deploy/systemd/tributary.service'), 'utf8');
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
}

/**
 * The rest of the environment the systemd unit gives the daemon (its Environment= lines,
 * e.g. glibc's malloc settings), to run it with beside unitNodeOptions(). Left out:
 * NODE_OPTIONS, which the benchmarks pass as flags (so a phase can replace the heap
 * limit), and NODE_COMPILE_CACHE, a path on the device (the benchmarks keep their own).
 */
export function unitEnvironment(projectRoot = ROOT): Record<string, string> {
  const unit = readFileSync(resolve(projectRoot, 'deploy/systemd/tributary.service'), 'utf8');
  const environment: Record<string, string> = {};
  for (const [, name, value] of unit.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) {
    if (name !== 'NODE_OPTIONS' && name !== 'NODE_COMPILE_CACHE') environment[name!] = value!.trim();
  }
  return environment;
}

/** A mirror to a broker that is never there keeps retrying, as it would during an outage. */
const MIRROR = { mirror: { target: { bootstrap: ['127.0.0.1:1'] } } };
/**
 * Another checkout of Tributary (BENCH_IDLE_BASELINE=DIR, e.g. the commit before a change,
 * with its node_modules), measured with a mirror in the same run as this one, interleaved
 * with it, so that a change's before and after share the machine's moment.
 */
const BASELINE_ROOT = process.env.BENCH_IDLE_BASELINE;
/**
 * Every configuration but one starts with the warm compile cache of the runs before it.
 * The one marked cold gets an empty cache directory, as every start of a service whose
 * cache lives in a /tmp that PrivateTmp empties: the price of not keeping the cache.
 */
const CONFIGURATIONS: Record<string, { config: Record<string, unknown>; nodeArguments: string[]; environment?: Record<string, string>; coldCompileCache?: true; projectRoot?: string }> = {
  defaults: { config: {}, nodeArguments: [] },
  'defaults, cold compile cache': { config: {}, nodeArguments: [], coldCompileCache: true },
  'with mirror': { config: MIRROR, nodeArguments: [] },
  'defaults, flags of the systemd unit': { config: {}, nodeArguments: unitNodeOptions(), environment: unitEnvironment() },
  'with mirror, flags of the systemd unit': { config: MIRROR, nodeArguments: unitNodeOptions(), environment: unitEnvironment() },
  ...(BASELINE_ROOT === undefined ? {} : {
    'baseline, with mirror': { config: MIRROR, nodeArguments: [], projectRoot: BASELINE_ROOT },
    'baseline, with mirror, unit flags': { config: MIRROR, nodeArguments: unitNodeOptions(), environment: unitEnvironment(), projectRoot: BASELINE_ROOT },
  }),
};

/**
 * The daemon's parts in the order the probe loads them; each figure is what its modules add
 * on top of the ones before. Node's own start (the compile cache on, as bin/tributary.js
 * turns it on) comes first.
 */
export const PARTS: { name: string; load: string }[] = [
  { name: 'config stack (load.ts + defaults)', load: "const { defaultConfig } = await import('./shared/config/load.ts'); defaultConfig();" },
  { name: 'logger (pino)', load: "await import('./shared/logger.ts');" },
  { name: 'prom-client', load: "await import('prom-client');" },
  { name: 'storage', load: "await import('./edge/storage/index.ts');" },
  { name: 'MQTT', load: "await import('./edge/mqtt/index.ts');" },
  { name: 'Kafka server', load: "await import('./edge/kafka/server.ts');" },
  { name: 'admin HTTP and console', load: "await import('./shared/http/admin-server.ts'); await import('./edge/http/console/console-routes.ts');" },
  { name: 'rest of the daemon and CLI', load: "await import('./edge/daemon/edge-daemon.ts'); await import('./edge/cli/edge-command.ts');" },
  { name: 'mirror (when configured)', load: "await import('./mirror/index.ts');" },
];

/**
 * The config stack once more, loaded after parts that do not import it. Loaded first, its
 * figure also holds what the first loading of many modules costs whichever part it is
 * (pages of the node binary's compiler and loaders, the heap's first growth); here it is
 * what the config stack itself adds. (Storage, MQTT and the Kafka server import it.)
 */
const CONFIG_STACK_AFTER = ['logger (pino)', 'prom-client', 'admin HTTP and console'];
const CONFIG_STACK_LAST = [...CONFIG_STACK_AFTER, PARTS[0]!.name].map((name) => PARTS.find((part) => part.name === name)!);

/** Any broker's in-flight window; nothing is published while idle, so it only has to be valid. */
const PEER_INFLIGHT = 100;
/** The peers idle beside the daemon, each started fresh per run. */
const PEERS = { mosquitto: () => startMosquitto(PEER_INFLIGHT), 'bare aedes': startAedes };

async function settledMemory(pid: number): Promise<{ rssMB: number; hwmMB: number; anonymousMB: number }> {
  await sleep(SETTLE_MS);
  return { rssMB: memoryKiB(pid, 'VmRSS') / 1024, hwmMB: memoryKiB(pid, 'VmHWM') / 1024, anonymousMB: memoryKiB(pid, 'RssAnon') / 1024 };
}

async function idleRss(configuration: string): Promise<{ rssMB: number; hwmMB: number; anonymousMB: number }> {
  if (configuration in PEERS) {
    const broker = await PEERS[configuration as keyof typeof PEERS]();
    try {
      return await settledMemory(broker.pid);
    } finally {
      await broker.stop();
    }
  }
  const { config, nodeArguments, environment, coldCompileCache, projectRoot } = CONFIGURATIONS[configuration]!;
  const cache = coldCompileCache ? mkdtempSync(join(tmpdir(), 'tributary-compile-cache-')) : undefined;
  const daemon = await Daemon.start({ config: { log: { level: 'warn' }, ...config }, nodeArguments, projectRoot, env: { ...process.env, ...environment, ...(cache === undefined ? {} : { NODE_COMPILE_CACHE: cache }) } });
  try {
    return await settledMemory(daemon.pid);
  } finally {
    await daemon.cleanup();
    if (cache !== undefined) rmSync(cache, { recursive: true, force: true });
  }
}

/** One probe process: RSS after Node's start, then after each part, every figure after a full GC. */
function probe(root = ROOT, parts = PARTS): number[] {
  const sample = 'globalThis.gc(); globalThis.gc(); sizes.push(process.memoryUsage().rss);';
  const script = [
    "const { enableCompileCache } = await import('node:module'); enableCompileCache?.();",
    'const sizes = [];',
    sample,
    ...parts.map((part) => `${part.load} ${sample}`),
    'console.log(JSON.stringify(sizes));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as number[];
}

const megabytes = (values: number[]): string => cell(spread(values), fixed(1));

export interface IdleResult { configuration: string; rssMB: number[]; hwmMB: number[]; anonymousMB: number[] }

export async function idlePhase(): Promise<IdleResult[]> {
  console.log(`Idle footprint: ${RUNS} fresh daemons per configuration, RSS read ${SETTLE_MS / 1000} s after ready; target ≤ ${IDLE_RSS_TARGET_MB} MB`);
  const results = [...Object.keys(CONFIGURATIONS), ...Object.keys(PEERS)].map((configuration) => ({ configuration, rssMB: [] as number[], hwmMB: [] as number[], anonymousMB: [] as number[] }));
  for (let run = 0; run < RUNS; run += 1) {
    // The order rotates from run to run.
    for (let step = 0; step < results.length; step += 1) {
      const result = results[(run + step) % results.length]!;
      const { rssMB, hwmMB, anonymousMB } = await idleRss(result.configuration);
      result.rssMB.push(rssMB);
      result.hwmMB.push(hwmMB);
      result.anonymousMB.push(anonymousMB);
    }
  }
  for (const result of results) {
    const judged = result.configuration in CONFIGURATIONS;
    console.log(`  ${result.configuration.padEnd(39)} peak (VmHWM) ${megabytes(result.hwmMB)} MB, anonymous ${megabytes(result.anonymousMB)} MB; ${judged ? goalLine({ label: `idle RSS MB`, values: result.rssMB, atMost: IDLE_RSS_TARGET_MB }) : `idle RSS MB: ${megabytes(result.rssMB)}`}`);
  }
  const byName = (name: string) => results.find((result) => result.configuration === name)!.rssMB;
  for (const peer of Object.keys(PEERS)) {
    for (const configuration of ['defaults', 'with mirror']) {
      const ratios = byName(configuration).map((rss, run) => rss / byName(peer)[run]!);
      console.log(`  idle RSS, tributary ${configuration} / ${peer}: ${cell(spread(ratios), fixed(2))} (same run)`);
    }
  }
  if (BASELINE_ROOT !== undefined) {
    for (const [here, there] of [['with mirror', 'baseline, with mirror'], ['with mirror, flags of the systemd unit', 'baseline, with mirror, unit flags']] as const) {
      const ratios = byName(here).map((rss, run) => rss / byName(there)[run]!);
      console.log(`  idle RSS, ${here} / ${there}: ${cell(spread(ratios), fixed(2))} (same run)`);
    }
  }

  const probes = Array.from({ length: RUNS }, () => probe());
  const column = (index: number) => probes.map((sizes) => sizes[index]! / MB);
  const growth = (index: number) => probes.map((sizes) => (sizes[index + 1]! - sizes[index]!) / MB);
  console.log(`  what each part adds, loaded one after another in a probe process (RSS after a full GC, MB, median of ${RUNS}):`);
  console.log(`    ${'Node.js alone'.padEnd(36)} ${megabytes(column(0))}`);
  PARTS.forEach((part, index) => console.log(`    ${part.name.padEnd(36)} +${megabytes(growth(index))}`));
  console.log(`    ${'all parts loaded'.padEnd(36)} ${megabytes(column(PARTS.length))}`);
  const configLast = Array.from({ length: RUNS }, () => probe(ROOT, CONFIG_STACK_LAST));
  const lastGrowth = (sizes: number[][]) => sizes.map((entry) => (entry[CONFIG_STACK_LAST.length]! - entry[CONFIG_STACK_LAST.length - 1]!) / MB);
  console.log(`    the config stack loaded after ${CONFIG_STACK_AFTER.join(', ')}: +${megabytes(lastGrowth(configLast))}${BASELINE_ROOT === undefined ? '' : `; in the baseline checkout +${megabytes(lastGrowth(Array.from({ length: RUNS }, () => probe(BASELINE_ROOT, CONFIG_STACK_LAST))))}`}`);
  if (BASELINE_ROOT !== undefined) {
    const baseline = Array.from({ length: RUNS }, () => probe(BASELINE_ROOT));
    const mirrorIndex = PARTS.length - 1;
    const mirrorGrowth = (sizes: number[][]) => sizes.map((entry) => (entry[mirrorIndex + 1]! - entry[mirrorIndex]!) / MB);
    console.log(`    the mirror's part in the baseline checkout +${megabytes(mirrorGrowth(baseline))}, here +${megabytes(mirrorGrowth(probes))}; all parts loaded ${megabytes(baseline.map((entry) => entry[PARTS.length]! / MB))} there`);
  }
  return results;
}

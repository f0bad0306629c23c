// The device-load phase of the footprint benchmark: a simulated fleet of DEVICES MQTT devices
// (QoS 1, persistent sessions, SenML-CBOR readings at RATE_PER_DEVICE a second; two
// `tributary sim` processes pinned to core 1) publishes for SECONDS against each broker in
// turn, in one run:
//
//   tributary            `tributary edge` with the Node.js flags and environment of the systemd unit (both
//                        cores), with a Kafka consumer group (kcat -G) following the log;
//   tributary, one core  the same pinned to core 0 (taskset -c 0) with its heap capped
//                        (--max-old-space-size=HEAP_MB), as on a small device;
//   tributary, bare node the first without the unit's flags, to show what they do;
//   mosquitto, bare aedes the same fleet against the in-memory peers (no Kafka side).
//
// For each: acknowledged msg/s, the broker's CPU µs per message, its peak RSS (VmHWM) and,
// for Tributary, its peak V8 heap and the records the group received. Targets: peak RSS at
// most DEVICES_PEAK_RSS_TARGET_MB, and one core with the capped heap at least
// ONE_CORE_THROUGHPUT_MIN of the two-core throughput, the ratio taken within each run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon, metricTotal, metricValue } from '../test/helpers/daemon.ts';
import { requireProgram } from '../test/helpers/system-programs.ts';
import { unitEnvironment, unitNodeOptions } from './idle-footprint.ts';
import { startAedes, startMosquitto, type Broker } from './mqtt-brokers.ts';
import { cpuSeconds, loadAverage, memoryKiB, runQueueWaitSeconds } from './process-stats.ts';
import { cell, fixed, goalLine } from './report.ts';
import { spread } from './statistics.ts';

/** The footprint plan's targets. */
export const DEVICES_PEAK_RSS_TARGET_MB = 128;
export const ONE_CORE_THROUGHPUT_MIN = 0.9;
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const RATE_PER_DEVICE = Number(process.env.BENCH_RATE ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 96);
const RUNS = Number(process.env.BENCH_DEVICE_RUNS ?? 3);
/**
 * Another checkout of Tributary (BENCH_DEVICES_BASELINE=DIR, e.g. the commit before a
 * change, with its node_modules), run as the contestant "baseline" under the same load
 * with the flags and environment of its own systemd unit, interleaved with this one, so
 * that a change's before and after share the machine's moment.
 */
const BASELINE_ROOT = process.env.BENCH_DEVICES_BASELINE;
/** Node.js flags added to Tributary's own (BENCH_DEVICE_NODE_FLAGS, space-separated), to try a V8 setting or take a heap snapshot under the load (--heapsnapshot-signal). */
const EXTRA_NODE_FLAGS = process.env.BENCH_DEVICE_NODE_FLAGS?.split(/\s+/).filter((flag) => flag !== '') ?? [];
/** The contestants to run (BENCH_DEVICE_CONTESTANTS, names as printed separated by semicolons), for a shorter look at one while working on it; all by default. */
const CONTESTANT_FILTER = process.env.BENCH_DEVICE_CONTESTANTS?.split(';').map((name) => name.trim()).filter((name) => name !== '');
/** Simulator processes: one Node process drives a few thousand devices at most. */
const SIM_PROCESSES = 2;
/** How often the broker's heap is sampled. */
const SAMPLE_INTERVAL_MS = 500;
/** Time a fleet may take beyond its run to connect and hear its last acknowledgements; past it the broker's turn fails instead of hanging the run. */
const FLEET_GRACE_SECONDS = 120;
/** Any peer's in-flight window per client; each device keeps one publish in flight. */
const PEER_INFLIGHT = 100;
const TOPIC = 'sensors';
const CLI = resolve(import.meta.dirname, '../bin/tributary.js');
const MB = 1024 * 1024;

/**
 * Where a Tributary daemon's memory went, each the highest sampled in a run (from its
 * Node.js metrics): V8's heap in use and reserved, its young generation (the new space's
 * reservation), and the memory outside the heap that V8 knows of (Buffers and other
 * ArrayBuffers: socket chunks, read buffers, batches), so that a peak RSS can be read as
 * heap, young generation and external memory besides the node binary's pages.
 */
interface MemoryBreakdown { heapUsedMB: number; heapTotalMB: number; newSpaceMB: number; externalMB: number }

/**
 * Where a Tributary daemon's time went during the fleet's run, to tell why one run is
 * slower than another: its CPU seconds and the seconds its threads waited for a CPU
 * (run queue), each per second of the run; its garbage collection seconds (its Node.js
 * metrics); and the work its memory guard refused under heap pressure.
 */
interface TimeBreakdown { cpuShare: number; runQueueWaitShare: number; gcSeconds: number; memoryGuardRefusals: number }

interface DevicesResult { messagesPerSecond: number; cpuMicrosPerMessage: number; peakRssMB: number; peakHeapMB: number; peakAnonymousMB: number; followed: number; alive: boolean; breakdown?: MemoryBreakdown; time?: TimeBreakdown }

function runSim(port: number, first: number, devices: number, reportPath: string): Promise<void> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn('taskset', ['-c', '1', process.execPath, CLI, 'sim', '--broker', `mqtt://127.0.0.1:${port}`, '--devices', String(devices), '--first-device', String(first),
      '--rate', String(RATE_PER_DEVICE), '--duration', String(SECONDS), '--progress-ms', '0', '--report', reportPath, '--seed', String(first)], { stdio: ['ignore', 'ignore', 'inherit'] });
    const limitSeconds = SECONDS + FLEET_GRACE_SECONDS;
    const timer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun();
      else rejectRun(new Error(signal === 'SIGKILL' ? `tributary sim did not finish within ${limitSeconds} s` : `tributary sim exited with ${code ?? signal}`));
    });
  });
}

/** The fleet against one broker: acknowledged publishes, the seconds they took, the broker's CPU per message. */
async function runFleet(port: number, pid: number): Promise<{ acknowledged: number; seconds: number; cpuMicrosPerMessage: number; cpuShare: number; runQueueWaitShare: number }> {
  const reports = mkdtempSync(join(tmpdir(), 'tributary-footprint-'));
  try {
    const cpuBefore = cpuSeconds(pid);
    const waitBefore = runQueueWaitSeconds(pid);
    const started = Date.now();
    const perProcess = Math.ceil(DEVICES / SIM_PROCESSES);
    await Promise.all(Array.from({ length: SIM_PROCESSES }, (_unused, index) => runSim(port, 1 + index * perProcess, Math.min(perProcess, DEVICES - index * perProcess), join(reports, `sim-${index}.json`))));
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const waited = runQueueWaitSeconds(pid) - waitBefore;
    const acknowledged = Array.from({ length: SIM_PROCESSES }, (_unused, index) => JSON.parse(readFileSync(join(reports, `sim-${index}.json`), 'utf8')) as { totals: { acknowledged: number } })
      .reduce((sum, report) => sum + report.totals.acknowledged, 0);
    return { acknowledged, seconds, cpuMicrosPerMessage: cpu * 1e6 / Math.max(acknowledged, 1), cpuShare: cpu / seconds, runQueueWaitShare: waited / seconds };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

/** A consumer group of one (librdkafka's balanced consumer) following the topic from its start; the records it has received so far. */
function follow(bootstrap: string): { received(): number; stop(): Promise<void> } {
  const child = spawn(requireProgram('kcat'), ['-b', bootstrap, '-G', 'footprint-followers', '-X', 'auto.offset.reset=earliest', '-q', '-f', '%o\\n', TOPIC], { stdio: ['ignore', 'pipe', 'ignore'] });
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
  });
  const closed = new Promise((resolveClose) => child.once('close', resolveClose));
  return {
    received: () => lines,
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** The systemd unit's flags (the unit of the checkout run), its heap limit replaced by the cap when constrained. */
function nodeArguments(how: 'unit' | 'constrained' | 'bare', projectRoot?: string): string[] {
  if (how === 'bare') return EXTRA_NODE_FLAGS;
  const unit = unitNodeOptions(projectRoot);
  return [...(how === 'unit' ? unit : [...unit.filter((flag) => !flag.startsWith('--max-old-space-size=')), `--max-old-space-size=${HEAP_MB}`]), ...EXTRA_NODE_FLAGS];
}

async function tributaryRun(how: 'unit' | 'constrained' | 'bare', projectRoot?: string): Promise<DevicesResult> {
  const daemon = await Daemon.start({
    ...(projectRoot === undefined ? {} : { projectRoot }),
    wrapper: how === 'constrained' ? ['taskset', '-c', '0'] : [],
    nodeArguments: nodeArguments(how, projectRoot),
    // The unit's environment too (glibc's malloc settings), but not on the bare node.
    ...(how === 'bare' ? {} : { env: { ...process.env, ...unitEnvironment(projectRoot) } }),
    config: { log: { level: 'warn' }, mqtt: { routes: [{ filter: 'sensors/+/+', topic: TOPIC, key: '{1}' }], limits: { maxConnections: DEVICES + 100 } }, topics: { overrides: { [TOPIC]: { partitions: 4 } } } },
  });
  const pid = daemon.pid;
  const follower = follow(`127.0.0.1:${daemon.ports.kafka}`);
  let peakAnonymousKiB = 0;
  // NaN until the daemon's metrics name a figure (and printed so when they never do).
  const peak = { heapUsed: NaN, heapTotal: NaN, newSpace: NaN, external: NaN };
  const higher = (current: number, sample: number | undefined) => sample === undefined ? current : Number.isNaN(current) ? sample : Math.max(current, sample);
  const sampler = setInterval(() => {
    peakAnonymousKiB = Math.max(peakAnonymousKiB, memoryKiB(pid, 'RssAnon'));
    void daemon.metrics().then((text) => {
      peak.heapUsed = higher(peak.heapUsed, metricValue(text, 'tributary_nodejs_heap_size_used_bytes'));
      peak.heapTotal = higher(peak.heapTotal, metricValue(text, 'tributary_nodejs_heap_size_total_bytes'));
      peak.newSpace = higher(peak.newSpace, metricValue(text, 'tributary_nodejs_heap_space_size_total_bytes', { space: 'new' }));
      peak.external = higher(peak.external, metricValue(text, 'tributary_nodejs_external_memory_bytes'));
    }, () => undefined);
  }, SAMPLE_INTERVAL_MS);
  /** The total of a metric family's samples named `sample` (0 when it has none yet), NaN when the daemon does not export the family. */
  const total = (text: string, family: string, sample = family) => text.includes(`# TYPE ${family} `) ? metricTotal(text, sample) : NaN;
  try {
    const gcBefore = total(await daemon.metrics(), 'tributary_nodejs_gc_duration_seconds', 'tributary_nodejs_gc_duration_seconds_sum');
    const fleet = await runFleet(daemon.ports.mqtt!, pid);
    const after = await daemon.metrics();
    const time = { cpuShare: fleet.cpuShare, runQueueWaitShare: fleet.runQueueWaitShare, gcSeconds: total(after, 'tributary_nodejs_gc_duration_seconds', 'tributary_nodejs_gc_duration_seconds_sum') - gcBefore, memoryGuardRefusals: total(after, 'tributary_memory_pressure_refusals_total') };
    const breakdown = { heapUsedMB: peak.heapUsed / MB, heapTotalMB: peak.heapTotal / MB, newSpaceMB: peak.newSpace / MB, externalMB: peak.external / MB };
    return { messagesPerSecond: fleet.acknowledged / fleet.seconds, cpuMicrosPerMessage: fleet.cpuMicrosPerMessage, peakRssMB: memoryKiB(pid, 'VmHWM') / 1024, peakHeapMB: breakdown.heapUsedMB, peakAnonymousMB: peakAnonymousKiB / 1024, followed: follower.received(), alive: daemon.process.exitCode === null, breakdown, time };
  } finally {
    clearInterval(sampler);
    await follower.stop();
    await daemon.cleanup();
  }
}

async function peerRun(start: () => Promise<Broker>): Promise<DevicesResult> {
  const broker = await start();
  try {
    const fleet = await runFleet(broker.port, broker.pid);
    return { messagesPerSecond: fleet.acknowledged / fleet.seconds, cpuMicrosPerMessage: fleet.cpuMicrosPerMessage, peakRssMB: memoryKiB(broker.pid, 'VmHWM') / 1024, peakHeapMB: NaN, peakAnonymousMB: NaN, followed: NaN, alive: true };
  } finally {
    await broker.stop();
  }
}

const CONTESTANTS: Record<string, () => Promise<DevicesResult>> = {
  tributary: () => tributaryRun('unit'),
  'tributary, one core': () => tributaryRun('constrained'),
  'tributary, bare node': () => tributaryRun('bare'),
  ...(BASELINE_ROOT === undefined ? {} : { baseline: () => tributaryRun('unit', BASELINE_ROOT) }),
  mosquitto: () => peerRun(() => startMosquitto(PEER_INFLIGHT)),
  'bare aedes': () => peerRun(startAedes),
};

export async function devicesPhase(): Promise<Record<string, DevicesResult[]>> {
  console.log(`Devices: ${DEVICES} MQTT devices × ${RATE_PER_DEVICE} readings/s (offered ${(DEVICES * RATE_PER_DEVICE).toLocaleString('en')} msg/s), QoS 1, persistent sessions, ${SECONDS} s per broker, simulators on core 1; Tributary with the systemd unit's flags (${unitNodeOptions().join(' ')}) and environment (${Object.entries(unitEnvironment()).map(([name, value]) => `${name}=${value}`).join(' ')}) and a Kafka consumer group following; one core: taskset -c 0 and --max-old-space-size=${HEAP_MB}; ${RUNS} runs, the order rotating`);
  const names = Object.keys(CONTESTANTS).filter((name) => CONTESTANT_FILTER === undefined || CONTESTANT_FILTER.includes(name));
  const results: Record<string, DevicesResult[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (let step = 0; step < names.length; step += 1) {
      const name = names[(run + step) % names.length]!;
      let result: DevicesResult;
      try {
        result = await CONTESTANTS[name]!();
      } catch (error) {
        // The other brokers' figures stand without this one; say why it has none.
        console.log(`  run ${run + 1} ${name.padEnd(20)} FAILED: ${(error as Error).message}`);
        results[name]!.push({ messagesPerSecond: NaN, cpuMicrosPerMessage: NaN, peakRssMB: NaN, peakHeapMB: NaN, peakAnonymousMB: NaN, followed: NaN, alive: false });
        continue;
      }
      results[name]!.push(result);
      const memory = result.breakdown;
      const tributarySide = memory === undefined ? '' : `, peak anonymous ${result.peakAnonymousMB.toFixed(1)} MB (sampled), peak heap used ${memory.heapUsedMB.toFixed(1)} of ${memory.heapTotalMB.toFixed(1)} MB (new space ${memory.newSpaceMB.toFixed(1)}), external ${memory.externalMB.toFixed(1)} MB, group received ${result.followed.toLocaleString('en')}, ${result.alive ? 'alive' : 'DIED'}; busy ${result.time!.cpuShare.toFixed(2)} of a core, waiting for a CPU ${result.time!.runQueueWaitShare.toFixed(2)} s/s, GC ${result.time!.gcSeconds.toFixed(1)} s, memory guard refusals ${result.time!.memoryGuardRefusals}`;
      console.log(`  run ${run + 1} ${name.padEnd(20)} ${Math.round(result.messagesPerSecond).toLocaleString('en')} acknowledged msg/s, ${result.cpuMicrosPerMessage.toFixed(1)} µs CPU/msg, peak RSS ${result.peakRssMB.toFixed(1)} MB${tributarySide}`);
    }
  }
  const figure = (name: string, pick: (result: DevicesResult) => number, digits: number) => cell(spread(results[name]!.map(pick)), fixed(digits));
  for (const name of names) {
    const memory = results[name]!.some((result) => result.breakdown !== undefined)
      ? `, peak anonymous ${figure(name, (result) => result.peakAnonymousMB, 1)} MB, heap used ${figure(name, (result) => result.breakdown?.heapUsedMB ?? NaN, 1)} of ${figure(name, (result) => result.breakdown?.heapTotalMB ?? NaN, 1)} MB, external ${figure(name, (result) => result.breakdown?.externalMB ?? NaN, 1)} MB`
      : '';
    console.log(`  ${name.padEnd(20)} msg/s ${figure(name, (result) => result.messagesPerSecond, 0)}, µs CPU/msg ${figure(name, (result) => result.cpuMicrosPerMessage, 1)}, peak RSS ${figure(name, (result) => result.peakRssMB, 1)} MB${memory}`);
  }
  const ratio = (numerator: string, denominator: string, pick: (result: DevicesResult) => number) => results[numerator]!.map((result, run) => pick(result) / pick(results[denominator]![run]!));
  const ran = (name: string) => names.includes(name);
  for (const peer of ['mosquitto', 'bare aedes'].filter((peer) => ran('tributary') && ran(peer))) {
    console.log(`  tributary / ${peer} (same run): peak RSS ${cell(spread(ratio('tributary', peer, (result) => result.peakRssMB)), fixed(2))}, CPU per message ${cell(spread(ratio('tributary', peer, (result) => result.cpuMicrosPerMessage)), fixed(2))}`);
  }
  // Mosquitto costs the least per message: where it falls short of the offered rate, the
  // simulators or a busy machine set the pace, and the throughput ratio says little.
  const offered = DEVICES * RATE_PER_DEVICE;
  if (ran('mosquitto')) {
    const generatorShare = results.mosquitto!.map((result) => result.messagesPerSecond / offered);
    console.log(`  the fleet's own limit: mosquitto acknowledged ${cell(spread(generatorShare), fixed(2))} of the offered ${offered.toLocaleString('en')} msg/s${spread(generatorShare).median < ONE_CORE_THROUGHPUT_MIN ? ' — the simulators or the machine, not the brokers, set the pace in this run' : ''}`);
  }
  console.log(`  load average ${loadAverage().map((value) => value.toFixed(1)).join(' ')} (1, 5, 15 minutes)`);
  if (ran('tributary, one core')) {
    const oneCore = results['tributary, one core']!;
    console.log(`  one core: peak heap ${figure('tributary, one core', (result) => result.peakHeapMB, 1)} MB of the ${HEAP_MB} MB cap, ${oneCore.every((result) => result.alive) ? 'alive in every run' : 'DIED in a run'}`);
  }
  if (ran('tributary') && ran('baseline')) {
    console.log(`  tributary / baseline (${BASELINE_ROOT}, same run): peak RSS ${cell(spread(ratio('tributary', 'baseline', (result) => result.peakRssMB)), fixed(2))}, peak anonymous ${cell(spread(ratio('tributary', 'baseline', (result) => result.peakAnonymousMB)), fixed(2))}, msg/s ${cell(spread(ratio('tributary', 'baseline', (result) => result.messagesPerSecond)), fixed(2))}`);
  }
  if (ran('tributary')) console.log(`  ${goalLine({ label: 'tributary peak RSS MB', values: results.tributary!.map((result) => result.peakRssMB), atMost: DEVICES_PEAK_RSS_TARGET_MB })}`);
  if (ran('tributary') && ran('tributary, one core')) console.log(`  ${goalLine({ label: 'one core, capped heap / two cores, msg/s', values: ratio('tributary, one core', 'tributary', (result) => result.messagesPerSecond), atLeast: ONE_CORE_THROUGHPUT_MIN })}`);
  return results;
}

if (process.argv[1] === import.meta.filename) await devicesPhase();

// Footprint benchmark (not a test): the broker on a device budget. First idle: the daemon's
// resident memory 10 s after ready, with the defaults and with a mirror configured, against
// the 64 MB target, and what each of its parts adds (bench/idle-footprint.ts). Then under
// load: a simulated fleet of 1,000 MQTT devices (QoS 1, persistent sessions, SenML-CBOR readings; two `tributary sim`
// processes) publishes to `tributary edge` twice in one run:
//
//   baseline     the broker as it starts by default (both cores, default heap);
//   constrained  the broker pinned to one core (taskset -c 0) with its heap capped
//                (--max-old-space-size=96), as on a small device.
//
// For each it prints acknowledged msg/s, the broker's CPU µs per message, its peak RSS
// (VmHWM) and peak V8 heap, and whether the broker stayed alive within the cap; then the
// constrained/baseline ratios.
//
//   npm run bench:footprint
//   npm run bench:footprint -- --idle      the idle phase alone
//   BENCH_DEVICES=1000 BENCH_RATE=5 BENCH_SECONDS=30 BENCH_HEAP_MB=96 npm run bench:footprint
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon, metricValue } from '../test/helpers/daemon.ts';
import { idlePhase } from './idle-footprint.ts';
import { cpuSeconds, memoryKiB } from './process-stats.ts';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const RATE_PER_DEVICE = Number(process.env.BENCH_RATE ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 96);
/** Simulator processes: one Node process drives a few thousand devices at most. */
const SIM_PROCESSES = 2;
/** How often the broker's memory is sampled. */
const SAMPLE_INTERVAL_MS = 500;
const CLI = resolve(import.meta.dirname, '../bin/tributary.js');
const MB = 1024 * 1024;

interface PhaseResult { acknowledged: number; seconds: number; cpuMicrosPerMessage: number; peakRssBytes: number; peakHeapBytes: number; alive: boolean }

function runSim(port: number, first: number, devices: number, reportPath: string): Promise<void> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn('taskset', ['-c', '1', process.execPath, CLI, 'sim', '--broker', `mqtt://127.0.0.1:${port}`, '--devices', String(devices), '--first-device', String(first),
      '--rate', String(RATE_PER_DEVICE), '--duration', String(SECONDS), '--progress-ms', '0', '--report', reportPath, '--seed', String(first)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolveRun() : rejectRun(new Error(`tributary sim exited with ${code}`))));
  });
}

async function phase(name: string, constrained: boolean): Promise<PhaseResult> {
  const daemon = await Daemon.start({
    wrapper: constrained ? ['taskset', '-c', '0'] : [],
    nodeArguments: constrained ? [`--max-old-space-size=${HEAP_MB}`] : [],
    config: { log: { level: 'warn' }, mqtt: { routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }] }, topics: { overrides: { sensors: { partitions: 4 } } } },
  });
  const pid = daemon.process.pid!;
  const reports = mkdtempSync(join(tmpdir(), 'tributary-footprint-'));
  let peakHeapBytes = 0;
  const sampler = setInterval(() => {
    void daemon.metrics().then((text) => { peakHeapBytes = Math.max(peakHeapBytes, metricValue(text, 'tributary_nodejs_heap_size_used_bytes') ?? 0); }, () => undefined);
  }, SAMPLE_INTERVAL_MS);
  try {
    const cpuBefore = cpuSeconds(pid);
    const started = Date.now();
    const perProcess = Math.ceil(DEVICES / SIM_PROCESSES);
    await Promise.all(Array.from({ length: SIM_PROCESSES }, (_unused, index) => runSim(daemon.ports.mqtt!, 1 + index * perProcess, Math.min(perProcess, DEVICES - index * perProcess), join(reports, `sim-${index}.json`))));
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const acknowledged = Array.from({ length: SIM_PROCESSES }, (_unused, index) => JSON.parse(readFileSync(join(reports, `sim-${index}.json`), 'utf8')) as { totals: { acknowledged: number } })
      .reduce((sum, report) => sum + report.totals.acknowledged, 0);
    const result = { acknowledged, seconds, cpuMicrosPerMessage: cpu * 1e6 / Math.max(acknowledged, 1), peakRssBytes: memoryKiB(pid, 'VmHWM') * 1024, peakHeapBytes, alive: daemon.process.exitCode === null };
    console.log(`  ${name.padEnd(11)} ${Math.round(acknowledged / seconds).toLocaleString('en')} acknowledged msg/s, ${result.cpuMicrosPerMessage.toFixed(1)} µs CPU/msg, peak RSS ${(result.peakRssBytes / MB).toFixed(1)} MB, peak heap ${(peakHeapBytes / MB).toFixed(1)} MB, ${result.alive ? 'alive' : 'DIED'}`);
    return result;
  } finally {
    clearInterval(sampler);
    await daemon.cleanup();
    rmSync(reports, { recursive: true, force: true });
  }
}

await idlePhase();
if (process.argv.includes('--idle')) process.exit(0);

console.log(`Footprint benchmark: ${DEVICES} devices × ${RATE_PER_DEVICE} readings/s (offered ${DEVICES * RATE_PER_DEVICE} msg/s), QoS 1, ${SECONDS} s per phase; simulators on core 1`);
const baseline = await phase('baseline', false);
const constrained = await phase('constrained', true);
console.log(`  constrained / baseline: throughput ${(constrained.acknowledged / constrained.seconds / (baseline.acknowledged / baseline.seconds)).toFixed(2)}, CPU/msg ${(constrained.cpuMicrosPerMessage / baseline.cpuMicrosPerMessage).toFixed(2)}, peak RSS ${(constrained.peakRssBytes / baseline.peakRssBytes).toFixed(2)}`);
console.log(`  heap cap ${HEAP_MB} MB: peak heap ${(constrained.peakHeapBytes / MB).toFixed(1)} MB (${constrained.peakHeapBytes < HEAP_MB * MB && constrained.alive ? 'within the cap' : 'OVER THE CAP'})`);

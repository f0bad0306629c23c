// The benchmarks against Apache Kafka are not tests and do not run in CI at their real sizes;
// this runs each one's whole code path with tiny sizes, so that it cannot rot unnoticed. No
// figure is checked (a loaded machine says nothing about speed), only that every phase ran
// and every figure and goal was printed. Needs kcat and the Apache Kafka jars, as the
// benchmarks do.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = resolve(import.meta.dirname, '../../..');
/** A tiny run starts two or three JVM brokers and several JVM tools: minutes on a loaded machine, never more. */
const RUN_TIMEOUT_MS = 300_000;

function runBenchmark(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.once('close', (code) => { clearTimeout(timer); resolveRun({ code, output }); });
  });
}

test('bench:kafka runs every phase against the edge and both Kafka brokers', async () => {
  const { code, output } = await runBenchmark('bench/kafka.ts', {
    BENCH_RUNS: '1', BENCH_RECORDS: '3000', BENCH_WARMUP_RECORDS: '500', BENCH_PACED_RATE: '200', BENCH_PACED_SECONDS: '1', BENCH_PACED_WARM_UP_SECONDS: '1',
  });
  assert.is(code, 0, output);
  for (const name of ['tributary', 'kafka', 'kafka-fsync']) assert.match(output, new RegExp(`^run 1 ${name} +produce \\d`, 'm'), output);
  assert.match(output, /^peak RSS \(VmHWM\), MiB ↓ +\d/m, output);
  assert.match(output, /produce vs Kafka at equal durability \(flush\.messages=1\): \d.*goal >= 1: (met|MISSED)/, output);
  assert.match(output, /peak RSS vs Kafka with its defaults: \d.*goal <= 0\.25: (met|MISSED)/, output);
  assert.match(output, /^\{"bench":"kafka",/m, output);
});

test('bench:mirror runs the embedded mirror and the drain beside MirrorMaker 2', async () => {
  const { code, output } = await runBenchmark('bench/mirror.ts', {
    BENCH_LIVE_SECONDS: '2', BENCH_BACKLOG_MB: '0.5', BENCH_COMPARE_MB: '0.5', BENCH_COMPARE_RUNS: '1',
  });
  assert.is(code, 0, output);
  assert.match(output, /raw TCP baseline +\d/, output);
  for (const name of ['tributary', 'mm2']) assert.match(output, new RegExp(`^run 1 ${name} +drain \\d`, 'm'), output);
  assert.match(output, /drain speed from process start vs MirrorMaker 2: \d.*goal >= 1: (met|MISSED)/, output);
  assert.match(output, /peak RSS vs MirrorMaker 2: \d.*goal <= 0\.25: (met|MISSED)/, output);
  assert.match(output, /^\{"bench":"mirror-comparison",/m, output);
});

test.run();

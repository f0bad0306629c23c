// How the soak judges its samples: a steady rise after the warm-up fails, noise and a single
// spike do not, too few samples cannot pass, the log may exceed its budget only by the
// segments being written, and the table shows one row per span of time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCurves, samplesCsv } from '../../scripts/soak/report.ts';
import type { Sample } from '../../scripts/soak/sampler.ts';
import { afterWarmUp, checkFlat, checkWithinBudget, plain, slopePerHour } from '../../scripts/soak/verdict.ts';

const MIB = 1024 * 1024;

function samples(count: number, rss: (index: number) => number): Sample[] {
  return Array.from({ length: count }, (_unused, index) => ({
    elapsedSeconds: index * 60,
    rssBytes: rss(index),
    heapUsedBytes: 40 * MIB,
    openFileDescriptors: 150,
    eventLoopDelayP99Seconds: 0.01,
    eventLoopDelayMaxSeconds: 0.05,
    cpuSeconds: index * 6,
    logBytes: 10 * MIB,
    dataDirectoryBytes: 12 * MIB,
    mqttClients: 1000,
    appendedRecords: index * 6000,
    mirrorBacklogRecords: 0,
  }));
}

const rssFlat = { absolute: 16 * MIB, fraction: 0.1 };

test('memory that keeps rising after the warm-up fails; the detail names both windows and the trend', () => {
  const leaking = samples(60, (index) => (200 + index) * MIB);
  const check = checkFlat('RSS', afterWarmUp(leaking, 600), (sample) => sample.rssBytes, rssFlat, (value) => `${(value / MIB).toFixed(0)} MiB`);
  assert.is(check.passed, false);
  assert.match(check.detail, /first quarter after warm-up 216 MiB, last quarter 254 MiB: \+38 MiB \(allowed 22 MiB\)/);
  assert.match(check.detail, /trend \+60 MiB\/h/);
});

test('noise and one spike after the warm-up pass', () => {
  const noisy = samples(60, (index) => (index === 55 ? 400 : 200 + (index % 3) * 4) * MIB);
  const check = checkFlat('RSS', afterWarmUp(noisy, 600), (sample) => sample.rssBytes, rssFlat, plain);
  assert.ok(check.passed, check.detail);
});

test('growth during the warm-up is not judged', () => {
  const warmingUp = samples(60, (index) => (index < 10 ? 100 + index * 20 : 300) * MIB);
  assert.ok(checkFlat('RSS', afterWarmUp(warmingUp, 600), (sample) => sample.rssBytes, rssFlat, plain).passed);
  assert.is(checkFlat('RSS', warmingUp, (sample) => sample.rssBytes, rssFlat, plain).passed, false, 'judged from the start it fails');
});

test('too few samples after the warm-up cannot pass', () => {
  const check = checkFlat('RSS', samples(5, () => 200 * MIB), (sample) => sample.rssBytes, rssFlat, plain);
  assert.is(check.passed, false);
  assert.match(check.detail, /5 samples after the warm-up/);
});

test('the slope of a straight line is its rise per hour', () => {
  assert.is(slopePerHour([0, 1800, 3600], [10, 15, 20]), 10);
  assert.is(slopePerHour([0], [10]), 0);
});

test('the log may exceed its budget by the segments being written, not more', () => {
  const within = samples(10, () => 0).map((sample) => ({ ...sample, logBytes: 36 * MIB }));
  assert.ok(checkWithinBudget(within, 32 * MIB, 9 * MIB).passed);
  assert.is(checkWithinBudget(within, 32 * MIB, 2 * MIB).passed, false);
});

test('the table has a row per span of time with rates from the counters', () => {
  const table = renderCurves(samples(60, () => 200 * MIB), 12);
  assert.is(table.length, 2 + 12);
  assert.match(table[0]!, /\| minute \| RSS MiB \| heap MiB \| fds \|/);
  const firstRow = table[2]!.split('|').map((cell) => cell.trim());
  assert.is(firstRow[10], '100', 'records/s from the appended-records counter: 6,000 a minute');
  assert.is(firstRow[11], '10', 'CPU % from CPU seconds: 6 a minute');
  assert.is(samplesCsv(samples(2, () => 0)).split('\n')[0], 'elapsedSeconds,rssBytes,heapUsedBytes,openFileDescriptors,eventLoopDelayP99Seconds,eventLoopDelayMaxSeconds,cpuSeconds,logBytes,dataDirectoryBytes,mqttClients,appendedRecords,mirrorBacklogRecords');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordScope } from '../../../edge/pipelines/expression/record-scope.ts';
import { planPipelines } from '../../../edge/pipelines/plan.ts';
import { buildSteps } from '../../../edge/pipelines/step-chain.ts';
import type { PipelineRecord, Step, StepCounters } from '../../../edge/pipelines/steps/step.ts';
import type { PipelineConfig, PipelineStepConfig } from '../../../shared/config/pipelines-schema.ts';

const LIMITS = { openWindows: 1000, keysPerWindow: 100_000, dedupeEntries: 100_000, throttleKeys: 100_000, recordBytes: 1 << 20 };

interface Harness {
  steps: Step[];
  counters: StepCounters;
  reports: string[];
  push(key: string | null, value: unknown, timestamp: number): PipelineRecord[];
}

function harness(steps: PipelineStepConfig[], limits: Partial<typeof LIMITS> = {}): Harness {
  const config = { name: 'p', from: 'in', to: 'out', decode: 'json', encode: 'json', startFrom: 'earliest', commitIntervalMs: 1000, steps, limits: { ...LIMITS, ...limits } } as PipelineConfig;
  const [plan] = planPipelines([config]);
  const counters: StepCounters = { filtered: 0, late: 0, errors: 0, limitDrops: 0 };
  const reports: string[] = [];
  const built = buildSteps(plan!, { scope: new RecordScope(), counters, report: (_kind, message) => reports.push(message) }, config.limits);
  let offset = 0n;
  return {
    steps: built,
    counters,
    reports,
    push(key, value, timestamp) {
      const out: PipelineRecord[] = [];
      const run = (index: number, record: PipelineRecord): void => {
        if (index === built.length) out.push(record);
        else built[index]!.process(record, (next) => run(index + 1, next));
      };
      run(0, { key: key === null ? null : Buffer.from(key), value, timestamp, headers: [], offset: offset++ });
      return out;
    },
  };
}

const MINUTE = 60_000;
const T0 = 1_700_000_040_000; // a minute boundary

test('filter then map: dropped records are counted as filtered; map builds a new value', () => {
  const pipe = harness([{ filter: 'temp >= -40 and temp <= 85' }, { map: { f: 'temp * 9 / 5 + 32', site: "upper(site)" } }]);
  assert.equal(pipe.push('a', { temp: 100, site: 'n' }, T0), []);
  const [out] = pipe.push('a', { temp: 20, site: 'n' }, T0);
  assert.equal(out!.value, { f: 68, site: 'N' });
  assert.is(pipe.counters.filtered, 1);
});

test('an expression that fails on a record counts an error and drops that record only', () => {
  const pipe = harness([{ map: { x: 'a.b' } }, { filter: 'x > 1' }]);
  assert.equal(pipe.push('k', { a: { b: 2 } }, T0).length, 1);
  const failing = harness([{ window: { size: '1m', grace: 0, aggregate: { s: 'sum(v)' } } }]);
  assert.equal(failing.push('k', { v: 'seven' }, T0), []);
  assert.is(failing.counters.errors, 1);
  assert.match(failing.reports[0]!, /sum\(\) takes numbers/);
});

test('tumbling window: emitted once when event time passes end + grace, at the window end, per key in key order', () => {
  const pipe = harness([{ window: { size: '60s', grace: '5s', aggregate: { avg: 'avg(temp)', max: 'max(temp)', n: 'count()' } } }]);
  assert.equal(pipe.push('b', { temp: 20 }, T0 + 1000), []);
  assert.equal(pipe.push('a', { temp: 10 }, T0 + 2000), []);
  assert.equal(pipe.push('b', { temp: 30 }, T0 + 59_999), []);
  assert.equal(pipe.push('a', { temp: 11 }, T0 + MINUTE + 4_999), [], 'within the grace the window stays open');
  const closed = pipe.push('b', { temp: 40 }, T0 + MINUTE + 5_000);
  assert.equal(closed.map((record) => [record.key?.toString(), record.value, record.timestamp]), [
    ['a', { windowStart: T0, windowEnd: T0 + MINUTE, avg: 10, max: 10, n: 1 }, T0 + MINUTE],
    ['b', { windowStart: T0, windowEnd: T0 + MINUTE, avg: 25, max: 30, n: 2 }, T0 + MINUTE],
  ]);
  assert.equal(pipe.push('a', { temp: 99 }, T0 + 30_000), [], 'a record for the closed window');
  assert.is(pipe.counters.late, 1);
});

test('hopping window: each record counts in size / advance windows', () => {
  const pipe = harness([{ window: { size: '3m', advance: '1m', grace: 0, aggregate: { n: 'count()', first: 'first(v)', last: 'last(v)' } } }]);
  pipe.push('k', { v: 'x' }, T0 + 10_000);
  pipe.push('k', { v: 'w' }, T0 + 5_000);
  const out = pipe.push('k', { v: 'z' }, T0 + 4 * MINUTE);
  assert.equal(out.map((record) => record.value), [
    { windowStart: T0 - 2 * MINUTE, windowEnd: T0 + MINUTE, n: 2, first: 'w', last: 'x' },
    { windowStart: T0 - MINUTE, windowEnd: T0 + 2 * MINUTE, n: 2, first: 'w', last: 'x' },
    { windowStart: T0, windowEnd: T0 + 3 * MINUTE, n: 2, first: 'w', last: 'x' },
  ]);
});

test('window time from a field, missing values skipped as in SQL', () => {
  const pipe = harness([{ window: { size: '1m', grace: 0, time: 'ts * 1000', aggregate: { n: 'count()', present: 'count(v)', s: 'sum(v)', m: 'min(v)' } } }]);
  pipe.push('k', { ts: T0 / 1000, v: 4 }, 0);
  pipe.push('k', { ts: T0 / 1000 + 1 }, 0);
  const [out] = pipe.push('k', { ts: T0 / 1000 + 60 }, 0);
  assert.equal(out!.value, { windowStart: T0, windowEnd: T0 + MINUTE, n: 2, present: 1, s: 4, m: 4 });
});

test('window limits: a new window or key beyond the limit is dropped and counted, never a crash', () => {
  const pipe = harness([{ window: { size: '1m', grace: '10m', aggregate: { n: 'count()' } } }], { openWindows: 2, keysPerWindow: 2 });
  pipe.push('a', {}, T0);
  pipe.push('b', {}, T0);
  pipe.push('c', {}, T0);
  pipe.push('a', {}, T0 + MINUTE);
  pipe.push('a', {}, T0 + 2 * MINUTE);
  assert.is(pipe.counters.limitDrops, 2);
  assert.equal(pipe.steps[0]!.state!.size(), { entries: 3, openWindows: 2 });
});

test('window state survives a restore: the restored step emits what the first would have', () => {
  const steps: PipelineStepConfig[] = [{ window: { size: '1m', grace: 0, aggregate: { s: 'sum(v)', n: 'count()' } } }];
  const first = harness(steps);
  first.push('a', { v: 1 }, T0);
  first.push('b', { v: 2 }, T0 + 1);
  const state = first.steps[0]!.state!;
  const entries = [...state.entries()].map(([key, value]) => [key, structuredClone(value)] as [string, unknown]);
  const second = harness(steps);
  second.steps[0]!.state!.restore(entries.reverse(), state.scalars());
  const shown = (records: PipelineRecord[]) => records.map((record) => [record.key?.toString(), record.value, record.timestamp]);
  const expected = first.push('a', { v: 3 }, T0 + MINUTE);
  assert.equal(shown(second.push('a', { v: 3 }, T0 + MINUTE)), shown(expected));
  assert.equal(expected.map((record) => record.value), [{ windowStart: T0, windowEnd: T0 + MINUTE, s: 1, n: 1 }, { windowStart: T0, windowEnd: T0 + MINUTE, s: 2, n: 1 }]);
});

test('dedupe: the same key and value within the span is dropped; other keys and later ones pass', () => {
  const pipe = harness([{ dedupe: { field: 'id', within: '10s' } }]);
  assert.is(pipe.push('a', { id: 1 }, T0).length, 1);
  assert.is(pipe.push('a', { id: 1 }, T0 + 9_999).length, 0);
  assert.is(pipe.push('b', { id: 1 }, T0 + 9_999).length, 1);
  assert.is(pipe.push('a', { id: 2 }, T0 + 9_999).length, 1);
  assert.is(pipe.push('a', { id: 1 }, T0 + 10_000).length, 1);
  assert.is(pipe.counters.filtered, 1);
});

test('dedupe forgets expired entries as stream time moves, and passes (counted) when full', () => {
  const pipe = harness([{ dedupe: { field: 'id', within: '1s' } }], { dedupeEntries: 2 });
  pipe.push('a', { id: 1 }, T0);
  pipe.push('a', { id: 2 }, T0);
  assert.is(pipe.push('a', { id: 3 }, T0).length, 1);
  assert.is(pipe.counters.limitDrops, 1);
  pipe.push('a', { id: 4 }, T0 + 5_000);
  assert.equal(pipe.steps[0]!.state!.size().entries, 1, 'entries older than the span are forgotten');
});

test('throttle: at most one record per key per interval, the first', () => {
  const pipe = harness([{ throttle: { interval: '10s' } }]);
  const passed = [0, 3_000, 9_999, 10_000, 15_000, 20_000].flatMap((delta) => pipe.push('a', { delta }, T0 + delta));
  assert.equal(passed.map((record) => (record.value as { delta: number }).delta), [0, 10_000, 20_000]);
  assert.is(pipe.push('b', {}, T0 + 1).length, 1);
  assert.is(pipe.counters.filtered, 3);
});

test('plan: every problem names the pipeline, the step and the column', () => {
  const base = { from: 'in', to: 'out', decode: 'json', encode: 'json', startFrom: 'earliest', commitIntervalMs: 1000, limits: LIMITS } as const;
  assert.throws(() => planPipelines([{ ...base, name: 'g', steps: [{ filter: 'a > 1' }, { filter: 'temp >= -40 and' }] } as PipelineConfig]), /pipelines\[0\] \(g\), step 2 \(filter\): Unexpected token at column 13/);
  assert.throws(() => planPipelines([{ ...base, name: 'g', steps: [{ map: { ok: '1', bad: 'x +' } }] } as PipelineConfig]), /step 1 \(map\.bad\)/);
  assert.throws(() => planPipelines([{ ...base, name: 'g', steps: [{ window: { size: '60s', advance: '7s', grace: 0, aggregate: { n: 'count()' } } }] } as PipelineConfig]), /advance \(7000 ms\) must divide size/);
  assert.throws(() => planPipelines([{ ...base, name: 'g', steps: [] }, { ...base, name: 'g', steps: [] }] as PipelineConfig[]), /pipelines\[1\] \(g\): the name g is used by an earlier pipeline/);
  assert.throws(() => planPipelines([{ ...base, name: 'g', to: 'in', steps: [] } as PipelineConfig]), /cannot write to the topic it reads/);
});

test.run();

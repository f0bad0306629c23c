// The memory guard's marks, on heap readings the test chooses: it sheds from the upper
// mark, keeps shedding until the heap is below the lower one, counts every refusal by
// protocol and request, logs the refusals once per interval, and refuses marks that could
// never end a shedding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { getHeapStatistics } from 'node:v8';
import { MemoryGuard, v8FullCollection } from '../../../edge/daemon/memory-guard.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { metricTotal } from '../../helpers/daemon.ts';

const LIMIT_BYTES = 100 * 1024 * 1024;

function recordingLogger(lines: string[]): Logger {
  const write = (level: string) => (_details: unknown, message: string) => void lines.push(`${level}: ${message}`);
  const logger = { warn: write('warn'), info: write('info'), error: write('error'), debug: write('debug'), child: () => logger } as unknown as Logger;
  return logger;
}

test('sheds at shedAbovePercent, keeps shedding down to resumeBelowPercent, and resumes below it', () => {
  let usedPercent = 50;
  const lines: string[] = [];
  const guard = new MemoryGuard({ shedAbovePercent: 85, resumeBelowPercent: 70, sampleIntervalMs: 1000 }, recordingLogger(lines), undefined, { readHeap: () => ({ usedBytes: (usedPercent / 100) * LIMIT_BYTES, limitBytes: LIMIT_BYTES }), collect: undefined });
  const states: boolean[] = [];
  for (const percent of [50, 84, 85, 90, 80, 71, 70, 69, 84, 86]) {
    usedPercent = percent;
    guard.sample();
    states.push(guard.shedding);
  }
  assert.equal(states, [false, false, true, true, true, true, true, false, false, true]);
  assert.equal(lines.filter((line) => line.includes('memory pressure')).map((line) => line.split(':')[0]), ['warn', 'info', 'warn'], 'one line when shedding starts, one when it ends');
});

test('while shedding, a reading above the lower mark is taken again after a full collection, so garbage does not keep refusals on', () => {
  let usedPercent = 90;
  let garbagePercent = 0;
  let collections = 0;
  const readHeap = () => ({ usedBytes: ((usedPercent + garbagePercent) / 100) * LIMIT_BYTES, limitBytes: LIMIT_BYTES });
  const collect = () => {
    collections += 1;
    garbagePercent = 0;
  };
  const guard = new MemoryGuard({ shedAbovePercent: 85, resumeBelowPercent: 70, sampleIntervalMs: 1000 }, recordingLogger([]), undefined, { readHeap, collect });
  assert.ok(guard.shedding);
  assert.is(collections, 0, 'no collection is forced while not shedding');
  usedPercent = 40;
  garbagePercent = 45;
  guard.sample();
  assert.is(collections, 1);
  assert.not.ok(guard.shedding, 'the live heap is below the lower mark');
  usedPercent = 60;
  garbagePercent = 30;
  guard.sample();
  assert.is(collections, 1, 'none while not shedding');
  assert.ok(guard.shedding, 'when not shedding the reading is taken as it is, garbage and all: 60 + 30 = 90% sheds');
});

test('V8 gives the guard a full collection without --expose-gc on the command line', () => {
  assert.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this test runs without --expose-gc');
  const collect = v8FullCollection();
  assert.type(collect, 'function');
  let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, index) => ({ index }));
  const withGarbage = getHeapStatistics().used_heap_size;
  garbage = undefined;
  collect!();
  assert.ok(getHeapStatistics().used_heap_size < withGarbage, 'the collection freed the garbage');
  assert.is(garbage, undefined);
  assert.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the flag is not left on for this context');
});

test('every refusal is counted by protocol and request; the log has one line per kind per interval; the message names the setting', async () => {
  const registry = new Registry();
  const lines: string[] = [];
  const guard = new MemoryGuard({ shedAbovePercent: 60, resumeBelowPercent: 50, sampleIntervalMs: 60_000 }, recordingLogger(lines), registry, { readHeap: () => ({ usedBytes: 0.9 * LIMIT_BYTES, limitBytes: LIMIT_BYTES }), collect: undefined });
  assert.ok(guard.shedding, 'the first reading is taken at construction');
  let message = '';
  for (let index = 0; index < 5; index += 1) message = guard.refused({ protocol: 'mqtt', request: 'publish' });
  guard.refused({ protocol: 'mqtt', request: 'connect' });
  guard.refused({ protocol: 'kafka', request: 'produce' });
  assert.match(message, 'heap 90% of its limit');
  assert.match(message, 'node.memoryGuard.shedAbovePercent 60%');
  const metrics = await registry.metrics();
  assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'mqtt', request: 'publish' }), 5);
  assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'mqtt', request: 'connect' }), 1);
  assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'kafka', request: 'produce' }), 1);
  assert.is(metricTotal(metrics, 'tributary_memory_heap_used_ratio'), 0.9);
  assert.is(metricTotal(metrics, 'tributary_memory_pressure'), 1);
  assert.is(lines.filter((line) => line.includes('refused')).length, 3, `one line per kind within the interval: ${lines.join(' | ')}`);
});

test('a resume mark not below the shed mark is refused as CONFIG_INVALID naming the key', () => {
  try {
    new MemoryGuard({ shedAbovePercent: 70, resumeBelowPercent: 70, sampleIntervalMs: 1000 }, recordingLogger([]), undefined);
    assert.unreachable('the marks are refused');
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
    assert.match((error as Error).message, 'node.memoryGuard.resumeBelowPercent (70) must be below node.memoryGuard.shedAbovePercent (70)');
  }
});

test.run();

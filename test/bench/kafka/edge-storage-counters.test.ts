import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanSyncMs, readStorageCounters, subtract, syncPercentileBoundMs } from '../../../bench/kafka/edge-storage-counters.ts';

function metrics(bytes: number, within: [string, number][], count: number, sum: number): string {
  return [
    '# HELP tributary_storage_append_bytes_total Record batch bytes appended to the log',
    `tributary_storage_append_bytes_total{topic="other"} 5`,
    `tributary_storage_append_bytes_total{topic="bench-paced"} ${bytes}`,
    ...within.map(([bound, value]) => `tributary_storage_flush_duration_seconds_bucket{le="${bound}"} ${value}`),
    `tributary_storage_flush_duration_seconds_bucket{le="+Inf"} ${count}`,
    `tributary_storage_flush_duration_seconds_sum ${sum}`,
    `tributary_storage_flush_duration_seconds_count ${count}`,
  ].join('\n');
}

test('a phase is the difference of two readings: bytes of its topic, fdatasyncs of all', () => {
  const before = readStorageCounters(metrics(1000, [['0.001', 10], ['0.01', 10], ['0.1', 10]], 10, 0.005), 'bench-paced');
  const after = readStorageCounters(metrics(5000, [['0.001', 60], ['0.01', 105], ['0.1', 110]], 110, 0.505), 'bench-paced');
  const phase = subtract(after, before);
  assert.is(phase.bytes, 4000);
  assert.is(phase.syncs, 100);
  assert.ok(Math.abs(meanSyncMs(phase) - 5) < 1e-9);
  // 50 of 100 within 1 ms, 95 within 10 ms, all within 100 ms.
  assert.is(syncPercentileBoundMs(phase, 0.5), 1);
  assert.is(syncPercentileBoundMs(phase, 0.95), 10);
  assert.is(syncPercentileBoundMs(phase, 0.99), 100);
});

test('no fdatasync in a phase: no mean, no percentile', () => {
  const reading = readStorageCounters(metrics(0, [['0.001', 0]], 0, 0), 'bench-paced');
  const phase = subtract(reading, reading);
  assert.ok(Number.isNaN(meanSyncMs(phase)));
  assert.ok(Number.isNaN(syncPercentileBoundMs(phase, 0.99)));
});

test.run();

// An edge's history in the fleet view: errors with first and last seen and a count, backlog
// growth over a window, clock skew only from heartbeats read as they arrived; and the alerts
// built on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertsOf, DEFAULT_THRESHOLDS } from '../../cloud/fleet-alerts.ts';
import { EDGE_ERRORS_MAX, EDGE_HISTORY_SAMPLES_MAX, EdgeHistory } from '../../cloud/fleet-history.ts';
import type { Heartbeat } from '../../shared/heartbeat.ts';

const T = 1_800_000_000_000;

function heartbeat(changes: Partial<Heartbeat>): Heartbeat {
  return { edge: 'e', sentAtMs: T, startedAtMs: T - 1000, linkState: 'up', lagRecords: 0, lagBytes: 0, lagSeconds: 0, bytesSent: 0, recordsDelivered: 0, throughputBytesPerSecond: 0, errors: 0, lastError: null, lastErrorAtMs: 0, evictedUndeliveredRecords: 0, partitions: 1, ...changes };
}

test('an error keeps when it was first and last reported and how many errors the edge counted meanwhile', () => {
  const history = new EdgeHistory();
  history.observe(heartbeat({ errors: 2, lastError: 'refused', lastErrorAtMs: T - 50 }), T, false);
  history.observe(heartbeat({ sentAtMs: T + 30_000, errors: 5, lastError: 'refused', lastErrorAtMs: T + 20_000 }), T + 30_000, false);
  history.observe(heartbeat({ sentAtMs: T + 60_000, errors: 5, lastError: 'refused', lastErrorAtMs: T + 20_000 }), T + 60_000, false);
  history.observe(heartbeat({ sentAtMs: T + 90_000, errors: 6, lastError: 'timeout', lastErrorAtMs: T + 80_000 }), T + 90_000, false);
  assert.equal(history.errors(), [
    { message: 'timeout', firstSeenMs: T + 80_000, lastSeenMs: T + 80_000, count: 1 },
    { message: 'refused', firstSeenMs: T - 50, lastSeenMs: T + 20_000, count: 5 },
  ]);
  for (let index = 0; index < EDGE_ERRORS_MAX + 5; index += 1) history.observe(heartbeat({ sentAtMs: T + 100_000 + index, errors: 7 + index, lastError: `e${index}`, lastErrorAtMs: T + 100_000 + index }), T, false);
  assert.is(history.errors().length, EDGE_ERRORS_MAX, 'bounded: the oldest errors are forgotten');
});

test('backlog growth needs its window covered; the history is bounded', () => {
  const history = new EdgeHistory();
  history.observe(heartbeat({ lagRecords: 100 }), T, false);
  assert.is(history.backlogGrowth(600_000), null);
  for (let index = 1; index <= 20; index += 1) history.observe(heartbeat({ sentAtMs: T + index * 30_000, lagRecords: 100 + index * 200 }), T, false);
  assert.is(history.backlogGrowth(600_000), 4000, '20 heartbeats of +200 over 600 s');
  assert.equal(alertsOf(heartbeat({ sentAtMs: T + 600_000, lagRecords: 4100 }), history, DEFAULT_THRESHOLDS, T + 600_000), ['backlog-growing']);
  for (let index = 0; index < EDGE_HISTORY_SAMPLES_MAX + 10; index += 1) history.observe(heartbeat({ sentAtMs: T + 10_000_000 + index }), T, false);
  assert.is(history.samples.length, EDGE_HISTORY_SAMPLES_MAX);
});

test('clock skew comes only from heartbeats read as they arrived, and alerts past its threshold', () => {
  const history = new EdgeHistory();
  history.observe(heartbeat({ sentAtMs: T - 3_600_000 }), T, false);
  assert.is(history.clockSkewMs, null, 'a heartbeat read back from the topic\'s history says nothing of the clock');
  history.observe(heartbeat({ sentAtMs: T - 45_000 }), T, true);
  assert.is(history.clockSkewMs, 45_000);
  assert.equal(alertsOf(heartbeat({ sentAtMs: T - 45_000 }), history, DEFAULT_THRESHOLDS, T - 45_000 + 1000), ['clock-skew']);
  assert.equal(alertsOf(heartbeat({ sentAtMs: T - 200_000, evictedUndeliveredRecords: 3 }), undefined, DEFAULT_THRESHOLDS, T), ['stale', 'data-loss']);
});

test.run();

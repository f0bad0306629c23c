import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../shared/errors.ts';
import { SyncWindows } from '../../mirror/sync-windows.ts';

/** A moment in the device's local time, as cron reads it. */
const at = (year: number, month: number, day: number, hour: number, minute: number, second = 0) => new Date(year, month - 1, day, hour, minute, second).getTime();

test('no windows: always open', () => {
  const windows = new SyncWindows([]);
  assert.equal(windows.state(at(2026, 3, 1, 12, 0)), { open: true, nextChangeMs: Number.POSITIVE_INFINITY });
});

test('a nightly window is open for its duration and says when it closes and opens next', () => {
  const windows = new SyncWindows([{ cron: '0 2 * * *', durationMinutes: 90 }]);
  try {
    assert.equal(windows.state(at(2026, 3, 1, 1, 59)), { open: false, nextChangeMs: at(2026, 3, 1, 2, 0) });
    assert.equal(windows.state(at(2026, 3, 1, 2, 0)), { open: true, nextChangeMs: at(2026, 3, 1, 2, 15) }, 'rechecked within 15 minutes in case the clock moves');
    assert.is(windows.state(at(2026, 3, 1, 3, 29, 59)).open, true);
    assert.equal(windows.state(at(2026, 3, 1, 3, 29, 59)).nextChangeMs, at(2026, 3, 1, 3, 30));
    assert.is(windows.state(at(2026, 3, 1, 3, 30)).open, false, 'the end is exclusive');
    assert.is(windows.state(at(2026, 3, 1, 12, 0)).nextChangeMs, at(2026, 3, 1, 12, 15), 'a far opening is rechecked every 15 minutes');
  } finally {
    windows.close();
  }
});

test('weekdays, overlapping windows and a seconds field follow node-cron\'s reading', () => {
  // 2026-03-02 is a Monday, 2026-03-07 a Saturday.
  const workdays = new SyncWindows([{ cron: '30 8 * * 1-5', durationMinutes: 30 }]);
  const overlapping = new SyncWindows([{ cron: '0 10 * * *', durationMinutes: 60 }, { cron: '30 10 * * *', durationMinutes: 60 }]);
  const seconds = new SyncWindows([{ cron: '30 0 6 * * *', durationMinutes: 1 }]);
  try {
    assert.is(workdays.state(at(2026, 3, 2, 8, 45)).open, true);
    assert.is(workdays.state(at(2026, 3, 7, 8, 45)).open, false);
    assert.is(overlapping.state(at(2026, 3, 2, 11, 15)).open, true, 'open while any window is');
    assert.is(overlapping.state(at(2026, 3, 2, 11, 29)).nextChangeMs, at(2026, 3, 2, 11, 30));
    assert.is(overlapping.state(at(2026, 3, 2, 11, 30)).open, false);
    assert.is(seconds.state(at(2026, 3, 2, 6, 0, 29)).open, false);
    assert.is(seconds.state(at(2026, 3, 2, 6, 0, 30)).open, true);
    assert.is(seconds.state(at(2026, 3, 2, 6, 1, 29)).open, true);
    assert.is(seconds.state(at(2026, 3, 2, 6, 1, 30)).open, false);
  } finally {
    workdays.close();
    overlapping.close();
    seconds.close();
  }
});

test('a bad expression is a config error naming the window', () => {
  try {
    new SyncWindows([{ cron: '0 2 * *', durationMinutes: 10 }, { cron: '61 * * * *', durationMinutes: 10 }]);
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'));
    assert.match((error as Error).message, /^mirror\.link\.syncWindows\[0\]\.cron: "0 2 \* \*" is not a valid cron expression/);
  }
});

test.run();

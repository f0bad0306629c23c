// A client that takes none of its output for a while is stalled; one that takes some, however
// little and however much still waits, is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StalledWriter } from '../../../shared/listeners/stalled-writer.ts';

test('nothing taken: stalled since output first waited', () => {
  const writer = new StalledWriter();
  assert.is(writer.stalledMs(1_000, 100, 100), 0, 'output waits from now');
  assert.is(writer.stalledMs(3_000, 100, 100), 2_000);
  assert.is(writer.stalledMs(5_000, 300, 300), 4_000, 'more handed over, none taken: still stalled');
});

test('a slow reader with more and more waiting is not stalled while it takes some', () => {
  const writer = new StalledWriter();
  let sent = 0;
  let taken = 0;
  for (let second = 0; second < 60; second++) {
    sent += 20_000;
    taken += 10_000;
    assert.is(writer.stalledMs(second * 1_000, sent, sent - taken), 0, `second ${second}: ${sent - taken} bytes waiting, but some taken`);
  }
});

test('nothing waiting: not stalled, and a later wait starts afresh', () => {
  const writer = new StalledWriter();
  writer.stalledMs(0, 100, 100);
  assert.is(writer.stalledMs(10_000, 100, 0), 0);
  assert.is(writer.stalledMs(20_000, 200, 100), 0);
  assert.is(writer.stalledMs(21_000, 200, 100), 1_000);
});

test.run();

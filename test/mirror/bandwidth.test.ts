import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BandwidthShaper } from '../../mirror/bandwidth.ts';

function clock() {
  let nowMs = 0;
  return { now: () => nowMs, advance: (ms: number) => { nowMs += ms; } };
}

test('without a cap nothing waits', () => {
  const time = clock();
  const shaper = new BandwidthShaper(0, time.now);
  shaper.charge(10 ** 9);
  assert.is(shaper.delayMs(), 0);
  assert.not.ok(shaper.capped);
});

test('a request larger than the burst goes at once and the next one waits for the debt', () => {
  const time = clock();
  const shaper = new BandwidthShaper(1_000_000, time.now);
  shaper.charge(0);
  assert.is(shaper.delayMs(), 0, 'a fresh bucket lets the first request go');
  shaper.charge(250_000);
  assert.is(shaper.delayMs(), 150, '250 kB at 1 MB/s less the 100 kB burst: 150 ms of debt');
  time.advance(100);
  assert.is(shaper.delayMs(), 50);
  time.advance(50);
  assert.is(shaper.delayMs(), 0);
});

test('over a long run the bytes allowed stay within rate × time + burst', () => {
  const time = clock();
  const rate = 125_000;
  const shaper = new BandwidthShaper(rate, time.now);
  let sent = 0;
  // A sender that sends 7 kB whenever allowed, checking every millisecond, for 60 s.
  for (let ms = 0; ms < 60_000; ms += 1) {
    if (shaper.delayMs() === 0) {
      shaper.charge(7_000);
      sent += 7_000;
    }
    time.advance(1);
  }
  const ceiling = rate * 60 + rate * 0.1 + 7_000;
  assert.ok(sent <= ceiling, `${sent} B sent in 60 s at ${rate} B/s`);
  assert.ok(sent >= rate * 60 * 0.98, `${sent} B: the cap is used, not wasted`);
});

test('idle time does not pile up beyond the burst', () => {
  const time = clock();
  const shaper = new BandwidthShaper(100_000, time.now);
  time.advance(3_600_000);
  shaper.charge(30_000);
  assert.ok(shaper.delayMs() >= 190, 'an hour of idling buys 10 kB of burst, not 360 MB');
});

test('the rate can change while running', () => {
  const time = clock();
  const shaper = new BandwidthShaper(1000, time.now);
  shaper.charge(2024);
  assert.is(shaper.delayMs(), 1000);
  shaper.setRate(2000);
  assert.is(shaper.delayMs(), 500);
  shaper.setRate(0);
  assert.is(shaper.delayMs(), 0);
  assert.throws(() => shaper.setRate(-1), /not a non-negative number/);
});

test.run();

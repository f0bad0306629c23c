import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BURST_BYTES_MIN, BURST_SECONDS, TokenBucket } from '../../../firmware-sim/link/token-bucket.ts';

test('the bucket holds a short burst at the rate, and never less than one segment', () => {
  const fast = new TokenBucket(10_000_000);
  assert.is(fast.sliceBytesMax, 10_000_000 * BURST_SECONDS);
  const slow = new TokenBucket(100);
  assert.is(slow.sliceBytesMax, BURST_BYTES_MIN);
  slow.setRate(20_000_000);
  assert.is(slow.sliceBytesMax, 20_000_000 * BURST_SECONDS);
});

test('bytes pass no faster than the rate', async () => {
  const rate = 10_000_000;
  const bucket = new TokenBucket(rate);
  const slice = bucket.sliceBytesMax / 4;
  const totalBytes = 2_000_000;
  const startedMs = performance.now();
  for (let passed = 0; passed < totalBytes; passed += slice) await bucket.take(slice);
  const elapsedSeconds = (performance.now() - startedMs) / 1000;
  // The bucket starts empty, so every byte had to be earned at the rate.
  assert.ok(elapsedSeconds >= (totalBytes - slice) / rate, `${totalBytes} B passed in ${elapsedSeconds} s`);
});

test('waiters are served in the order they came', async () => {
  const bucket = new TokenBucket(1_000_000);
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3, 4].map((index) => bucket.take(10_000).then(() => order.push(index))));
  assert.equal(order, [0, 1, 2, 3, 4]);
});

test('close releases every waiter', async () => {
  const bucket = new TokenBucket(1);
  const waiting = Promise.all([bucket.take(BURST_BYTES_MIN), bucket.take(BURST_BYTES_MIN)]);
  bucket.close();
  await waiting;
});

test.run();

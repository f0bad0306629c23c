import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { median, percentile, spread } from '../../bench/statistics.ts';

test('median of an odd and an even number of runs; NaN runs are left out', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([Number.NaN, 5]), 5);
  assert.ok(Number.isNaN(median([])));
});

test('percentile of sorted values, and spread of runs', () => {
  assert.is(percentile(Float64Array.from([1, 2, 3, 4]), 0.5), 3);
  assert.is(percentile([1, 2, 3, 4], 0.999), 4);
  assert.equal(spread([3, Number.NaN, 1, 2]), { median: 2, min: 1, max: 3, count: 3 });
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SequenceSet } from '../../../firmware-sim/sim/sequence-set.ts';
import { createRandom } from '../../../firmware-sim/random.ts';

test('in-order numbers make one range', () => {
  const set = new SequenceSet();
  for (let sequence = 1; sequence <= 1000; sequence += 1) assert.ok(set.add(sequence));
  assert.equal(set.ranges(), [[1, 1000]]);
  assert.is(set.size, 1000);
});

test('gaps, duplicates and late arrivals are kept exactly', () => {
  const set = new SequenceSet();
  for (const sequence of [1, 2, 3, 7, 8, 5, 10]) set.add(sequence);
  assert.equal(set.ranges(), [[1, 3], [5, 5], [7, 8], [10, 10]]);
  assert.not.ok(set.add(2), 'a duplicate is reported');
  set.add(4);
  set.add(6);
  assert.equal(set.ranges(), [[1, 8], [10, 10]]);
  set.add(9);
  assert.equal(set.ranges(), [[1, 10]]);
  assert.is(set.size, 10);
  assert.ok(set.has(6));
  assert.not.ok(set.has(11));
});

test('any insertion order gives the same ranges as a sorted one', () => {
  const random = createRandom(42);
  const numbers = Array.from({ length: 500 }, () => random.integer(1, 800));
  const set = new SequenceSet();
  for (const sequence of numbers) set.add(sequence);
  const unique = [...new Set(numbers)].sort((a, b) => a - b);
  const expected: [number, number][] = [];
  for (const sequence of unique) {
    const last = expected[expected.length - 1];
    if (last !== undefined && last[1] === sequence - 1) last[1] = sequence;
    else expected.push([sequence, sequence]);
  }
  assert.equal(set.ranges(), expected);
  assert.is(set.size, unique.length);
  assert.equal(SequenceSet.fromRanges(expected).ranges(), expected);
});

test.run();

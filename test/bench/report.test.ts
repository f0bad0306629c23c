import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { count, fixed, goalLine, renderTable, runRatios, type FigureRow } from '../../bench/report.ts';

const row: FigureRow<'ours' | 'theirs'> = { label: 'records/s', better: 'higher', format: count, values: { ours: [100, 300, 200], theirs: [100, 100, 400] } };

test('ratios are taken within each run, then summarised', () => {
  assert.equal(runRatios(row, { numerator: 'ours', denominator: 'theirs' }), [1, 3, 0.5]);
  const lines = renderTable(['ours', 'theirs'], [{ numerator: 'ours', denominator: 'theirs' }], [row]);
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /ours\/theirs$/);
  assert.match(lines[1]!, /^records\/s ↑ +200 \(100–300\) +100 \(100–400\) +1\.00 \(0\.50–3\.00\)$/);
});

test('a goal is judged on the median, and says which way it went', () => {
  assert.is(goalLine({ label: 'produce', values: [0.9, 1.2, 1.1], atLeast: 1 }), 'produce: 1.10 (0.90–1.20), goal >= 1: met');
  assert.is(goalLine({ label: 'memory', values: [0.3], atMost: 0.25 }), 'memory: 0.30, goal <= 0.25: MISSED');
  assert.is(goalLine({ label: 'none', values: [], atMost: 0.25 }), 'none: -, goal <= 0.25: not measured');
  assert.is(fixed(1)(Number.NaN), '-');
});

test.run();

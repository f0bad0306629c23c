// A pipeline's recent problems: the newest first, never more than RECENT_PROBLEMS_MAX, long
// messages cut.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RECENT_PROBLEMS_MAX, RecentProblems } from '../../../edge/pipelines/recent-problems.ts';

const problem = (index: number, message = `problem ${index}`) => ({ atMs: 1_700_000_000_000 + index, kind: 'expression', partition: index % 3, offset: String(index), message });

test('the newest come first, and only the newest RECENT_PROBLEMS_MAX are kept', () => {
  const problems = new RecentProblems();
  for (let index = 0; index < 3; index++) problems.add(problem(index));
  assert.equal(problems.list().map((entry) => entry.offset), ['2', '1', '0']);
  for (let index = 3; index < RECENT_PROBLEMS_MAX * 2 + 5; index++) problems.add(problem(index));
  const kept = problems.list();
  assert.is(kept.length, RECENT_PROBLEMS_MAX);
  assert.is(kept[0]!.offset, String(RECENT_PROBLEMS_MAX * 2 + 4));
  assert.is(kept.at(-1)!.offset, String(RECENT_PROBLEMS_MAX + 5));
  assert.ok(kept.every((entry, index) => index === 0 || Number(entry.offset) === Number(kept[index - 1]!.offset) - 1), 'in order, none skipped');
});

test('a long message is cut, so that a page of problems stays small', () => {
  const problems = new RecentProblems();
  problems.add(problem(0, 'x'.repeat(10_000)));
  const [kept] = problems.list();
  assert.ok(kept!.message.length < 1000, `${kept!.message.length} characters`);
  assert.ok(kept!.message.endsWith('…'));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../shared/errors.ts';
import { compileTopicPattern, TopicSelector } from '../../mirror/topic-pattern.ts';

test('a glob matches whole names: * any run, ? one character, the rest literally', () => {
  const pattern = compileTopicPattern('sensors.*', 'k');
  assert.ok(pattern.test('sensors.temperature'));
  assert.ok(pattern.test('sensors.'));
  assert.not.ok(pattern.test('sensorsX'), 'the dot is literal');
  assert.not.ok(pattern.test('my.sensors.a'), 'anchored at the start');
  const single = compileTopicPattern('line-?', 'k');
  assert.ok(single.test('line-1'));
  assert.not.ok(single.test('line-10'));
  assert.ok(compileTopicPattern('a+b(c)', 'k').test('a+b(c)'), 'regular expression characters in a glob are literal');
});

test('a pattern between slashes is a regular expression, anchored as a whole', () => {
  const pattern = compileTopicPattern('/sensors|alarms/', 'k');
  assert.ok(pattern.test('sensors'));
  assert.ok(pattern.test('alarms'));
  assert.not.ok(pattern.test('sensors2'), 'the alternation is anchored as a whole');
  assert.ok(compileTopicPattern('/ALARMS/i', 'k').test('alarms'), 'flags after the closing slash');
});

test('an invalid regular expression is a config error naming the key', () => {
  try {
    compileTopicPattern('/(unclosed/', 'mirror.topics.include[1]');
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'));
    assert.match((error as Error).message, /^mirror\.topics\.include\[1\]: "\/\(unclosed\/" is not a valid regular expression/);
  }
});

test('the selector includes, then excludes, and never takes internal or reverse topics', () => {
  const selector = new TopicSelector({ include: ['*'], exclude: ['tmp.*', '/debug-[0-9]+/'], alwaysExcluded: ['commands'] });
  assert.ok(selector.selects('sensors'));
  assert.not.ok(selector.selects('tmp.x'));
  assert.not.ok(selector.selects('debug-12'));
  assert.ok(selector.selects('debug-x'));
  assert.not.ok(selector.selects('commands'), 'the local topic of a reverse rule would echo commands back');
  assert.not.ok(selector.selects('__consumer_offsets'));
  const narrow = new TopicSelector({ include: ['sensors', 'alarms'], exclude: [] });
  assert.ok(narrow.selects('alarms'));
  assert.not.ok(narrow.selects('logs'));
});

test.run();

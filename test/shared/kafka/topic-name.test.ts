import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../../shared/errors.ts';
import { isValidTopicName, TOPIC_NAME_LENGTH_MAX, TOPIC_NAME_PATTERN, topicNameProblem, validateTopicName } from '../../../shared/kafka/topic-name.ts';

test('names Kafka accepts are valid', () => {
  for (const name of ['sensors', 'a', 'edge-01.sensors', '__consumer_offsets', 'A_b-C.9', 'x'.repeat(TOPIC_NAME_LENGTH_MAX), '...']) {
    assert.ok(isValidTopicName(name), name);
    assert.ok(TOPIC_NAME_PATTERN.test(name), name);
    validateTopicName(name);
  }
});

test('each broken part of the rule is named', () => {
  assert.is(topicNameProblem(''), 'is empty');
  assert.is(topicNameProblem('.'), 'cannot be "." or ".."');
  assert.is(topicNameProblem('..'), 'cannot be "." or ".."');
  assert.match(topicNameProblem('x'.repeat(TOPIC_NAME_LENGTH_MAX + 1))!, /250 characters long; the limit is 249/);
  for (const name of ['a/b', 'a b', 'ü', 'a:b', 'a*']) assert.match(topicNameProblem(name)!, /only ASCII letters/, name);
  try {
    validateTopicName('a b');
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'INVALID_TOPIC'), String(error));
    assert.match((error as Error).message, /topic name "a b" may contain only/);
  }
});

test('the pattern admits "." and "..", which only the full rule refuses', () => {
  assert.ok(TOPIC_NAME_PATTERN.test('.') && TOPIC_NAME_PATTERN.test('..'));
  assert.not.ok(isValidTopicName('.') || isValidTopicName('..'));
  assert.not.ok(TOPIC_NAME_PATTERN.test('x'.repeat(TOPIC_NAME_LENGTH_MAX + 1)));
});

test.run();

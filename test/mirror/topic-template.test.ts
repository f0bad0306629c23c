import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../shared/errors.ts';
import { checkTemplate, renderTopicName } from '../../mirror/topic-template.ts';

test('the default template puts the edge id before the topic', () => {
  assert.is(renderTopicName('{edge}.{topic}', { edge: 'pump-7', topic: 'sensors' }), 'pump-7.sensors');
  assert.is(renderTopicName('commands.{edge}', { edge: 'pump-7' }), 'commands.pump-7');
  assert.is(renderTopicName('plain', { edge: 'e', topic: 't' }), 'plain');
});

test('a rendered name that Kafka would refuse is an error naming the template and the result', () => {
  try {
    renderTopicName('{edge}/{topic}', { edge: 'a', topic: 'b' });
    assert.unreachable();
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'));
    assert.match((error as Error).message, 'gives "a/b"');
  }
  assert.throws(() => renderTopicName('{topic}', { edge: 'a' }), /\{topic\} has no value here/);
  assert.throws(() => renderTopicName(`{edge}${'x'.repeat(249)}`, { edge: 'a' }), /not a valid Kafka topic name/);
});

test('checkTemplate finds unknown placeholders, a missing {topic} and impossible names at start', () => {
  checkTemplate('{edge}.{topic}', ['edge', 'topic'], 'mirror.topics.template', ['topic']);
  assert.throws(() => checkTemplate('{edge}.{topik}', ['edge', 'topic'], 'mirror.topics.template'), /mirror\.topics\.template: unknown placeholder \{topik\}/);
  assert.throws(() => checkTemplate('{edge}.all', ['edge', 'topic'], 'mirror.topics.template', ['topic']), /must contain \{topic\}/);
  assert.throws(() => checkTemplate('{edge} {topic}', ['edge', 'topic'], 'mirror.topics.template'), /does not make a valid Kafka topic name/);
});

test.run();

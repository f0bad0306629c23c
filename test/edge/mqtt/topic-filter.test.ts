import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TopicFilter, topicFilterProblem, topicNameProblem } from '../../../edge/mqtt/topic-filter.ts';

test('topic names: not empty, no U+0000, no wildcards, bounded levels', () => {
  assert.is(topicNameProblem('sensors/dev-1/temp', 16), null);
  assert.is(topicNameProblem('/leading/and/trailing/', 16), null);
  assert.match(topicNameProblem('', 16)!, /empty/);
  assert.match(topicNameProblem('a\u0000b', 16)!, /U\+0000/);
  assert.match(topicNameProblem('a/+/b', 16)!, /wildcards/);
  assert.match(topicNameProblem('a/#', 16)!, /wildcards/);
  assert.match(topicNameProblem('a/b/c', 2)!, /more than 2 levels/);
});

test('topic filters: # alone and last, + alone in its level', () => {
  for (const valid of ['#', '+', 'a/#', 'a/+/b', '+/+', '/+', 'sport/tennis/#', '$SYS/#']) assert.is(topicFilterProblem(valid, 16), null, valid);
  for (const invalid of ['a/#/b', 'a#', '#/a', 'a/b#', 'a+', '+a', 'a/+b/c', '']) assert.ok(topicFilterProblem(invalid, 16), invalid);
  assert.match(topicFilterProblem('a/b/c', 2)!, /more than 2 levels/);
});

test('matching follows section 4.7', () => {
  const cases: Array<[string, string, boolean]> = [
    ['sport/tennis/player1/#', 'sport/tennis/player1', true], // [MQTT-4.7.1-2]
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/#', 'sport', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/uptime', false], // [MQTT-4.7.2-1]
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ];
  for (const [filter, topic, expected] of cases) assert.is(new TopicFilter(filter).matches(topic), expected, `${filter} ~ ${topic}`);
});

test.run();

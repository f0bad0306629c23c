import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteTable, compileReverseRoutes } from '../../../edge/mqtt/routes.ts';
import { isTributaryError } from '../../../shared/errors.ts';

const routes = [
  { filter: 'sensors/+/+', topic: 'sensors', key: '{1}' },
  { filter: 'sensors/#', topic: 'sensors-other', key: '{clientId}:{topic}' },
  { filter: 'alarms/#', topic: 'alarms', key: 'site-{1}-{9}' },
];

test('the first matching route wins; the default route takes the rest', () => {
  const table = new RouteTable({ routes, defaultRoute: { topic: 'mqtt', key: '{topic}' } }, 16);
  assert.equal(table.resolve('sensors/dev-17/temp', 'c1'), { topic: 'sensors', key: 'dev-17' });
  assert.equal(table.resolve('sensors/dev-17/temp/raw', 'c1'), { topic: 'sensors-other', key: 'c1:sensors/dev-17/temp/raw' });
  assert.equal(table.resolve('sensors', 'c2'), { topic: 'sensors-other', key: 'c2:sensors' });
  // A level that the topic does not have becomes empty.
  assert.equal(table.resolve('alarms/north', 'c1'), { topic: 'alarms', key: 'site-north-' });
  assert.equal(table.resolve('home/kitchen/light', 'c1'), { topic: 'mqtt', key: 'home/kitchen/light' });
  // Asked twice (the second from the cache), the answer is the same, with its own client id.
  assert.equal(table.resolve('sensors/dev-17/temp/raw', 'c9'), { topic: 'sensors-other', key: 'c9:sensors/dev-17/temp/raw' });
  assert.equal(table.logTopics.sort(), ['alarms', 'mqtt', 'sensors', 'sensors-other']);
});

test('a wildcard route does not take $ topics [MQTT-4.7.2-1]', () => {
  const table = new RouteTable({ routes: [{ filter: '#', topic: 'everything', key: '{topic}' }], defaultRoute: { topic: 'mqtt', key: '{topic}' } }, 16);
  assert.equal(table.resolve('$internal/x', 'c'), { topic: 'mqtt', key: '$internal/x' });
  assert.equal(table.resolve('a/b', 'c'), { topic: 'everything', key: 'a/b' });
});

test('"reject" as the default route refuses unrouted publishes', () => {
  const table = new RouteTable({ routes, defaultRoute: 'reject' }, 16);
  assert.is(table.resolve('home/kitchen', 'c1'), null);
  assert.ok(table.resolve('sensors/a/b', 'c1'));
});

test('configuration mistakes name the key', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ routes: [{ filter: 'a/#/b', topic: 't', key: '{topic}' }], defaultRoute: 'reject' }, /mqtt\.routes\[0\]\.filter: .*#/],
    [{ routes: [{ filter: 'a/+', topic: 't', key: '{device}' }], defaultRoute: 'reject' }, /mqtt\.routes\[0\]\.key: unknown placeholder \{device\}/],
    [{ routes: [{ filter: 'a/+', topic: 'bad topic', key: '{1}' }], defaultRoute: 'reject' }, /mqtt\.routes\[0\]\.topic/],
    [{ routes: [], defaultRoute: { topic: 'mqtt', key: '{topic' } }, /mqtt\.defaultRoute\.key: unbalanced braces/],
  ];
  for (const [config, message] of cases) {
    try {
      new RouteTable(config as never, 16);
      assert.unreachable(`accepted ${JSON.stringify(config)}`);
    } catch (error) {
      assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
      assert.match((error as Error).message, message);
    }
  }
});

test('reverse routes build the MQTT topic from the record key', () => {
  const [commands, broadcast] = compileReverseRoutes({ reverseRoutes: [
    { topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 },
    { topic: 'broadcast', mqttTopic: 'all/{topic}', qos: 0 },
  ] }, 16);
  assert.is(commands!.mqttTopic('dev-17'), 'commands/dev-17');
  assert.is(commands!.mqttTopic(null), null);
  assert.is(broadcast!.mqttTopic(null), 'all/broadcast');
  assert.throws(() => compileReverseRoutes({ reverseRoutes: [{ topic: 'c', mqttTopic: 'c/+/{key}', qos: 1 }] }, 16), /mqtt\.reverseRoutes\[0\]\.mqttTopic: .*wildcards/);
  assert.throws(() => compileReverseRoutes({ reverseRoutes: [{ topic: 'c', mqttTopic: 'a/{key}', qos: 1 }, { topic: 'c', mqttTopic: 'b/{key}', qos: 1 }] }, 16), /reverse-routed twice/);
});

test.run();

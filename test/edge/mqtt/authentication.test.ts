// MQTT user names and passwords (mqtt.authentication): CONNACK 5 for a client without a
// user name when anonymous clients are refused, CONNACK 4 for a wrong user or password,
// and the log names the user but never the password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type IClientOptions } from 'mqtt';
import { Harness } from './harness.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { filterCovers, TopicPermissions } from '../../../edge/mqtt/permissions.ts';
import { MqttUsers } from '../../../edge/mqtt/users.ts';
import { isTributaryError } from '../../../shared/errors.ts';

const PASSWORD = 'correct horse battery staple';
const WRONG_PASSWORD = 'tr0ub4dor-guess';
const passwordHash = await hashPassword(PASSWORD);

/** Connects and reports the CONNACK return code (0 when accepted). */
function connackCode(url: string, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 10_000, ...options });
  return new Promise((resolve, reject) => {
    client.once('connect', () => { client.end(true); resolve(0); });
    client.once('error', (error: Error & { code?: number }) => {
      client.end(true);
      if (typeof error.code === 'number') resolve(error.code);
      else reject(error);
    });
  });
}

test('with allowAnonymous false: no user name gets CONNACK 5, a wrong password or user CONNACK 4, the right one connects and publishes', async () => {
  const h = await Harness.start({ mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'sensor-01', passwordHash }] } } });
  try {
    assert.is(await connackCode(h.url, { clientId: 'anon' }), 5, 'no user name');
    assert.is(await connackCode(h.url, { clientId: 'guess', username: 'sensor-01', password: WRONG_PASSWORD }), 4, 'wrong password');
    assert.is(await connackCode(h.url, { clientId: 'stranger', username: 'nobody', password: PASSWORD }), 4, 'unknown user');
    assert.is(await connackCode(h.url, { clientId: 'no-password', username: 'sensor-01' }), 4, 'user name without a password');

    const device = await h.client({ clientId: 'dev-1', username: 'sensor-01', password: PASSWORD });
    await device.publishAsync('sensors/dev-1/temp', '21.5', { qos: 1 });
    const [record] = await h.waitForRecords('mqtt', 1);
    assert.is(record!.value!.toString(), '21.5');
    // Connecting again is served from the checker's memory of a good password; still right.
    assert.is(await connackCode(h.url, { clientId: 'dev-1b', username: 'sensor-01', password: PASSWORD }), 0);

    assert.is(await h.metric('tributary_mqtt_refused_connections_total', { reason: 'anonymous' }), 1);
    assert.is(await h.metric('tributary_mqtt_refused_connections_total', { reason: 'bad-credentials' }), 3);
    const refusals = h.logLines.filter((line) => /MQTT connection refused/.test(String(line.msg)));
    assert.ok(refusals.some((line) => /unknown user "nobody" or wrong password/.test(String(line.msg))), 'the log names the user');
    const logText = JSON.stringify(h.logLines);
    assert.not.ok(logText.includes(WRONG_PASSWORD) || logText.includes(PASSWORD), 'the log never holds a password');
  } finally {
    await h.cleanup();
  }
});

test('with allowAnonymous true (the default), clients without a user name connect; a listed user still needs its password', async () => {
  const h = await Harness.start({ mqtt: { authentication: { allowAnonymous: true, users: [{ username: 'ops', passwordHash }] } } });
  try {
    assert.is(await connackCode(h.url, { clientId: 'anon' }), 0);
    assert.is(await connackCode(h.url, { clientId: 'ops-1', username: 'ops', password: 'nope' }), 4);
    assert.is(await connackCode(h.url, { clientId: 'ops-2', username: 'ops', password: PASSWORD }), 0);
  } finally {
    await h.cleanup();
  }
});

test('the WebSocket listener asks for the same password', async () => {
  const h = await Harness.start({ webSocket: true, mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'browser', passwordHash }] } } });
  try {
    const url = `ws://127.0.0.1:${h.frontEnd.ports.mqttWs}`;
    assert.is(await connackCode(url, { clientId: 'ws-anon' }), 5);
    assert.is(await connackCode(url, { clientId: 'ws-user', username: 'browser', password: PASSWORD }), 0);
  } finally {
    await h.cleanup();
  }
});

test('configurations that cannot work are refused at start, naming the key', async () => {
  const cases: Array<[Parameters<typeof MqttUsers.fromConfig>[0], RegExp]> = [
    [{ allowAnonymous: false, users: [] }, /mqtt\.authentication: allowAnonymous is false and no users are listed/],
    [{ allowAnonymous: true, users: [{ username: 'a', passwordHash }, { username: 'a', passwordHash }] }, /mqtt\.authentication\.users\[1\]\.username: "a" is listed twice/],
    [{ allowAnonymous: true, users: [{ username: 'b', passwordHash: 'scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5' }] }, /users\[0\]\.passwordHash: .*N must be a power of two/],
    [{ allowAnonymous: true, users: [{ username: 'c', passwordHash, subscribe: ['commands/#/{username}'] }] }, /users\[0\]\.subscribe\[0\]: .*wildcard # must be the last/],
    [{ allowAnonymous: true, users: [{ username: 'd', passwordHash: 'scrypt$1048576$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5' }] }, /users\[0\]\.passwordHash: .*needs 1024 MiB per check, more than the 64 MiB allowed/],
  ];
  for (const [authentication, message] of cases) {
    try {
      MqttUsers.fromConfig(authentication, 16);
      assert.unreachable(`accepted ${JSON.stringify(authentication)}`);
    } catch (error) {
      assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
      assert.match((error as Error).message, message);
    }
  }
});

test('the users accept only the password that was hashed, before and after remembering it', async () => {
  const checker = MqttUsers.fromConfig({ allowAnonymous: true, users: [{ username: 'u', passwordHash }] }, 16);
  assert.is(await checker.check('u', Buffer.from('not it')), false);
  assert.is(await checker.check('u', Buffer.from(PASSWORD)), true);
  assert.is(await checker.check('u', Buffer.from(PASSWORD)), true, 'remembered');
  assert.is(await checker.check('u', Buffer.from(`${PASSWORD} `)), false, 'a near miss after a remembered success');
  assert.is(await checker.check('v', Buffer.from(PASSWORD)), false, 'another user');
});

test('a user limited to its own topics publishes and subscribes there; elsewhere it gets SUBACK 0x80, or is disconnected without an acknowledgement', async () => {
  const h = await Harness.start({
    mqtt: {
      authentication: {
        allowAnonymous: false,
        users: [{ username: 'pump-7', passwordHash, publish: ['sensors/{username}/#'], subscribe: ['commands/{username}', 'broadcast/#'] }],
      },
    },
  });
  try {
    const credentials = { username: 'pump-7', password: PASSWORD };
    const device = await h.client({ clientId: 'pump-7-a', ...credentials });
    // mqtt.js rejects when any filter is refused; the SUBACK's codes come with the error.
    const granted = await device.subscribeAsync({
      'commands/pump-7': { qos: 1 },
      'broadcast/all': { qos: 1 },
      'commands/pump-8': { qos: 1 },
      'commands/+': { qos: 1 },
      '#': { qos: 1 },
    }).then(
      (grants) => grants.map((grant) => grant.qos),
      (error: Error & { packet?: { granted: number[] } }) => error.packet?.granted ?? String(error),
    );
    assert.equal(granted, [1, 1, 128, 128, 128], 'own commands and broadcasts only');
    await device.publishAsync('sensors/pump-7/pressure', '3.1', { qos: 1 });
    assert.equal((await h.waitForRecords('mqtt', 1)).map((record) => record.value!.toString()), ['3.1']);

    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish('sensors/pump-8/pressure', 'spoofed', { qos: 1 });
    await closed;
    assert.is(await h.metric('tributary_mqtt_refused_publishes_total', { reason: 'not-authorized' }), 1);
    assert.is(await h.metric('tributary_mqtt_refused_subscriptions_total'), 3);
    assert.equal((await h.records('mqtt')).map((record) => record.value!.toString()), ['3.1'], 'the spoofed reading was not stored');

    const willRefused = await connackCode(h.url, { clientId: 'pump-7-b', ...credentials, will: { topic: 'alarms/pump-7', payload: Buffer.from('gone'), qos: 1, retain: false } });
    assert.is(willRefused, 5, 'a will outside the publish permissions is refused at CONNECT');
    const willAllowed = await connackCode(h.url, { clientId: 'pump-7-c', ...credentials, will: { topic: 'sensors/pump-7/status', payload: Buffer.from('gone'), qos: 1, retain: false } });
    assert.is(willAllowed, 0);
  } finally {
    await h.cleanup();
  }
});

test('permission filters: {username} and {clientId} fill in, a value with wildcards or slashes grants nothing, and coverage follows section 4.7', () => {
  const own = new TopicPermissions({ publish: ['sensors/{username}/#', 'status/{clientId}'], subscribe: ['commands/{username}/+'] }, { username: 'dev-1', clientId: 'c-9' });
  assert.ok(own.mayPublish('sensors/dev-1/temp'));
  assert.ok(own.mayPublish('sensors/dev-1'), '# covers its parent level');
  assert.ok(own.mayPublish('status/c-9'));
  assert.not.ok(own.mayPublish('sensors/dev-2/temp'));
  assert.ok(own.maySubscribe('commands/dev-1/valve'));
  assert.ok(own.maySubscribe('commands/dev-1/+'));
  assert.not.ok(own.maySubscribe('commands/dev-1/#'), '# reaches deeper than +');
  assert.not.ok(own.maySubscribe('commands/+/valve'));

  const sneaky = new TopicPermissions({ publish: ['sensors/{username}/#'], subscribe: ['commands/{clientId}'] }, { username: '+', clientId: '#' });
  assert.not.ok(sneaky.mayPublish('sensors/dev-1/temp'), 'a user named + is not a wildcard');
  assert.not.ok(sneaky.maySubscribe('commands/dev-1'), 'a client id # is not a wildcard');

  const unrestricted = new TopicPermissions({ publish: undefined, subscribe: ['a/#'] }, { username: 'u', clientId: 'c' });
  assert.ok(unrestricted.mayPublish('anything/at/all'), 'an unset side is not restricted');
  assert.not.ok(unrestricted.maySubscribe('b'));

  assert.ok(filterCovers('#', 'a/b/#'));
  assert.not.ok(filterCovers('#', '$SYS/broker'), 'wildcards do not reach $ topics [MQTT-4.7.2-1]');
  assert.ok(filterCovers('a/+/c', 'a/b/c'));
  assert.not.ok(filterCovers('a/+/c', 'a/b/c/d'));
  assert.not.ok(filterCovers('a/b', 'a/b/c'));
  assert.ok(filterCovers('a/b/#', 'a/b'));
});

test.run();

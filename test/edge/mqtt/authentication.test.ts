// MQTT user names and passwords (mqtt.authentication): CONNACK 5 for a client without a
// user name when anonymous clients are refused, CONNACK 4 for a wrong user or password,
// and the log names the user but never the password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type IClientOptions } from 'mqtt';
import { Harness } from './harness.ts';
import { hashPassword, PasswordChecker } from '../../../edge/mqtt/passwords.ts';
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
  const cases: Array<[Parameters<typeof PasswordChecker.fromConfig>[0], RegExp]> = [
    [{ allowAnonymous: false, users: [] }, /mqtt\.authentication: allowAnonymous is false and no users are listed/],
    [{ allowAnonymous: true, users: [{ username: 'a', passwordHash }, { username: 'a', passwordHash }] }, /mqtt\.authentication\.users\[1\]\.username: "a" is listed twice/],
    [{ allowAnonymous: true, users: [{ username: 'b', passwordHash: 'scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5' }] }, /users\[0\]\.passwordHash: .*N must be a power of two/],
  ];
  for (const [authentication, message] of cases) {
    try {
      PasswordChecker.fromConfig(authentication);
      assert.unreachable(`accepted ${JSON.stringify(authentication)}`);
    } catch (error) {
      assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
      assert.match((error as Error).message, message);
    }
  }
});

test('a password checker accepts only the password that was hashed, before and after remembering it', async () => {
  const checker = PasswordChecker.fromConfig({ allowAnonymous: true, users: [{ username: 'u', passwordHash }] });
  assert.is(await checker.check('u', Buffer.from('not it')), false);
  assert.is(await checker.check('u', Buffer.from(PASSWORD)), true);
  assert.is(await checker.check('u', Buffer.from(PASSWORD)), true, 'remembered');
  assert.is(await checker.check('u', Buffer.from(`${PASSWORD} `)), false, 'a near miss after a remembered success');
  assert.is(await checker.check('v', Buffer.from(PASSWORD)), false, 'another user');
});

test.run();

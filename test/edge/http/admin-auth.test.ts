// The admin port bound beyond the loopback interface asks for the same passwords as MQTT
// and Kafka when they ask for one; /health stays open. (The test binds 0.0.0.0 and talks to
// it over 127.0.0.1 only.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { adminAuthenticationReason, basicCredentials, isLoopbackHost } from '../../../edge/http/admin-auth.ts';
import { parseConfig } from '../../../shared/config/load.ts';
import { Daemon } from '../../helpers/daemon.ts';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('which addresses count as this device only, and when the port asks for a password', () => {
  assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('127.8.9.1') && isLoopbackHost('::1') && isLoopbackHost('localhost'));
  assert.not.ok(isLoopbackHost('0.0.0.0') || isLoopbackHost('192.168.1.10') || isLoopbackHost('::'));
  const config = (overrides: Record<string, unknown>) => parseConfig(JSON.stringify(overrides), 'test.yaml');
  assert.is(adminAuthenticationReason(config({ listeners: { http: { host: '127.0.0.1' } }, mqtt: { authentication: { allowAnonymous: false } } })), undefined, 'loopback: open as before');
  assert.is(adminAuthenticationReason(config({ listeners: { http: { host: '0.0.0.0' } } })), undefined, 'nothing else asks for a password either');
  assert.match(adminAuthenticationReason(config({ listeners: { http: { host: '0.0.0.0' } }, mqtt: { authentication: { allowAnonymous: false } } }))!, 'allowAnonymous');
  assert.equal(basicCredentials(basic('ops', 'a:b')), { username: 'ops', password: Buffer.from('a:b') });
  assert.is(basicCredentials('Bearer x'), undefined);
  assert.is(basicCredentials(`Basic ${'A'.repeat(5000)}`), undefined);
});

test('a daemon on 0.0.0.0 that refuses anonymous MQTT clients asks the console and /metrics for a user\'s password', async () => {
  const daemon = await Daemon.start({ config: {
    listeners: { http: { host: '0.0.0.0' } },
    mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'ops', passwordHash: await hashPassword('s3cret') }] } },
  } });
  try {
    const base = `http://127.0.0.1:${daemon.ports.http}`;
    assert.is((await fetch(`${base}/health`)).status, 200, '/health stays open');
    const refused = await fetch(`${base}/api/overview`);
    assert.is(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', 'Basic');
    assert.is((await fetch(`${base}/metrics`, { headers: { authorization: basic('ops', 'wrong') } })).status, 401);
    assert.is((await fetch(`${base}/metrics`, { headers: { authorization: basic('ops', 's3cret') } })).status, 200);
    assert.is((await fetch(`${base}/`, { headers: { authorization: basic('ops', 's3cret') } })).status, 200);
  } finally {
    await daemon.cleanup();
  }
});

test.run();

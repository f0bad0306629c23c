// What a reload applies and what it leaves for a restart (edge/daemon/live-reload.ts), and
// that a reload is all or nothing: one part refusing leaves every part as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../../shared/config/load.ts';
import { LiveReload, adoptLiveSettings, sectionsNeedingRestart, withLiveSettingsOf } from '../../../edge/daemon/live-reload.ts';

const config = (yaml: Record<string, unknown>) => parseConfig(JSON.stringify(yaml), 'edge.yaml');

test('live settings are taken from the new file; every other change is named as needing a restart and keeps its running value', () => {
  const running = config({ node: { id: 'edge-1' }, listeners: { mqtts: { enabled: true, certFile: '/a.pem', keyFile: '/a-key.pem', requireClientCertificate: false } } });
  const next = config({
    node: { id: 'edge-2' },
    log: { level: 'debug' },
    listeners: { mqtts: { enabled: true, certFile: '/b.pem', keyFile: '/b-key.pem', requireClientCertificate: true } },
    mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'u', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5' }] } },
    kafka: { authorization: { superUsers: ['User:admin'] } },
  });
  assert.equal(sectionsNeedingRestart(running, next), ['node', 'listeners'], 'node.id and requireClientCertificate; not the certificate paths, users or log level');
  const candidate = withLiveSettingsOf(running, next);
  assert.is(candidate.node.id, 'edge-1');
  assert.is(candidate.listeners.mqtts.requireClientCertificate, false);
  assert.is(candidate.listeners.mqtts.certFile, '/b.pem');
  assert.is(candidate.log.level, 'debug');
  assert.equal(candidate.mqtt.authentication.users.map((user) => user.username), ['u']);
  assert.equal(candidate.kafka.authorization.superUsers, ['User:admin']);
  assert.is(running.listeners.mqtts.certFile, '/a.pem', 'the running configuration is untouched');
  adoptLiveSettings(running, next);
  assert.equal(sectionsNeedingRestart(running, next), ['node', 'listeners']);
  assert.is(running.listeners.mqtts.keyFile, '/b-key.pem');
});

test('one part refusing its settings leaves every part on the running ones', () => {
  const reload = new LiveReload();
  const committed: string[] = [];
  reload.add('first', () => () => committed.push('first'));
  reload.add('refusing', () => { throw new Error('listeners.mqtts.certFile: cannot read /missing.pem'); });
  reload.add('last', () => () => committed.push('last'));
  assert.throws(() => reload.apply(config({})), /cannot read/);
  assert.equal(committed, [], 'nothing swapped in');
  const accepting = new LiveReload();
  accepting.add('first', () => () => committed.push('first'));
  accepting.add('last', () => () => ({ closedConnections: 0 }));
  assert.equal(accepting.apply(config({})), { first: 1, last: { closedConnections: 0 } });
});

test.run();

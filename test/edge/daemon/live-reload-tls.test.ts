// SIGHUP swaps the certificates of the TLS listeners without dropping a connection: new
// handshakes (openssl s_client here) get the new certificate on listeners.mqtts and
// listeners.kafkaTls, a device connected before keeps publishing on its session, and a new
// certificate that is expired or unreadable is refused in one log line naming the key and
// the file, with the running certificate and users left as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../helpers/daemon.ts';
import { makeServerCertificate, servedFingerprint } from '../../helpers/certificates.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';

/** Rewrites the daemon's YAML file with `change` applied, then sends SIGHUP. */
function reloadWith(daemon: Daemon, change: (config: Record<string, any>) => void): void {
  const config = parse(readFileSync(daemon.configPath, 'utf8'));
  change(config);
  writeFileSync(daemon.configPath, stringify(config));
  daemon.process.kill('SIGHUP');
}

/** Log lines of the reloads so far with this message. */
const count = (daemon: Daemon, message: string): number => daemon.logLines.filter((line) => line.msg === message).length;

test('a renewed certificate reaches new handshakes on both TLS listeners; a connected device keeps its connection; an expired or unreadable one is refused', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-reload-tls-'));
  const first = makeServerCertificate(directory, 'first');
  const renewed = makeServerCertificate(directory, 'renewed');
  const expired = makeServerCertificate(directory, 'expired', { expired: true });
  // The daemon reads the certificate where a renewal writes it: the same paths each time.
  const cert = join(directory, 'server.pem');
  const key = join(directory, 'server-key.pem');
  copyFileSync(first.cert, cert);
  copyFileSync(first.key, key);
  const daemon = await Daemon.start({ config: {
    listeners: {
      mqtts: { enabled: true, host: '127.0.0.1', port: 0, certFile: cert, keyFile: key },
      kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: cert, keyFile: key },
    },
    mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'dev-1', passwordHash: await hashPassword('dev-1-secret') }] } },
  } });
  const device = await mqtt.connectAsync(`mqtts://localhost:${daemon.ports.mqtts}`, { clientId: 'dev-1', username: 'dev-1', password: 'dev-1-secret', protocolVersion: 5, reconnectPeriod: 0, ca: readFileSync(first.cert) });
  let deviceClosed = false;
  device.on('close', () => { deviceClosed = true; });
  try {
    assert.is(servedFingerprint(daemon.ports.mqtts!), first.fingerprint);
    assert.is(servedFingerprint(daemon.ports.kafkaTls!), first.fingerprint);

    copyFileSync(renewed.cert, cert);
    copyFileSync(renewed.key, key);
    daemon.process.kill('SIGHUP');
    await daemon.logLine((line) => line.msg === 'SIGHUP: TLS certificates, users and permissions reloaded', 'the reload is applied');
    assert.is(servedFingerprint(daemon.ports.mqtts!), renewed.fingerprint, 'listeners.mqtts serves the renewed certificate');
    assert.is(servedFingerprint(daemon.ports.kafkaTls!), renewed.fingerprint, 'listeners.kafkaTls serves the renewed certificate');
    await device.publishAsync('sensors/dev-1/temp', '21.5', { qos: 1 });
    assert.not.ok(deviceClosed, 'the device connected over the first certificate is still connected');

    // An expired certificate: refused, naming the key and the file, and no part takes anything
    // of this file — the user added beside it cannot connect.
    reloadWith(daemon, (config) => {
      config.listeners.mqtts.certFile = expired.cert;
      config.listeners.mqtts.keyFile = expired.key;
      config.mqtt.authentication.users.push({ username: 'dev-2', passwordHash: config.mqtt.authentication.users[0].passwordHash });
    });
    const refusedExpired = await daemon.logLine((line) => typeof line.msg === 'string' && line.msg.includes('expired') && line.msg.startsWith('SIGHUP:'), 'the expired certificate is refused');
    assert.is(refusedExpired.key, 'listeners.mqtts.certFile');
    assert.ok((refusedExpired.msg as string).includes(expired.cert), `the line names the file: ${refusedExpired.msg}`);
    assert.ok((refusedExpired.msg as string).endsWith('keeping the running settings'));
    assert.is(servedFingerprint(daemon.ports.mqtts!), renewed.fingerprint, 'the running certificate stays');
    const stranger = await mqtt.connectAsync(`mqtts://localhost:${daemon.ports.mqtts}`, { clientId: 'dev-2', username: 'dev-2', password: 'dev-1-secret', protocolVersion: 5, reconnectPeriod: 0, ca: readFileSync(renewed.cert) }).then(() => 'connected', (error: Error) => error.message);
    assert.match(stranger, /Bad User Name or Password/i, 'the user added in the refused reload is not let in');

    // A key file that cannot be read: likewise.
    reloadWith(daemon, (config) => {
      config.listeners.kafkaTls.keyFile = join(directory, 'missing-key.pem');
      config.listeners.mqtts.certFile = cert;
      config.listeners.mqtts.keyFile = key;
    });
    const refusedMissing = await daemon.logLine((line) => line.key === 'listeners.kafkaTls.keyFile', 'the unreadable key is refused');
    assert.match(refusedMissing.msg as string, /cannot read .*missing-key\.pem/);
    assert.is(servedFingerprint(daemon.ports.kafkaTls!), renewed.fingerprint);
    assert.is(count(daemon, 'SIGHUP: TLS certificates, users and permissions reloaded'), 1, 'only the first reload was applied');
    assert.not.ok(deviceClosed, 'no refused reload touched the connected device');
    await device.endAsync();
    assert.equal(await daemon.stop(), { code: 0, signal: null });
  } finally {
    device.end(true);
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();

// MQTT over TLS (listeners.mqtts), started as a user starts it: devices that trust the
// broker's certificate connect; plain MQTT on the TLS port fails its handshake without
// disturbing anyone else; with requireClientCertificate only devices whose certificate the
// configured CA signed get in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY, makeClientCertificates } from '../../helpers/certificates.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';
import { tlsListen } from '../../../edge/listeners/tls-listen.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import { requireProgram } from '../../helpers/system-programs.ts';

const CERT = BROKER_CERTIFICATE;
const KEY = BROKER_KEY;

/** Connects; resolves to the connected client, or the error that ended the attempt. */
function attempt(url: string, options: IClientOptions): Promise<mqtt.MqttClient | Error> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
  return new Promise((resolveAttempt) => {
    client.once('connect', () => resolveAttempt(client));
    client.once('error', (error) => { client.end(true); resolveAttempt(error); });
    client.once('close', () => resolveAttempt(new Error('closed before CONNACK')));
  });
}

test('a device trusting the broker\'s certificate publishes over TLS; plain MQTT on the TLS port fails only its own handshake', async () => {
  const daemon = await Daemon.start({ config: { listeners: { mqtts: { enabled: true, host: '127.0.0.1', port: 0, certFile: CERT, keyFile: KEY } } } });
  try {
    const url = `mqtts://localhost:${daemon.ports.mqtts}`;
    const plain = await attempt(`mqtt://127.0.0.1:${daemon.ports.mqtts}`, { clientId: 'plain' });
    assert.ok(plain instanceof Error, 'plain MQTT gets no CONNACK from the TLS port');
    const untrusting = await attempt(url, { clientId: 'untrusting' });
    assert.ok(untrusting instanceof Error && /self[- ]signed/i.test(untrusting.message), `a device without the CA refuses the broker (${String(untrusting)})`);

    const device = await attempt(url, { clientId: 'dev-tls', ca: readFileSync(CERT) });
    assert.not.ok(device instanceof Error, String(device));
    await (device as mqtt.MqttClient).publishAsync('sensors/dev-tls/temp', '19.0', { qos: 1 });
    await (device as mqtt.MqttClient).endAsync();
    // MQTT 5 over the same TLS listener, with a User Property.
    const device5 = await attempt(url, { clientId: 'dev-tls-5', ca: readFileSync(CERT), protocolVersion: 5 });
    assert.not.ok(device5 instanceof Error, String(device5));
    await (device5 as mqtt.MqttClient).publishAsync('sensors/dev-tls-5/temp', '19.5', { qos: 1, properties: { userProperties: { unit: 'C' } } });
    await (device5 as mqtt.MqttClient).endAsync();
    const stored = await readPartition(daemon.ports.kafka!, 'mqtt', 0);
    assert.equal(stored.records.map((record) => record.value!.toString()), ['19.0', '19.5']);
    assert.equal(stored.records[1]!.headers.slice(4).map((header) => [header.key, header.value?.toString()]), [['unit', 'C']]);
    const metrics = await daemon.metrics();
    assert.ok((metricValue(metrics, 'tributary_mqtt_refused_connections_total', { reason: 'tls-handshake' }) ?? 0) >= 1, 'failed handshakes are counted');
    await daemon.logLine((line) => line.msg === 'listeners.mqtts: MQTT over TLS: handshake failed; connection closed' && line.listener === 'listeners.mqtts', 'the failed handshake is logged');
  } finally {
    await daemon.cleanup();
  }
});

test('with requireClientCertificate only a device certificate signed by caFile gets in', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-test-certs-'));
  const certificates = makeClientCertificates(directory);
  const daemon = await Daemon.start({ config: { listeners: { mqtts: { enabled: true, host: '127.0.0.1', port: 0, certFile: CERT, keyFile: KEY, caFile: certificates.ca, requireClientCertificate: true } } } });
  try {
    const url = `mqtts://localhost:${daemon.ports.mqtts}`;
    const ca = readFileSync(CERT);
    assert.ok(await attempt(url, { clientId: 'no-cert', ca }) instanceof Error, 'no certificate');
    assert.ok(await attempt(url, { clientId: 'rogue', ca, cert: readFileSync(certificates.rogueCert), key: readFileSync(certificates.rogueKey) }) instanceof Error, 'a certificate the CA did not sign');
    const device = await attempt(url, { clientId: 'device-1', ca, cert: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) });
    assert.not.ok(device instanceof Error, String(device));
    await (device as mqtt.MqttClient).endAsync();
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('settings that cannot work stop the daemon at start, naming the key', async () => {
  const failure = await Daemon.start({ config: { listeners: { mqtts: { enabled: true, port: 0 } } } }).then(
    async (daemon) => { await daemon.cleanup(); return undefined; },
    (error: Error) => error,
  );
  assert.match(String(failure?.message), /listeners\.mqtts\.certFile: required when listeners\.mqtts\.enabled is true/);

  const directory = mkdtempSync(join(tmpdir(), 'tributary-test-certs-'));
  try {
    const otherKey = join(directory, 'other-key.pem');
    execFileSync(requireProgram('openssl'), ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey], { stdio: 'pipe' });
    const garbage = join(directory, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const base = { enabled: true, host: '127.0.0.1', port: 0, certFile: CERT, keyFile: KEY, caFile: '', requireClientCertificate: false };
    const cases: Array<[typeof base, RegExp]> = [
      [{ ...base, keyFile: join(directory, 'missing.pem') }, /listeners\.mqtts\.keyFile: cannot read .*missing\.pem/],
      [{ ...base, keyFile: otherKey }, /listeners\.mqtts: the certificate files cannot be used/],
      [{ ...base, certFile: garbage }, /listeners\.mqtts: the certificate files cannot be used/],
      [{ ...base, requireClientCertificate: true }, /listeners\.mqtts\.caFile: required with requireClientCertificate/],
    ];
    for (const [settings, message] of cases) {
      try {
        tlsListen(settings, 'listeners.mqtts');
        assert.unreachable(`accepted ${JSON.stringify(settings)}`);
      } catch (error) {
        assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
        assert.match((error as Error).message, message);
      }
    }
    assert.is(tlsListen({ ...base, enabled: false }, 'listeners.mqtts'), null, 'nothing to start when not enabled');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();

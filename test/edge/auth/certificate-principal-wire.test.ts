// Client certificates naming principals over the wire, on both protocols, with the clients
// users run: mosquitto_pub and mosquitto_sub (Debian's mosquitto-clients) sign in to
// listeners.mqtts with a certificate and no user name or password, and are the user their
// subject maps to (its MQTT permissions apply); kcat (librdkafka) does the same on
// listeners.kafkaTls. A subject no kafka.authorization.principalMappingRules rule matches is
// refused on both, an expired certificate fails the handshake on both, and SIGHUP swaps the
// rules for new handshakes while an invalid rule keeps the running ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY, makeClientCertificates, makeSignedClientCertificate } from '../../helpers/certificates.ts';
import { requireProgram } from '../../helpers/system-programs.ts';
import { runMosquittoClient, startMosquittoSub, tlsArguments, type ClientTls } from '../mqtt/support/mosquitto-clients.ts';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-certificate-principal-'));
const authority = makeClientCertificates(scratch);
// RFC 2253 order, as Kafka compares it: the most specific part (CN) first.
const sensor = makeSignedClientCertificate(scratch, authority, 'sensor', '/O=Sensors/CN=device-2');
const stranger = makeSignedClientCertificate(scratch, authority, 'stranger', '/O=Other/CN=device-3');
const expired = makeSignedClientCertificate(scratch, authority, 'expired', '/O=Sensors/CN=device-4', { expired: true });
const SENSOR_RULE = 'RULE:^CN=([^,]+),O=Sensors$/$1/';

const mutualTls = { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY, caFile: authority.ca, requireClientCertificate: true };
const daemon = await Daemon.start({ config: {
  listeners: { mqtts: mutualTls, kafkaTls: mutualTls },
  kafka: { authorization: { principalMappingRules: [SENSOR_RULE] } },
  // device-2 is listed for its permissions alone: it has no password, its certificate signs it in.
  mqtt: { authentication: { allowAnonymous: false, users: [{ username: 'device-2', publish: ['sensors/{username}/#'], subscribe: ['commands/{username}', 'sensors/{username}/#'] }] } },
} });

const asSensor: ClientTls = { cafile: BROKER_CERTIFICATE, cert: sensor.cert, key: sensor.key };
const asStranger: ClientTls = { cafile: BROKER_CERTIFICATE, cert: stranger.cert, key: stranger.key };
const asExpired: ClientTls = { cafile: BROKER_CERTIFICATE, cert: expired.cert, key: expired.key };

function publish(tls: ClientTls, version: 'mqttv311' | 'mqttv5', topic: string, extra: string[] = []) {
  return runMosquittoClient('mosquitto_pub', ['-h', 'localhost', '-p', String(daemon.ports.mqtts), ...tlsArguments(tls), '-V', version, '-q', '1', '-t', topic, '-m', 'reading', ...extra]);
}

/** kcat -L over listeners.kafkaTls with `tls`'s client certificate: its exit code and what it printed. */
function kcatMetadata(tls: ClientTls): Promise<{ code: number; output: string }> {
  const args = ['-L', '-b', `localhost:${daemon.ports.kafkaTls}`, '-m', '5', '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${tls.cafile}`, '-X', `ssl.certificate.location=${tls.cert}`, '-X', `ssl.key.location=${tls.key}`];
  return new Promise((resolve) => execFile(requireProgram('kcat'), args, { timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), output: `${stdout}${stderr}` })));
}

/** Rewrites the daemon's YAML file with `change` applied, then sends SIGHUP. */
function reloadWith(change: (config: Record<string, any>) => void): void {
  const config = parse(readFileSync(daemon.configPath, 'utf8'));
  change(config);
  writeFileSync(daemon.configPath, stringify(config));
  daemon.process.kill('SIGHUP');
}

test.after(async () => {
  await daemon.stop();
  await daemon.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

test('mosquitto_pub with a client certificate and no password publishes as the user its subject names; mosquitto_sub receives it', async () => {
  const subscriber = startMosquittoSub(['-h', 'localhost', '-p', String(daemon.ports.mqtts), ...tlsArguments(asSensor), '-V', 'mqttv5', '-q', '1', '-t', 'sensors/device-2/#', '-C', '2', '-W', '20', '-v', '-i', 'device-2-reader']);
  await subscriber.subscribed;
  for (const version of ['mqttv311', 'mqttv5'] as const) {
    const run = await publish(asSensor, version, `sensors/device-2/${version}`);
    assert.is(run.code, 0, `${version}: ${run.output}`);
  }
  const received = await subscriber.exited;
  assert.is(received.code, 0, received.output);
  assert.equal(received.messages.sort(), ['sensors/device-2/mqttv311 reading', 'sensors/device-2/mqttv5 reading']);
});

test('the user\'s permissions apply to a certificate\'s principal: a publish outside them is refused (MQTT 5: PUBACK 0x87; 3.1.1: connection closed)', async () => {
  const v5 = await publish(asSensor, 'mqttv5', 'sensors/device-9/temp');
  assert.match(v5.output, /Publish 1 failed: Not authorized/);
  const v311 = await publish(asSensor, 'mqttv311', 'sensors/device-9/temp');
  assert.is(v311.code, 7, v311.output);
  assert.match(v311.output, /The connection was lost/);
});

test('a user name in the CONNECT is ignored beside a certificate, as mosquitto\'s use_identity_as_username does: the certificate names the user', async () => {
  const run = await publish(asSensor, 'mqttv5', 'sensors/device-2/temp', ['-u', 'someone-else', '-P', 'not-a-password', '-i', 'named-otherwise']);
  assert.is(run.code, 0, run.output);
  const line = await daemon.logLine((entry) => entry.msg === 'MQTT CONNECT user name ignored: the client certificate names the user' && entry.clientId === 'named-otherwise', 'the ignored user name is logged');
  assert.is(line.user, 'device-2');
  assert.is(line.ignoredUsername, 'someone-else');
});

test('a subject no mapping rule matches is refused on both protocols: MQTT 5 CONNACK 0x87, 3.1.1 CONNACK 5, Kafka closes the connection; each logged with the subject', async () => {
  const v5 = await publish(asStranger, 'mqttv5', 'sensors/device-3/temp', ['-i', 'stranger-5']);
  assert.is(v5.code, 135, v5.output);
  assert.match(v5.output, /Connection error: Not authorized/);
  const v311 = await publish(asStranger, 'mqttv311', 'sensors/device-3/temp', ['-i', 'stranger-3']);
  assert.is(v311.code, 5, v311.output);
  assert.match(v311.output, /Connection Refused: not authorised/);
  const mqttLine = await daemon.logLine((line) => line.clientId === 'stranger-5' && typeof line.msg === 'string' && line.msg.startsWith('MQTT connection refused'), 'the MQTT refusal is logged');
  assert.is(mqttLine.msg, 'MQTT connection refused: no kafka.authorization.principalMappingRules rule matches the client certificate\'s subject "CN=device-3,O=Other"');

  const kafka = await kcatMetadata(asStranger);
  assert.is.not(kafka.code, 0, kafka.output);
  assert.match(kafka.output, /Failed to acquire metadata/);
  const kafkaLine = await daemon.logLine((line) => line.subject === 'CN=device-3,O=Other' && typeof line.msg === 'string' && line.msg.startsWith('Kafka connection refused'), 'the Kafka refusal is logged');
  assert.match(kafkaLine.msg as string, /no kafka\.authorization\.principalMappingRules rule matches/);
  const sensorKafka = await kcatMetadata(asSensor);
  assert.is(sensorKafka.code, 0, `a mapped certificate still gets metadata: ${sensorKafka.output}`);
});

test('an expired client certificate fails the TLS handshake on both listeners, with the error each client reports; a valid one from the same CA still gets in', async () => {
  // Node verifies the client certificate after the handshake and closes the connection
  // without an alert, so both clients see the connection end while they read.
  const mqtt = await publish(asExpired, 'mqttv311', 'sensors/device-4/temp', ['-d']);
  assert.is(mqtt.code, 7, mqtt.output);
  assert.match(mqtt.output, /OpenSSL Error\[0\]: .*unexpected eof while reading/);
  assert.match(mqtt.output, /Error: The connection was lost/);
  assert.not.match(mqtt.output, /received CONNACK/);

  const kafka = await kcatMetadata(asExpired);
  assert.is.not(kafka.code, 0, kafka.output);
  assert.match(kafka.output, /Receive failed: .*unexpected eof while reading/);
  assert.match(kafka.output, /Failed to acquire metadata/);

  const valid = await publish(asSensor, 'mqttv311', 'sensors/device-2/temp');
  assert.is(valid.code, 0, valid.output);
});

test('SIGHUP swaps the mapping rules for new handshakes on both listeners; an invalid rule keeps the running ones, in one line naming the key', async () => {
  // A connection made under the old rules stays up across the reload.
  const resident = startMosquittoSub(['-h', 'localhost', '-p', String(daemon.ports.mqtts), ...tlsArguments(asSensor), '-V', 'mqttv5', '-t', 'sensors/device-2/resident', '-C', '1', '-W', '30', '-i', 'resident']);
  await resident.subscribed;
  const reloaded = () => daemon.logLines.filter((line) => line.msg === 'SIGHUP: TLS certificates, users and permissions reloaded').length;
  reloadWith((config) => { config.kafka.authorization.principalMappingRules = [SENSOR_RULE, 'RULE:^CN=([^,]+),O=Other$/other-$1/']; });
  await daemon.logLine((line) => line.msg === 'SIGHUP: TLS certificates, users and permissions reloaded', 'the reload is applied');
  const kafka = await kcatMetadata(asStranger);
  assert.is(kafka.code, 0, `the new rule maps the stranger's subject on Kafka: ${kafka.output}`);
  // On MQTT it is User:other-device-3 now, which allowAnonymous: false requires to be listed.
  const unlisted = await publish(asStranger, 'mqttv5', 'sensors/other-device-3/temp', ['-i', 'stranger-unlisted']);
  assert.is(unlisted.code, 135, unlisted.output);
  const unlistedLine = await daemon.logLine((line) => line.clientId === 'stranger-unlisted' && typeof line.msg === 'string' && line.msg.startsWith('MQTT connection refused'), 'the unlisted user is refused');
  assert.is(unlistedLine.msg, 'MQTT connection refused: user "other-device-3" (client certificate "CN=device-3,O=Other") is not listed in mqtt.authentication.users, and allowAnonymous is false');
  const before = reloaded();
  reloadWith((config) => { config.mqtt.authentication.users.push({ username: 'other-device-3', publish: ['sensors/{username}/#'] }); });
  await daemon.logLine(() => reloaded() > before, 'the second reload is applied');
  const mqtt = await publish(asStranger, 'mqttv5', 'sensors/other-device-3/temp', ['-i', 'stranger-after']);
  assert.is(mqtt.code, 0, `listed, User:other-device-3 publishes within its permissions: ${mqtt.output}`);

  reloadWith((config) => { config.kafka.authorization.principalMappingRules = ['RULE:^CN=([^/$1/']; });
  const refused = await daemon.logLine((line) => typeof line.msg === 'string' && line.msg.startsWith('SIGHUP:') && line.msg.includes('principalMappingRules'), 'the invalid rule is refused');
  assert.is(refused.key, 'kafka.authorization.principalMappingRules[0]');
  assert.ok((refused.msg as string).endsWith('keeping the running settings'), refused.msg as string);
  const still = await publish(asStranger, 'mqttv5', 'sensors/other-device-3/temp', ['-i', 'stranger-kept']);
  assert.is(still.code, 0, `the running rules stay: ${still.output}`);

  const reading = await publish(asSensor, 'mqttv5', 'sensors/device-2/resident');
  assert.is(reading.code, 0, reading.output);
  const residentRun = await resident.exited;
  assert.is(residentRun.code, 0, `the client connected before the reloads kept its connection: ${residentRun.output}`);
});

test.run();

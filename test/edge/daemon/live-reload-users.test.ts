// SIGHUP reloads the users of MQTT, Kafka SASL and the admin port, shown with real clients:
// a user removed from the file is disconnected on every protocol — MQTT 5 with DISCONNECT
// 0x87 (Not authorized), MQTT 3.1.1 by a closed connection, Kafka (kcat, librdkafka) by a
// closed connection, after which its authentication is refused — and refused when it comes
// back; a user who stays keeps its connections and takes its new permissions at once; the
// admin port takes the new users too, and a Kafka user with a SCRAM credential only signs in
// there with its password, checked against the StoredKey.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { requireProgram } from '../../helpers/system-programs.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';

/** How long a client may take to show what the test waits for; generous for a loaded machine. */
const CLIENT_WAIT_MS = 20_000;

/** A kcat process with what it wrote so far. */
interface Kcat { process: ChildProcess; stdout: string; stderr: string }

function kcat(port: number, user: string, password: string, args: string[]): Kcat {
  const child = spawn(requireProgram('kcat'), ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const run: Kcat = { process: child, stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => { run.stdout += chunk; });
  child.stderr!.on('data', (chunk) => { run.stderr += chunk; });
  return run;
}

/** Resolves once `check` holds, polling; fails naming `what` after CLIENT_WAIT_MS. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + CLIENT_WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${CLIENT_WAIT_MS} ms: ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

async function produce(port: number, user: string, password: string, value: string): Promise<void> {
  const producer = kcat(port, user, password, ['-P', '-t', 'events']);
  producer.process.stdin!.end(`${value}\n`);
  const [code] = await new Promise<[number | null]>((resolveExit) => producer.process.once('exit', (exitCode) => resolveExit([exitCode])));
  assert.is(code, 0, `kcat produced as ${user}: ${producer.stderr}`);
}

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

test('a removed user is disconnected on MQTT 5, MQTT 3.1.1 and Kafka and refused when it returns; a remaining user keeps its connections under its new permissions', async () => {
  const scram = async (password: string) => formatScramCredential(await makeScramCredential('sha256', password));
  const daemon = await Daemon.start({ config: {
    listeners: { http: { host: '0.0.0.0', port: 0 } },
    kafka: { sasl: { listeners: ['plain'], users: [
      { username: 'alice', scramSha256: await scram('alice-kafka') },
      { username: 'bob', scramSha256: await scram('bob-kafka') },
      { username: 'carol', scramSha512: formatScramCredential(await makeScramCredential('sha512', 'carol-kafka')) },
    ] } },
    mqtt: { authentication: { allowAnonymous: false, users: [
      { username: 'alice', passwordHash: await hashPassword('alice-mqtt') },
      { username: 'bob', passwordHash: await hashPassword('bob-mqtt'), subscribe: ['sensors/#', 'commands/bob'] },
    ] } },
  } });
  const clients: mqtt.MqttClient[] = [];
  const processes: Kcat[] = [];
  try {
    const admin = `http://127.0.0.1:${daemon.ports.http}/metrics`;
    assert.is((await fetch(admin, { headers: basic('carol', 'carol-kafka') })).status, 200, 'a SCRAM-only Kafka user signs in to the admin port');
    assert.is((await fetch(admin, { headers: basic('carol', 'wrong') })).status, 401);
    assert.is((await fetch(admin, { headers: basic('alice', 'alice-mqtt') })).status, 200);

    // Kafka: alice and bob consume with kcat; each has read the first record once it prints it.
    await produce(daemon.ports.kafka!, 'bob', 'bob-kafka', 'first');
    const aliceConsumer = kcat(daemon.ports.kafka!, 'alice', 'alice-kafka', ['-C', '-t', 'events', '-o', 'beginning', '-u']);
    const bobConsumer = kcat(daemon.ports.kafka!, 'bob', 'bob-kafka', ['-C', '-t', 'events', '-o', 'beginning', '-u']);
    processes.push(aliceConsumer, bobConsumer);
    await until(() => aliceConsumer.stdout.includes('first') && bobConsumer.stdout.includes('first'), 'both consumers read the first record');

    // MQTT: alice over 5 and 3.1.1, bob over 5 with two subscriptions.
    const url = `mqtt://127.0.0.1:${daemon.ports.mqtt}`;
    const connect = async (clientId: string, username: string, password: string, protocolVersion: 4 | 5) => {
      const client = await mqtt.connectAsync(url, { clientId, username, password, protocolVersion, reconnectPeriod: 0 });
      clients.push(client);
      return client;
    };
    const alice5 = await connect('alice-5', 'alice', 'alice-mqtt', 5);
    const alice3 = await connect('alice-3', 'alice', 'alice-mqtt', 4);
    const bob = await connect('bob-5', 'bob', 'bob-mqtt', 5);
    await bob.subscribeAsync(['sensors/#', 'commands/bob'], { qos: 1 });
    const alice5Disconnect = new Promise<number | undefined>((resolveDisconnect) => alice5.once('disconnect', (packet) => resolveDisconnect(packet.reasonCode)));
    const alice3Closed = new Promise<void>((resolveClose) => alice3.once('close', () => resolveClose()));
    let bobClosed = false;
    bob.on('close', () => { bobClosed = true; });
    const bobReceived: string[] = [];
    bob.on('message', (topic) => bobReceived.push(topic));

    // The reload: alice leaves both lists; bob may subscribe to his commands only.
    const config = parse(readFileSync(daemon.configPath, 'utf8'));
    config.kafka.sasl.users = config.kafka.sasl.users.filter((user: { username: string }) => user.username !== 'alice');
    config.mqtt.authentication.users = config.mqtt.authentication.users.filter((user: { username: string }) => user.username !== 'alice');
    config.mqtt.authentication.users[0].subscribe = ['commands/bob'];
    writeFileSync(daemon.configPath, stringify(config));
    daemon.process.kill('SIGHUP');
    const reloaded = await daemon.logLine((line) => line.msg === 'SIGHUP: TLS certificates, users and permissions reloaded', 'the reload is applied');
    assert.equal(reloaded.mqtt, { disconnected: 2, removedSubscriptions: 1 });
    assert.ok((reloaded.kafka as { closedConnections: number }).closedConnections >= 1, `alice's Kafka connections closed: ${JSON.stringify(reloaded.kafka)}`);
    await daemon.logLine((line) => line.msg === 'SIGHUP: configuration reloaded', 'nothing needs a restart');

    assert.is(await alice5Disconnect, 0x87, 'MQTT 5: DISCONNECT with Not authorized');
    await alice3Closed;
    const returning = await mqtt.connectAsync(url, { clientId: 'alice-5', username: 'alice', password: 'alice-mqtt', protocolVersion: 5, reconnectPeriod: 0 }).then(() => 'connected', (error: Error & { code?: number }) => error.code);
    assert.is(returning, 0x86, 'alice coming back gets CONNACK 0x86 (Bad User Name or Password)');

    await daemon.logLine((line) => line.reason === 'credentials-revoked' && line.user === 'alice' && line.listener === 'listeners.kafka', 'alice\'s Kafka connection is closed');
    await until(() => /Disconnected/.test(aliceConsumer.stderr), `kcat as alice sees its connection closed (stderr: ${aliceConsumer.stderr})`);
    const aliceAgain = kcat(daemon.ports.kafka!, 'alice', 'alice-kafka', ['-L', '-m', '10']);
    processes.push(aliceAgain);
    await until(() => /Authentication failed/i.test(aliceAgain.stderr), `kcat as alice reports its refused authentication (stderr: ${aliceAgain.stderr})`);
    await daemon.logLine((line) => line.user === 'alice' && typeof line.msg === 'string' && line.msg.startsWith('Kafka SASL authentication failed'), 'the broker refused alice\'s re-authentication');

    // bob: still served on both protocols, under his new permissions.
    await produce(daemon.ports.kafka!, 'bob', 'bob-kafka', 'second');
    await until(() => bobConsumer.stdout.includes('second'), 'bob\'s consumer reads the record produced after the reload');
    assert.not.ok(aliceConsumer.stdout.includes('second'), 'alice reads nothing after the reload');
    await bob.publishAsync('sensors/bob/temp', '20', { qos: 1 });
    await bob.publishAsync('commands/bob', 'reboot', { qos: 1 });
    await until(() => bobReceived.includes('commands/bob'), 'bob receives his command');
    assert.equal(bobReceived, ['commands/bob'], 'the sensors/# subscription the new permissions do not allow is gone');
    assert.not.ok(bobClosed, 'bob stayed connected');
    const refusedSubscription = await bob.subscribeAsync('sensors/#', { qos: 1 }).then(() => 'granted', (error: Error) => error.message);
    assert.match(refusedSubscription, /Not authorized/, 'subscribing again is refused under the new permissions (SUBACK 0x87)');

    assert.is((await fetch(admin, { headers: basic('alice', 'alice-mqtt') })).status, 401, 'the admin port no longer takes alice');
    assert.is((await fetch(admin, { headers: basic('bob', 'bob-mqtt') })).status, 200);
    const metrics = await (await fetch(admin, { headers: basic('bob', 'bob-mqtt') })).text();
    assert.is(metricValue(metrics, 'tributary_listener_closed_connections_total', { listener: 'mqtt', reason: 'credentials-revoked' }), 2);
    assert.ok(metricValue(metrics, 'tributary_listener_closed_connections_total', { listener: 'kafka', reason: 'credentials-revoked' })! >= 1);
  } catch (error) {
    console.error(daemon.logLines.map((line) => JSON.stringify(line)).join('\n'));
    throw error;
  } finally {
    for (const client of clients) client.end(true);
    for (const run of processes) run.process.kill('SIGTERM');
    await daemon.cleanup();
  }
});


test('kafka.authorization reloads: a user refused by allowIfNoAclFound false produces once a reload makes it a super user', async () => {
  const daemon = await Daemon.start({ config: {
    kafka: {
      sasl: { listeners: ['plain'], users: [{ username: 'bob', scramSha256: formatScramCredential(await makeScramCredential('sha256', 'bob-kafka')) }] },
      authorization: { allowIfNoAclFound: false },
    },
  } });
  try {
    const refused = kcat(daemon.ports.kafka!, 'bob', 'bob-kafka', ['-P', '-t', 'events']);
    refused.process.stdin!.end('refused\n');
    const [refusedCode] = await new Promise<[number | null]>((resolveExit) => refused.process.once('exit', (exitCode) => resolveExit([exitCode])));
    assert.is.not(refusedCode, 0, 'no ACL names the topic, and nothing is allowed without one');
    assert.match(refused.stderr, /authoriz/i, `kcat says why: ${refused.stderr}`);

    const config = parse(readFileSync(daemon.configPath, 'utf8'));
    config.kafka.authorization.superUsers = ['User:bob'];
    writeFileSync(daemon.configPath, stringify(config));
    daemon.process.kill('SIGHUP');
    await daemon.logLine((line) => line.msg === 'SIGHUP: TLS certificates, users and permissions reloaded', 'the reload is applied');
    await produce(daemon.ports.kafka!, 'bob', 'bob-kafka', 'allowed');
  } finally {
    await daemon.cleanup();
  }
});

test.run();

// SASL SCRAM-SHA-256 and SCRAM-SHA-512 on both Kafka listeners, set up as a user sets it
// up: credentials printed by `tributary config hash-password --scram-sha-256|512` and pasted
// into kafka.sasl.users beside a PLAIN user. Real clients sign in, produce and consume:
// kcat and confluent-kafka (librdkafka 2.0.2, Debian), kafka-python 2.0.2 (Debian; its SCRAM
// goes through SaslHandshake v0 and bare tokens), franz-go and Apache Kafka 4.4's Java clients. A wrong
// password, an unknown user and a mechanism the user has no credential for are refused with
// SASL_AUTHENTICATION_FAILED, the log names the user and never a password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../helpers/certificates.ts';
import { compileJava, runJava } from '../../helpers/apache-kafka.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { assertInOrderPerKey, KeyedSequence } from '../../edge/kafka/clients/support/keyed-records.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';
import { debianPythonClient, goClient, type ClientProgram, type Connection } from './support/client-program.ts';
import { kcat, run, runOk } from './support/processes.ts';
import { hashWithCli } from './support/credentials.ts';

const JAVA_PROGRAM = 'ScramClient';
/** A JVM client that has not finished by then is stuck; generous for a loaded 2-core machine. */
const JAVA_TIMEOUT_MS = 120_000;

type Mechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const PASSWORDS = { admin: 'admin-plain-secret', alice: 'alice, the = sign & "quotes"', bob: 'bob-scram-512-secret' } as const;
/** Passwords that are not the user's; the log must not hold them either. */
const GUESSES = { wrong: 'guessed-secret-7', stranger: 'strangers-secret-9' } as const;

let daemon: Daemon;

test.before(async () => {
  const [passwordHash, adminScramSha512, scramSha256, scramSha512] = await Promise.all([
    hashWithCli(PASSWORDS.admin),
    hashWithCli(PASSWORDS.admin, '--scram-sha-512'),
    hashWithCli(PASSWORDS.alice, '--scram-sha-256'),
    hashWithCli(PASSWORDS.bob, '--scram-sha-512'),
  ]);
  assert.match(scramSha256, /^scram-sha-256\$8192\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=\$[A-Za-z0-9+/]{43}=$/);
  assert.match(scramSha512, /^scram-sha-512\$8192\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==\$[A-Za-z0-9+/]{86}==$/);
  daemon = await Daemon.start({
    config: {
      listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
      kafka: {
        sasl: {
          listeners: ['plain', 'tls'],
          users: [{ username: 'admin', passwordHash, scramSha512: adminScramSha512 }, { username: 'alice', scramSha256 }, { username: 'bob', scramSha512 }],
        },
      },
      // franz-go does not ask for topics to be created; the others' appear on first use.
      topics: { overrides: { 'franz-go-scram-sha-512-plain': { partitions: 1 }, 'franz-go-scram-sha-256-tls': { partitions: 1 } } },
    },
  });
});

test.after(async () => {
  await daemon?.cleanup();
});

const onPlain = () => `127.0.0.1:${daemon.ports.kafka!}`;
const onTls = () => `127.0.0.1:${daemon.ports.kafkaTls!}`;

/** librdkafka's settings for a listener and mechanism. */
function librdkafka(tls: boolean, mechanism: Mechanism | 'PLAIN', username: string, password: string): string[] {
  return ['-X', `security.protocol=${tls ? 'sasl_ssl' : 'sasl_plaintext'}`, ...(tls ? ['-X', `ssl.ca.location=${BROKER_CERTIFICATE}`] : []), '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${username}`, '-X', `sasl.password=${password}`];
}

/** What the topic holds, read by admin with PLAIN (every listener here requires SASL). */
async function storedValues(topic: string): Promise<string[]> {
  const consumed = await run(kcat(), ['-b', onPlain(), ...librdkafka(false, 'PLAIN', 'admin', PASSWORDS.admin), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  // A refused producer never created its topic: nothing is stored.
  if (consumed.code !== 0 && /Unknown topic or partition/.test(consumed.stderr)) return [];
  assert.is(consumed.code, 0, consumed.stderr);
  return consumed.stdout.split('\n').filter((line) => line !== '');
}

/** Waits for the refusal's log line: it names the user and the reason. */
async function refusalLogged(user: string, reason: RegExp): Promise<void> {
  await daemon.logLine((line) => line.user === user && typeof line.msg === 'string' && line.msg.startsWith('Kafka SASL authentication failed') && reason.test(line.msg), `the refusal of ${user} (${reason}) is logged`);
}

test('SaslHandshake offers PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, each held by some user', async () => {
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const handshake = await connection.request(17, 1, { mechanism: 'GSSAPI' });
    assert.is(handshake.errorCode, 33, 'UNSUPPORTED_SASL_MECHANISM');
    assert.equal(handshake.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  } finally {
    await connection.close();
  }
});

test('kcat: alice with SCRAM-SHA-256 on the plain listener and bob with SCRAM-SHA-512 over TLS produce and consume; admin, with a scrypt hash and a SCRAM-SHA-512 credential, signs in with either', async () => {
  for (const [topic, tls, mechanism, user] of [['kcat-scram-256', false, 'SCRAM-SHA-256', 'alice'], ['kcat-scram-512', true, 'SCRAM-SHA-512', 'bob'], ['kcat-plain', true, 'PLAIN', 'admin'], ['kcat-admin-scram', false, 'SCRAM-SHA-512', 'admin']] as const) {
    const settings = librdkafka(tls, mechanism, user, PASSWORDS[user]);
    const bootstrap = tls ? onTls() : onPlain();
    await runOk(kcat(), ['-b', bootstrap, ...settings, '-P', '-t', topic, '-K:'], 'k0:first\nk1:second\n');
    const consumed = await runOk(kcat(), ['-b', bootstrap, ...settings, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
    assert.equal(consumed.stdout.trim().split('\n'), ['k0=first', 'k1=second'], `${mechanism} as ${user}`);
  }
  assertNoServerErrors(daemon);
});

test('kcat: a wrong password, an unknown user and a mechanism the user has no credential for are refused, and nothing is stored', async () => {
  const cases = [
    ['alice', GUESSES.wrong, 'SCRAM-SHA-256', /wrong password/],
    ['mallory', GUESSES.stranger, 'SCRAM-SHA-256', /unknown user \(no scramSha256 credential\)/],
    ['alice', PASSWORDS.alice, 'SCRAM-SHA-512', /unknown user \(no scramSha512 credential\)/],
    ['bob', GUESSES.wrong, 'SCRAM-SHA-512', /wrong password/],
  ] as const;
  for (const [index, [user, password, mechanism, reason]] of cases.entries()) {
    const topic = `kcat-scram-refused-${index}`;
    const refused = await run(kcat(), ['-b', onTls(), ...librdkafka(true, mechanism, user, password), '-P', '-t', topic, '-m', '10'], 'never stored\n');
    assert.is.not(refused.code, 0, `${user} with ${mechanism} is refused`);
    assert.match(refused.stderr, /SASL authentication error: Authentication failed: invalid username or password/, refused.stderr);
    await refusalLogged(user, reason);
    assert.not.ok((await storedValues(topic)).includes('never stored'));
  }
  const log = JSON.stringify(daemon.logLines);
  for (const secret of [...Object.values(PASSWORDS), ...Object.values(GUESSES)]) assert.not.ok(log.includes(JSON.stringify(secret).slice(1, -1)), 'the log never holds a password');
});

test('confluent-kafka (Debian): SCRAM-SHA-512 over plain TCP and SCRAM-SHA-256 over TLS produce and drain in a group; a wrong password is refused', async () => {
  const program = debianPythonClient('confluent-kafka', 'confluent_kafka', 'confluent_kafka_client.py');
  await programRoundTrips(program, 'confluent');
});

test('kafka-python 2.0.2 (Debian): SCRAM through SaslHandshake v0 and bare tokens, over plain TCP and TLS; a wrong password is refused', async () => {
  const program = debianPythonClient('kafka-python', 'kafka', 'kafka_python_client.py');
  await programRoundTrips(program, 'kafka-python');
});

test('franz-go (pkg/sasl/scram): SCRAM-SHA-512 over plain TCP and SCRAM-SHA-256 over TLS produce and drain in a group; a wrong password is refused', async () => {
  await programRoundTrips(goClient('franz-go'), 'franz-go');
});

/** A client program of the interop command line signs in with SCRAM on both listeners, produces, drains, and is refused a wrong password. */
async function programRoundTrips(program: ClientProgram, prefix: string): Promise<void> {
  const connection = (tls: boolean, mechanism: Mechanism, username: 'alice' | 'bob', password: string): Connection => ({
    bootstrap: tls ? onTls() : onPlain(), ...(tls ? { tlsCaFile: BROKER_CERTIFICATE } : {}), sasl: { username, password, mechanism },
  });
  for (const [tls, mechanism, user] of [[false, 'SCRAM-SHA-512', 'bob'], [true, 'SCRAM-SHA-256', 'alice']] as const) {
    const topic = `${prefix}-${mechanism.toLowerCase()}-${tls ? 'tls' : 'plain'}`;
    const sequence = new KeyedSequence();
    await program.produce(connection(tls, mechanism, user, PASSWORDS[user]), topic, sequence.round(user));
    assertInOrderPerKey(await program.drain(connection(tls, mechanism, user, PASSWORDS[user]), `${topic}-group`, topic), sequence.sent);
  }
  const topic = `${prefix}-scram-refused`;
  const refused = await program.tryProduce(connection(true, 'SCRAM-SHA-256', 'alice', GUESSES.wrong), topic, [{ value: 'never stored' }]);
  assert.is.not(refused.code, 0, `a wrong password is refused\n${refused.stdout}\n${refused.stderr}`);
  assert.match(`${refused.stderr}\n${refused.stdout}`, /authenticat|sasl/i, 'the client says why');
  assert.not.ok((await storedValues(topic)).includes('never stored'));
  assertNoServerErrors(daemon);
}

test('Apache Kafka 4.4 Java clients (ScramLoginModule): SCRAM-SHA-256 over TLS and SCRAM-SHA-512 over plain TCP produce and consume; a wrong password and an unknown user get SaslAuthenticationException', async () => {
  const classes = await compileJava([join(import.meta.dirname, '../apache-kafka/java', `${JAVA_PROGRAM}.java`)]);
  const scram = (topic: string, tls: boolean, mechanism: Mechanism, user: string, password: string) => runJava(JAVA_PROGRAM, [tls ? onTls() : onPlain(), topic, mechanism, user, password, ...(tls ? [BROKER_CERTIFICATE] : [])], { classpath: [classes.directory], timeoutMs: JAVA_TIMEOUT_MS });
  try {
    const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((line) => line.startsWith('{')).at(-1) ?? '{}') as Record<string, unknown>;
    for (const [topic, tls, mechanism, user] of [['java-scram-256', true, 'SCRAM-SHA-256', 'alice'], ['java-scram-512', false, 'SCRAM-SHA-512', 'bob']] as const) {
      const result = await scram(topic, tls, mechanism, user, PASSWORDS[user]);
      assert.is(result.code, 0, `${mechanism} as ${user}:\n${result.stdout}\n${result.stderr}`);
      assert.equal(lastLine(result.stdout), { event: 'consumed', values: ['java-0', 'java-1', 'java-2'] });
    }
    for (const [user, password] of [['alice', GUESSES.wrong], ['nobody', GUESSES.stranger]] as const) {
      const result = await scram(`java-scram-refused-${user}`, true, 'SCRAM-SHA-256', user, password);
      assert.is(result.code, 3, `${user} is refused:\n${result.stdout}\n${result.stderr}`);
      assert.equal(lastLine(result.stdout), { event: 'error', type: 'SaslAuthenticationException', message: 'Authentication failed: invalid username or password' });
    }
    assert.equal(await storedValues('java-scram-refused-alice'), [], 'nothing stored for a refused client');
  } finally {
    classes.remove();
  }
});

test.run();

// SCRAM users managed with Apache Kafka 4.4's own kafka-configs tool (ConfigCommand, which
// drives the Java AdminClient's alterUserScramCredentials and describeUserScramCredentials),
// signed in as the super user of kafka.sasl.users through --command-config, as the README's
// "Managing SCRAM users" section runs it. carol, added with --add-config, signs in with kcat
// (librdkafka) and produces and consumes; --describe lists her; --delete-config closes the
// connection she holds open and refuses her next sign-in; she stays gone after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { runJava } from '../../helpers/apache-kafka.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { signInScram } from '../../edge/kafka/clients/support/raw-sasl.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';
import { hashWithCli } from './support/credentials.ts';
import { kcat, run, runOk } from './support/processes.ts';

const PASSWORDS = { admin: 'admin-plain-secret', alice: 'alice-scram-256-secret', carol: 'carol-scram-secret' } as const;
/** A JVM tool that has not finished by then is stuck; generous for a loaded 2-core machine. */
const TOOL_TIMEOUT_MS = 120_000;

let daemon: Daemon;
let scratch: string;
let adminConfig: string;
const bootstrap = () => `127.0.0.1:${daemon.ports.kafka}`;

test.before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'tributary-scram-users-'));
  const [passwordHash, scramSha256] = await Promise.all([hashWithCli(PASSWORDS.admin), hashWithCli(PASSWORDS.alice, '--scram-sha-256')]);
  daemon = await Daemon.start({
    config: {
      kafka: {
        // alice keeps SCRAM-SHA-256 offered after carol's credential is gone, so carol's refusal is a refused password.
        sasl: { listeners: ['plain'], users: [{ username: 'admin', passwordHash }, { username: 'alice', scramSha256 }] },
        authorization: { superUsers: ['User:admin'] },
      },
      topics: { overrides: { 'carol-readings': { partitions: 1 } } },
    },
  });
  adminConfig = join(scratch, 'admin.properties');
  writeFileSync(adminConfig, [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=PLAIN',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${PASSWORDS.admin}";`,
  ].join('\n'));
});

test.after(async () => {
  await daemon?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function kafkaConfigs(...args: string[]): Promise<{ code: number | null; output: string }> {
  const result = await runJava('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', bootstrap(), '--command-config', adminConfig, ...args], { timeoutMs: TOOL_TIMEOUT_MS });
  return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
}

async function kafkaConfigsOk(...args: string[]): Promise<string> {
  const result = await kafkaConfigs(...args);
  assert.is(result.code, 0, `kafka-configs ${args.join(' ')}:\n${result.output}`);
  return result.output;
}

const asCarol = (mechanism: string, password: string = PASSWORDS.carol) => ['-X', 'security.protocol=sasl_plaintext', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=carol', '-X', `sasl.password=${password}`];

test('kafka-configs --add-config SCRAM-SHA-256 and SCRAM-SHA-512: carol signs in with kcat with either, produces and consumes; --describe lists her credentials', async () => {
  // One mechanism a request: Kafka 4.4's controller, as this broker, refuses a user named twice in one (DUPLICATE_RESOURCE).
  const both = await kafkaConfigs('--alter', '--add-config', `SCRAM-SHA-256=[iterations=8192,password=${PASSWORDS.carol}],SCRAM-SHA-512=[password=${PASSWORDS.carol}]`, '--entity-type', 'users', '--entity-name', 'carol');
  assert.is.not(both.code, 0, both.output);
  assert.match(both.output, /DuplicateResourceException: A user credential cannot be altered twice in the same request/);
  assert.match(await kafkaConfigsOk('--alter', '--add-config', `SCRAM-SHA-256=[iterations=8192,password=${PASSWORDS.carol}]`, '--entity-type', 'users', '--entity-name', 'carol'), /Completed updating config for user carol/);
  assert.match(await kafkaConfigsOk('--alter', '--add-config', `SCRAM-SHA-512=[password=${PASSWORDS.carol}]`, '--entity-type', 'users', '--entity-name', 'carol'), /Completed updating config for user carol/);
  const described = await kafkaConfigsOk('--describe', '--entity-type', 'users');
  assert.match(described, /SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096/);
  assert.match(described, /SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192/, 'the users of the file are listed too');

  await runOk(kcat(), ['-b', bootstrap(), ...asCarol('SCRAM-SHA-256'), '-P', '-t', 'carol-readings'], 'first\nsecond\n');
  const consumed = await runOk(kcat(), ['-b', bootstrap(), ...asCarol('SCRAM-SHA-512'), '-C', '-t', 'carol-readings', '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  assert.equal(consumed.stdout.trim().split('\n'), ['first', 'second']);
  const wrong = await run(kcat(), ['-b', bootstrap(), ...asCarol('SCRAM-SHA-256', 'guess'), '-L', '-m', '10']);
  assert.is.not(wrong.code, 0, 'a wrong password is refused');
  assert.match(wrong.stderr, /Authentication failed|SASL authentication error/i);
  assertNoServerErrors(daemon);
});

test('kafka-configs refuses too few iterations itself; the broker refuses a user of the file with its reason', async () => {
  const few = await kafkaConfigs('--alter', '--add-config', `SCRAM-SHA-256=[iterations=1000,password=${PASSWORDS.carol}]`, '--entity-type', 'users', '--entity-name', 'dave');
  assert.is.not(few.code, 0, few.output);
  assert.match(few.output, /Iterations 1000 is less than the minimum 4096 required for SCRAM-SHA-256/);
  const fileUser = await kafkaConfigs('--alter', '--add-config', 'SCRAM-SHA-256=[password=other]', '--entity-type', 'users', '--entity-name', 'alice');
  assert.is.not(fileUser.code, 0, fileUser.output);
  assert.match(fileUser.output, /User "alice" is defined in kafka\.sasl\.users of the configuration file/);
});

test('kafka-configs --delete-config closes the connection carol holds open and refuses her next sign-in, also after a restart', async () => {
  const open = await RawKafkaConnection.connect(daemon.ports.kafka!);
  await signInScram(open, 'sha256', 'carol', PASSWORDS.carol);
  assert.match(await kafkaConfigsOk('--alter', '--delete-config', 'SCRAM-SHA-256', '--entity-type', 'users', '--entity-name', 'carol'), /Completed updating config for user carol/);
  await open.closed;
  await daemon.logLine((line) => /connection closed: user "carol" was removed or its credentials changed/.test(String(line.msg)), 'the log says why carol was cut off');
  const refused = await run(kcat(), ['-b', bootstrap(), ...asCarol('SCRAM-SHA-256'), '-L', '-m', '10']);
  assert.is.not(refused.code, 0, 'carol is refused once deleted');
  assert.match(refused.stderr, /Authentication failed|SASL authentication error/i);
  assert.match(await kafkaConfigsOk('--describe', '--entity-type', 'users'), /SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-512=iterations=4096\n/);
  assert.match(await kafkaConfigsOk('--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', 'carol'), /Completed updating config for user carol/);
  assert.not.match(await kafkaConfigsOk('--describe', '--entity-type', 'users'), /carol/);

  await daemon.stop();
  daemon = await daemon.restart({ config: { kafka: { sasl: { listeners: ['plain'], users: [{ username: 'admin', passwordHash: await hashWithCli(PASSWORDS.admin) }, { username: 'alice', scramSha256: await hashWithCli(PASSWORDS.alice, '--scram-sha-256') }] }, authorization: { superUsers: ['User:admin'] } } } });
  const afterRestart = await run(kcat(), ['-b', bootstrap(), ...asCarol('SCRAM-SHA-256'), '-L', '-m', '10']);
  assert.is.not(afterRestart.code, 0, 'the deletion holds across a restart');
  assertNoServerErrors(daemon);
});

test.run();

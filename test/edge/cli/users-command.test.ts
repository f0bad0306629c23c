// `tributary users list|add|remove` against the daemon, run as an operator runs them: the
// password on standard input, the CLI signed in as an administrator of kafka.sasl.users
// through TRIBUTARY_KAFKA_SASL_USERNAME/PASSWORD. An added user signs in with SCRAM; a
// removed one cannot; every refusal is one line naming the user and the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { RawKafkaConnection } from '../kafka/clients/support/raw-kafka.ts';
import { signInScram } from '../kafka/clients/support/raw-sasl.ts';
import { lines, runCli } from './run-cli.ts';

const ADMIN = { TRIBUTARY_KAFKA_SASL_USERNAME: 'admin', TRIBUTARY_KAFKA_SASL_PASSWORD: 'admin-secret' };
const config = {
  kafka: {
    sasl: { listeners: ['plain'], users: [{ username: 'admin', passwordHash: await hashPassword('admin-secret') }, { username: 'reader', passwordHash: await hashPassword('reader-secret') }] },
    authorization: { superUsers: ['User:admin'], allowIfNoAclFound: false },
  },
};

async function scramOutcome(port: number, hash: 'sha256' | 'sha512', username: string, password: string): Promise<string> {
  const connection = await RawKafkaConnection.connect(port);
  try {
    await signInScram(connection, hash, username, password);
    return 'signed in';
  } catch (error) {
    return (error as Error).message;
  } finally {
    connection.socket.destroy();
  }
}

test('add, list and remove: the added user signs in with SCRAM, is listed with its iterations, and is refused once removed', async () => {
  const daemon = await Daemon.start({ config });
  try {
    const port = daemon.ports.kafka!;
    const bootstrap = ['--bootstrap', `127.0.0.1:${port}`];
    const added = await runCli(['users', 'add', 'carol', '--scram-sha-256', '--iterations', '4096', ...bootstrap], { stdin: 'carol-secret\n', env: ADMIN });
    assert.is(added.code, 0, added.stderr);
    assert.is(added.stdout.trim(), 'carol: SCRAM-SHA-256 credential stored (4096 iterations)');
    const second = await runCli(['users', 'add', 'carol', '--scram-sha-512', ...bootstrap], { stdin: 'carol-secret-512', env: ADMIN });
    assert.is(second.code, 0, second.stderr);
    assert.is(await scramOutcome(port, 'sha256', 'carol', 'carol-secret'), 'signed in');
    assert.is(await scramOutcome(port, 'sha512', 'carol', 'carol-secret-512'), 'signed in');

    const listed = await runCli(['users', 'list', ...bootstrap], { env: ADMIN });
    assert.is(listed.code, 0, listed.stderr);
    assert.equal(lines(listed.stdout), ['carol\tSCRAM-SHA-256 (4096 iterations), SCRAM-SHA-512 (8192 iterations)']);
    const json = await runCli(['users', 'list', '--json', ...bootstrap], { env: ADMIN });
    assert.equal(JSON.parse(json.stdout), [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }]);

    const one = await runCli(['users', 'remove', 'carol', '--mechanism', 'SCRAM-SHA-512', ...bootstrap], { env: ADMIN });
    assert.is(one.code, 0, one.stderr);
    assert.is(one.stdout.trim(), 'carol: SCRAM-SHA-512 credential removed');
    assert.is(await scramOutcome(port, 'sha256', 'carol', 'carol-secret'), 'signed in', 'the other mechanism stays');
    const all = await runCli(['users', 'remove', 'carol', ...bootstrap], { env: ADMIN });
    assert.is(all.code, 0, all.stderr);
    assert.is(all.stdout.trim(), 'carol: SCRAM-SHA-256 credential removed');
    assert.match(await scramOutcome(port, 'sha256', 'carol', 'carol-secret'), /SaslHandshake for SCRAM-SHA-256 refused/);
    assert.equal(lines((await runCli(['users', 'list', ...bootstrap], { env: ADMIN })).stdout), []);
    assert.not.ok(JSON.stringify(daemon.logLines).includes('carol-secret'), 'the password never reaches the broker');
  } finally {
    await daemon.cleanup();
  }
});

test('refusals are one line naming the user and the reason: a file user, a missing user, too few iterations, no permission, no mechanism flag', async () => {
  const daemon = await Daemon.start({ config });
  try {
    const bootstrap = ['--bootstrap', `127.0.0.1:${daemon.ports.kafka!}`];
    const fileUser = await runCli(['users', 'add', 'reader', '--scram-sha-256', ...bootstrap], { stdin: 'x', env: ADMIN });
    assert.is(fileUser.code, 1);
    assert.match(fileUser.stderr, /adding "reader" failed: the broker answered POLICY_VIOLATION: User "reader" is defined in kafka\.sasl\.users of the configuration file/);
    const missing = await runCli(['users', 'remove', 'nobody', ...bootstrap], { env: ADMIN });
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /describing "nobody" failed: the broker answered RESOURCE_NOT_FOUND: Attempt to describe a user credential that does not exist: nobody/);
    const missingMechanism = await runCli(['users', 'remove', 'nobody', '--mechanism', 'scram-sha-512', ...bootstrap], { env: ADMIN });
    assert.match(missingMechanism.stderr, /removing "nobody" failed: the broker answered RESOURCE_NOT_FOUND/);
    const few = await runCli(['users', 'add', 'dave', '--scram-sha-256', '--iterations', '1000', ...bootstrap], { stdin: 'x', env: ADMIN });
    assert.is(few.code, 1);
    assert.match(few.stderr, /--iterations must be a whole number of at least 4096, not "1000"/);
    const noFlag = await runCli(['users', 'add', 'dave', ...bootstrap], { stdin: 'x', env: ADMIN });
    assert.match(noFlag.stderr, /give one of --scram-sha-256 or --scram-sha-512/);
    const badMechanism = await runCli(['users', 'remove', 'dave', '--mechanism', 'MD5', ...bootstrap], { env: ADMIN });
    assert.match(badMechanism.stderr, /--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not "MD5"/);
    const reader = await runCli(['users', 'add', 'dave', '--scram-sha-256', ...bootstrap], { stdin: 'x', env: { TRIBUTARY_KAFKA_SASL_USERNAME: 'reader', TRIBUTARY_KAFKA_SASL_PASSWORD: 'reader-secret' } });
    assert.is(reader.code, 1);
    assert.match(reader.stderr, /adding "dave" failed: the broker answered CLUSTER_AUTHORIZATION_FAILED/);
  } finally {
    await daemon.cleanup();
  }
});

test.run();

// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) against the daemon,
// started as a user starts it, over raw connections that control every field: every error
// Kafka 4.4 answers (and the ones Tributary adds, each with a message that names the cause),
// a stored user signing in with SCRAM, its open connection closed when its credential is
// deleted or replaced, and the credential still there after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { join } from 'node:path';
import { Daemon } from '../../../helpers/daemon.ts';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { makeScramCredential, formatScramCredential, saltedPassword, type ScramHash } from '../../../../edge/auth/scram-credential.ts';
import { SCRAM_CREDENTIALS_FILE_NAME } from '../../../../edge/auth/scram-credential-store.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { signInPlain, signInScram } from './support/raw-sasl.ts';

const NONE = 0;
const CLUSTER_AUTHORIZATION_FAILED = 31;
const UNSUPPORTED_SASL_MECHANISM = 33;
const POLICY_VIOLATION = 44;
const RESOURCE_NOT_FOUND = 91;
const DUPLICATE_RESOURCE = 92;
const UNACCEPTABLE_CREDENTIAL = 93;
const SHA256 = 1;
const SHA512 = 2;

const ADMIN_PASSWORD = 'admin-secret';
const fileUsers = [
  { username: 'admin', passwordHash: await hashPassword(ADMIN_PASSWORD) },
  { username: 'reader', passwordHash: await hashPassword('reader-secret') },
  { username: 'sensor', scramSha512: formatScramCredential(await makeScramCredential('sha512', 'sensor-secret', undefined, 4096)) },
];
const config = {
  kafka: {
    sasl: { listeners: ['plain'], users: fileUsers },
    authorization: { superUsers: ['User:admin'], allowIfNoAclFound: false },
  },
};

/** An upsertion as kafka-configs makes it: a random salt and SaltedPassword := Hi(password, salt, i) (RFC 5802 §3). */
async function upsertion(name: string, hash: ScramHash, password: string, iterations = 4096) {
  const salt = Buffer.from(`salt-of-${name}-0123456789`).subarray(0, 16);
  return { name, mechanism: hash === 'sha256' ? SHA256 : SHA512, iterations, salt, saltedPassword: await saltedPassword(hash, password, salt, iterations) };
}

async function signedIn(port: number, username: string, password: string): Promise<RawKafkaConnection> {
  const connection = await RawKafkaConnection.connect(port);
  await signInPlain(connection, username, password);
  return connection;
}

async function scramSignIn(port: number, hash: ScramHash, username: string, password: string): Promise<{ connection: RawKafkaConnection; error: string | undefined }> {
  const connection = await RawKafkaConnection.connect(port);
  try {
    await signInScram(connection, hash, username, password);
    return { connection, error: undefined };
  } catch (error) {
    connection.socket.destroy();
    return { connection, error: (error as Error).message };
  }
}

function results(response: { results: Array<{ user: string; errorCode: number; errorMessage: string | null }> }): Record<string, [number, string | null]> {
  return Object.fromEntries(response.results.map((result) => [result.user, [result.errorCode, result.errorMessage]]));
}

interface Session {
  /** Replaced by a test that restarts it. */
  daemon: Daemon;
  /** The super user, signed in with PLAIN. */
  admin: RawKafkaConnection;
  /** Connections the test opened, closed at its end. */
  opened: RawKafkaConnection[];
}

/** Runs `body` against a daemon started with `config` and the admin signed in; closes every connection and the daemon after. */
function withSession(body: (session: Session) => Promise<void>): () => Promise<void> {
  return async () => {
    const daemon = await Daemon.start({ config });
    const session: Session = { daemon, admin: undefined as unknown as RawKafkaConnection, opened: [] };
    try {
      session.admin = await signedIn(daemon.ports.kafka!, 'admin', ADMIN_PASSWORD);
      session.opened.push(session.admin);
      await body(session);
    } finally {
      for (const connection of session.opened) connection.socket.destroy();
      await session.daemon.cleanup();
    }
  };
}

test('AlterUserScramCredentials stores a user who then signs in with SCRAM; a deletion refuses her and closes her open connection; Describe follows each step', withSession(async ({ daemon, admin, opened }) => {
  const port = daemon.ports.kafka!;
  const added = await admin.request(51, 0, { deletions: [], upsertions: [await upsertion('carol', 'sha256', 'carol-secret', 8192), await upsertion('dave', 'sha512', 'dave-secret')] });
  assert.equal(results(added), { carol: [NONE, null], dave: [NONE, null] });

  const described = await admin.request(50, 0, { users: null });
  assert.is(described.errorCode, NONE);
  const everyone = Object.fromEntries(described.results.map((result) => [result.user, result.credentialInfos]));
  assert.equal(everyone, {
    sensor: [{ mechanism: SHA512, iterations: 4096 }],
    carol: [{ mechanism: SHA256, iterations: 8192 }],
    dave: [{ mechanism: SHA512, iterations: 4096 }],
  }, 'every SCRAM user, from the file and from the store; PLAIN-only users hold no SCRAM credential');

  const carol = await scramSignIn(port, 'sha256', 'carol', 'carol-secret');
  opened.push(carol.connection);
  assert.is(carol.error, undefined, 'carol signs in with SCRAM-SHA-256');
  assert.is((await carol.connection.request(3, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).topics.length, 0, 'and is served');
  const wrong = await scramSignIn(port, 'sha256', 'carol', 'guess');
  assert.match(String(wrong.error), /SaslAuthenticate refused \(58\)/, 'a wrong password is refused');
  const firstSha512 = await scramSignIn(port, 'sha512', 'dave', 'dave-secret');
  opened.push(firstSha512.connection);
  assert.is(firstSha512.error, undefined, 'dave signs in with SCRAM-SHA-512');

  const deleted = await admin.request(51, 0, { deletions: [{ name: 'carol', mechanism: SHA256 }], upsertions: [] });
  assert.equal(results(deleted), { carol: [NONE, null] });
  await carol.connection.closed;
  await daemon.logLine((line) => /connection closed: user "carol" was removed or its credentials changed/.test(String(line.msg)) && /altered/.test(String(line.msg)), 'the log says why carol was cut off');
  assert.not.ok(firstSha512.connection.isClosed, 'other users keep their connections');
  const refused = await scramSignIn(port, 'sha256', 'carol', 'carol-secret');
  // She was the one SCRAM-SHA-256 user: the mechanism is no longer offered at all.
  assert.match(String(refused.error), /SaslHandshake for SCRAM-SHA-256 refused \(33\); offered: PLAIN, SCRAM-SHA-512/, 'carol is refused once deleted');

  const after = await admin.request(50, 0, { users: [{ name: 'carol' }] });
  assert.equal(results(after), { carol: [RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: carol'] });
  assert.not.ok(readFileSync(join(daemon.dataDir, 'data', SCRAM_CREDENTIALS_FILE_NAME), 'utf8').includes('dave-secret'), 'the store never holds a password');
}));

test('every refusal as Kafka 4.4 answers it, and the ones a file user and a short salt add; a request with refusals stores its valid parts', withSession(async ({ daemon, admin, opened }) => {
  const port = daemon.ports.kafka!;
  const good = await upsertion('erin', 'sha256', 'erin-secret');
  const response = await admin.request(51, 0, {
    deletions: [{ name: 'nobody', mechanism: SHA256 }, { name: 'twice', mechanism: SHA256 }, { name: 'sensor', mechanism: SHA512 }, { name: 'erin', mechanism: SHA512 }],
    upsertions: [
      good,
      { ...good, name: 'twice' },
      { ...good, name: '' },
      { ...good, name: 'few', iterations: 4095 },
      { ...good, name: 'many', iterations: 16_385 },
      { ...good, name: 'md5', mechanism: 0 },
      { ...good, name: 'three', mechanism: 3 },
      { ...good, name: 'reader' },
      { ...good, name: 'salty', salt: Buffer.alloc(7) },
      { ...good, name: 'short', saltedPassword: Buffer.alloc(31) },
      { ...good, name: 'x'.repeat(257) },
    ],
  });
  const codes = Object.fromEntries(response.results.map((result) => [result.user.length > 20 ? 'long name' : result.user, result.errorCode]));
  assert.equal(codes, {
    nobody: RESOURCE_NOT_FOUND,
    twice: DUPLICATE_RESOURCE,
    sensor: POLICY_VIOLATION,
    erin: DUPLICATE_RESOURCE,
    '': UNACCEPTABLE_CREDENTIAL,
    few: UNACCEPTABLE_CREDENTIAL,
    many: UNACCEPTABLE_CREDENTIAL,
    md5: UNSUPPORTED_SASL_MECHANISM,
    three: UNSUPPORTED_SASL_MECHANISM,
    reader: POLICY_VIOLATION,
    salty: UNACCEPTABLE_CREDENTIAL,
    short: UNACCEPTABLE_CREDENTIAL,
    'long name': UNACCEPTABLE_CREDENTIAL,
  });
  const messages = results(response);
  assert.match(String(messages.few![1]), /Too few iterations: 4095, the least is 4096/);
  assert.match(String(messages.many![1]), /Too many iterations: 16385, the most is 16384/);
  assert.match(String(messages.sensor![1]), /"sensor" is defined in kafka\.sasl\.users of the configuration file/);
  assert.match(String(messages.salty![1]), /salt must be at least 8 bytes, not 7/);
  assert.match(String(messages.short![1]), /salted password must be 32 bytes for SCRAM-SHA-256, not 31/);
  assert.match(String(messages['']![1]), /Username must not be empty/);

  // Nothing of a request with only refusals is stored; a valid part beside refusals is.
  const mixed = await admin.request(51, 0, { deletions: [{ name: 'nobody', mechanism: SHA256 }], upsertions: [await upsertion('frank', 'sha512', 'frank-secret')] });
  assert.equal(results(mixed), { nobody: [RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'], frank: [NONE, null] });
  const described = await admin.request(50, 0, { users: [{ name: 'frank' }, { name: 'erin' }, { name: 'twice' }, { name: 'twice' }, { name: 'reader' }] });
  assert.equal(results(described), {
    frank: [NONE, null],
    erin: [RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: erin'],
    twice: [DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: twice'],
    reader: [RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: reader'],
  });

  // Without ALTER or DESCRIBE on the cluster: CLUSTER_AUTHORIZATION_FAILED, nothing changes.
  const reader = await signedIn(port, 'reader', 'reader-secret');
  opened.push(reader);
  assert.equal(results(await reader.request(51, 0, { deletions: [{ name: 'frank', mechanism: SHA512 }], upsertions: [] })), { frank: [CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.'] });
  assert.is((await reader.request(50, 0, { users: null })).errorCode, CLUSTER_AUTHORIZATION_FAILED);
  assert.equal((await admin.request(50, 0, { users: [{ name: 'frank' }] })).results[0]!.credentialInfos, [{ mechanism: SHA512, iterations: 4096 }]);
}));

test('a replaced credential closes the connections signed in with the old one; the new one holds across a restart, and a file user of the same name wins after a reload', withSession(async (session) => {
  const { admin, opened } = session;
  let { daemon } = session;
  assert.equal(results(await admin.request(51, 0, { deletions: [], upsertions: [await upsertion('gina', 'sha256', 'first')] })), { gina: [NONE, null] });
  const old = await scramSignIn(daemon.ports.kafka!, 'sha256', 'gina', 'first');
  opened.push(old.connection);
  assert.is(old.error, undefined);
  assert.equal(results(await admin.request(51, 0, { deletions: [], upsertions: [await upsertion('gina', 'sha256', 'second', 5000)] })), { gina: [NONE, null] });
  await old.connection.closed;
  assert.match(String((await scramSignIn(daemon.ports.kafka!, 'sha256', 'gina', 'first')).error), /refused \(58\)/, 'the old password no longer holds');

  await daemon.stop();
  daemon = session.daemon = await daemon.restart({ config });
  const again = await scramSignIn(daemon.ports.kafka!, 'sha256', 'gina', 'second');
  opened.push(again.connection);
  assert.is(again.error, undefined, 'the stored credential survives a restart');
  const adminAgain = await signedIn(daemon.ports.kafka!, 'admin', ADMIN_PASSWORD);
  opened.push(adminAgain);
  assert.equal((await adminAgain.request(50, 0, { users: [{ name: 'gina' }] })).results[0]!.credentialInfos, [{ mechanism: SHA256, iterations: 5000 }]);

  // The operator gives gina a credential in the file: the file's wins, her stored one stops
  // holding, her connection is closed, and the API may no longer change her.
  const file = parseYaml(readFileSync(daemon.configPath, 'utf8')) as { kafka: { sasl: { users: unknown[] } } };
  file.kafka.sasl.users.push({ username: 'gina', scramSha256: formatScramCredential(await makeScramCredential('sha256', 'from-file', undefined, 4096)) });
  writeFileSync(daemon.configPath, stringifyYaml(file));
  daemon.process.kill('SIGHUP');
  await again.connection.closed;
  await daemon.logLine((line) => /connection closed: user "gina" was removed or its credentials changed \(kafka\.sasl\.users, reloaded\)/.test(String(line.msg)), 'the reload closes her connection');
  const fromFile = await scramSignIn(daemon.ports.kafka!, 'sha256', 'gina', 'from-file');
  opened.push(fromFile.connection);
  assert.is(fromFile.error, undefined, 'the file\'s credential holds');
  assert.match(String((await scramSignIn(daemon.ports.kafka!, 'sha256', 'gina', 'second')).error), /refused \(58\)/, 'the stored one does not');
  assert.equal(results(await adminAgain.request(51, 0, { deletions: [{ name: 'gina', mechanism: SHA256 }], upsertions: [] })), {
    gina: [POLICY_VIOLATION, 'User "gina" is defined in kafka.sasl.users of the configuration file, which wins over credentials stored by this API; change it there and reload'],
  });
  assert.equal((await adminAgain.request(50, 0, { users: [{ name: 'gina' }] })).results[0]!.credentialInfos, [{ mechanism: SHA256, iterations: 4096 }], 'Describe shows the credential that holds');
}));

test.run();

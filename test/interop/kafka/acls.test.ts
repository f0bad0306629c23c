// Kafka ACLs set up as the README's security section sets them up, with the configuration
// of kafka.sasl and kafka.authorization as a user writes it (admin with PLAIN, alice with
// SCRAM-SHA-256, bob with SCRAM-SHA-512, admin the only super user, nothing allowed
// without an ACL), managed by real clients: kafka-python 2.0.2's create_acls and
// describe_acls (Debian, /usr/bin/python3) and Apache Kafka 4.4's kafka-acls tool (which
// drives the Java AdminClient). Until admin creates ACLs nobody else may do anything;
// then alice produces, and bob, a read-only dashboard user, consumes and may not produce.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { runJava } from '../../helpers/apache-kafka.ts';
import { requirePythonModule } from '../../helpers/system-programs.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { signInPlain } from '../../edge/kafka/clients/support/raw-sasl.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';
import { hashWithCli } from './support/credentials.ts';
import { runOk } from './support/processes.ts';

const PASSWORDS = { admin: 'admin-plain-secret', alice: 'alice-scram-256-secret', bob: 'bob-scram-512-secret' } as const;
const SCRIPT = join(import.meta.dirname, 'python', 'kafka_python_acls.py');
/** A JVM tool that has not finished by then is stuck; generous for a loaded 2-core machine. */
const TOOL_TIMEOUT_MS = 120_000;

let daemon: Daemon;
let scratch: string;
const bootstrap = () => `127.0.0.1:${daemon.ports.kafka}`;

test.before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'tributary-acls-'));
  const [passwordHash, scramSha256, scramSha512] = await Promise.all([
    hashWithCli(PASSWORDS.admin),
    hashWithCli(PASSWORDS.alice, '--scram-sha-256'),
    hashWithCli(PASSWORDS.bob, '--scram-sha-512'),
  ]);
  daemon = await Daemon.start({
    config: {
      kafka: {
        sasl: { listeners: ['plain'], users: [{ username: 'admin', passwordHash }, { username: 'alice', scramSha256 }, { username: 'bob', scramSha512 }] },
        authorization: { superUsers: ['User:admin'], allowIfNoAclFound: false },
      },
      topics: { overrides: { readings: { partitions: 1 }, 'sensors.temperature': { partitions: 1 } } },
    },
  });
});

test.after(async () => {
  await daemon?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

type User = keyof typeof PASSWORDS;
const MECHANISMS: Record<User, string> = { admin: 'PLAIN', alice: 'SCRAM-SHA-256', bob: 'SCRAM-SHA-512' };

/** One kafka-python action as `user`; its JSON outcome. */
async function kafkaPython(user: User, action: string, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await runOk(requirePythonModule('kafka'), [SCRIPT, bootstrap(), user, MECHANISMS[user], PASSWORDS[user], action, ...args]);
  const line = result.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as Record<string, unknown>;
}

test('kafka-python: only the super user may act until it creates ACLs with create_acls; then alice produces and bob reads but may not produce', async () => {
  // kafka-python 2.0.2 asks for the topic's metadata until its max_block_ms when the answer
  // is TOPIC_AUTHORIZATION_FAILED (as Kafka answers it), then reports a timeout; the log
  // shows the refusal it was given.
  assert.equal(await kafkaPython('alice', 'produce', 'readings', 'before'), { produced: false, error: 'KafkaTimeoutError' }, 'no ACL, allowIfNoAclFound false: alice may not produce');
  await daemon.logLine((line) => line.msg === 'Kafka request denied: User:alice may not DESCRIBE TOPIC "readings"' && line.api === 'Metadata', 'alice was refused the topic');
  assert.equal(await kafkaPython('bob', 'describe-acls'), { error: 'ClusterAuthorizationFailedError', acls: [] }, 'nor may bob read the ACLs');

  assert.equal(await kafkaPython('admin', 'create-acls', 'User:alice:WRITE:TOPIC:readings', 'User:bob:READ:TOPIC:readings', 'User:bob:READ:GROUP:dashboard'), { created: 3, failed: [] });
  assert.equal(await kafkaPython('admin', 'describe-acls'), { error: null, acls: ['User:alice WRITE TOPIC:readings', 'User:bob READ GROUP:dashboard', 'User:bob READ TOPIC:readings'] });

  const produced = await kafkaPython('alice', 'produce', 'readings', '21.5');
  assert.is(produced.produced, true, JSON.stringify(produced));
  assert.equal(await kafkaPython('bob', 'consume', 'readings', 'dashboard'), { consumed: ['21.5'] }, 'bob reads with his group');
  assert.equal(await kafkaPython('bob', 'produce', 'readings', 'tampered'), { produced: false, error: 'TopicAuthorizationFailedError' }, 'the dashboard user is read-only');
  await daemon.logLine((line) => line.msg === 'Kafka request denied: User:bob may not WRITE TOPIC "readings"', 'the denial is logged with the principal');
  assertNoServerErrors(daemon);
});

test('kafka-acls (Apache Kafka 4.4, through the AdminClient): --add with a prefixed pattern, --list, --remove, each read back over the wire', async () => {
  const adminConfig = join(scratch, 'admin.properties');
  writeFileSync(adminConfig, [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=PLAIN',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${PASSWORDS.admin}";`,
  ].join('\n'));
  const acls = async (...args: string[]) => {
    const result = await runJava('org.apache.kafka.tools.AclCommand', ['--bootstrap-server', bootstrap(), '--command-config', adminConfig, ...args], { timeoutMs: TOOL_TIMEOUT_MS });
    assert.is(result.code, 0, `kafka-acls ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  await acls('--add', '--allow-principal', 'User:carol', '--operation', 'Read', '--operation', 'Describe', '--topic', 'sensors.', '--resource-pattern-type', 'prefixed');
  const listed = await acls('--list', '--topic', 'sensors.', '--resource-pattern-type', 'prefixed');
  assert.match(listed, /ResourcePattern\(resourceType=TOPIC, name=sensors\., patternType=PREFIXED\)/);
  assert.match(listed, /principal=User:carol, host=\*, operation=READ, permissionType=ALLOW/);
  assert.match(listed, /principal=User:carol, host=\*, operation=DESCRIBE, permissionType=ALLOW/);

  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  await signInPlain(connection, 'admin', PASSWORDS.admin);
  const carolsAcls = async () => (await connection.request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:carol', hostFilter: null, operation: 1, permissionType: 1 })).resources;
  assert.equal((await carolsAcls()).map((resource) => [resource.resourceName, resource.patternType, resource.acls.length]), [['sensors.', 4, 2]], 'the edge holds what kafka-acls added');

  await acls('--remove', '--force', '--allow-principal', 'User:carol', '--operation', 'Read', '--topic', 'sensors.', '--resource-pattern-type', 'prefixed');
  assert.equal((await carolsAcls()).flatMap((resource) => resource.acls.map((acl) => acl.operation)), [8], 'only DESCRIBE is left');
  await connection.close();
  assertNoServerErrors(daemon);
});

test.run();

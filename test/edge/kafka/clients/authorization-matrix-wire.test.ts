// The permissions matrix: every Kafka API this broker serves, asked by every kind of
// principal (anonymous on a listener without SASL, a PLAIN user and a SCRAM-SHA-256 user on
// SASL over TLS, a client certificate on mutual TLS naming its principal), first with no ACL for it (allowIfNoAclFound is false) and then with
// exactly the ACLs Kafka requires, created and removed through CreateAcls and DeleteAcls by
// the super user. The expectations come from the table in support/authorization-table.ts;
// the daemon is started as a user starts it and spoken to over the wire.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY, makeClientCertificates } from '../../../helpers/certificates.ts';
import { hashPassword } from '../../../../edge/auth/password-hash.ts';
import { formatScramCredential, makeScramCredential } from '../../../../edge/auth/scram-credential.ts';
import { AclOperation, PatternType, PermissionType, ResourceType } from '../../../../edge/auth/acls/acl.ts';
import { SUPPORTED_APIS } from '../../../../shared/kafka/apis/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { signInPlain, signInScram } from './support/raw-sasl.ts';
import { MATRIX, namesOf, type MatrixRow, type Names } from './support/authorization-table.ts';

const PASSWORDS = { admin: 'admin-secret', pat: 'pat-secret', sam: 'sam-secret' };
const CA = readFileSync(BROKER_CERTIFICATE);

const scratch = mkdtempSync(join(tmpdir(), 'tributary-matrix-'));
const certificates = makeClientCertificates(scratch);
const users = [
  { username: 'admin', passwordHash: await hashPassword(PASSWORDS.admin) },
  { username: 'pat', passwordHash: await hashPassword(PASSWORDS.pat) },
  { username: 'sam', scramSha256: formatScramCredential(await makeScramCredential('sha256', PASSWORDS.sam)) },
];
const authorization = { superUsers: ['User:admin'], allowIfNoAclFound: false, principalMappingRules: ['RULE:^CN=([^,]+),.*$/$1/L', 'RULE:^CN=([^,]+)$/$1/L'] };
const tlsListener = { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY };
// SASL over TLS, and an anonymous plain listener.
const daemon = await Daemon.start({ config: { listeners: { kafkaTls: tlsListener }, kafka: { sasl: { listeners: ['tls'], users }, authorization } } });
// Mutual TLS without SASL, where a client certificate names the principal; SASL on the plain listener for the super user.
const mutualTlsDaemon = await Daemon.start({
  config: { listeners: { kafkaTls: { ...tlsListener, caFile: certificates.ca, requireClientCertificate: true } }, kafka: { sasl: { listeners: ['plain'], users }, authorization } },
});
test.after(async () => {
  await Promise.all([daemon.cleanup(), mutualTlsDaemon.cleanup()]);
  rmSync(scratch, { recursive: true, force: true });
});

interface PrincipalKind {
  kind: string;
  principal: string;
  /** The super user's connection to the broker this kind is asked on. */
  admin: RawKafkaConnection;
  connect(): Promise<RawKafkaConnection>;
}

async function overTls(port: number, certificate?: { certificate: Buffer; key: Buffer }): Promise<RawKafkaConnection> {
  return RawKafkaConnection.connectTls(port, { ca: CA, ...certificate });
}

async function signedIn(connection: Promise<RawKafkaConnection>, sign: (connection: RawKafkaConnection) => Promise<void>): Promise<RawKafkaConnection> {
  const opened = await connection;
  await sign(opened);
  return opened;
}

const admin = await signedIn(overTls(daemon.ports.kafkaTls!), (connection) => signInPlain(connection, 'admin', PASSWORDS.admin));
const mutualTlsAdmin = await signedIn(RawKafkaConnection.connect(mutualTlsDaemon.ports.kafka!), (connection) => signInPlain(connection, 'admin', PASSWORDS.admin));
const deviceCertificate = { certificate: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) };

const KINDS: PrincipalKind[] = [
  { kind: 'anonymous', principal: 'User:ANONYMOUS', admin, connect: () => RawKafkaConnection.connect(daemon.ports.kafka!) },
  { kind: 'plain', principal: 'User:pat', admin, connect: () => signedIn(overTls(daemon.ports.kafkaTls!), (connection) => signInPlain(connection, 'pat', PASSWORDS.pat)) },
  { kind: 'scram', principal: 'User:sam', admin, connect: () => signedIn(overTls(daemon.ports.kafkaTls!), (connection) => signInScram(connection, 'sha256', 'sam', PASSWORDS.sam)) },
  // CN=device-1 through the first mapping rule that matches.
  { kind: 'certificate', principal: 'User:device-1', admin: mutualTlsAdmin, connect: () => overTls(mutualTlsDaemon.ports.kafkaTls!, deviceCertificate) },
];

/** Topics and groups of one principal kind, made by the super user. */
async function prepare(admin: RawKafkaConnection, names: Names): Promise<void> {
  const created = await admin.request(19, 5, { topics: [names.topic, names.doomedTopic].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics.map((topic) => topic.errorCode), [0, 0], 'the super user creates topics');
  const produced = await admin.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: names.topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] }) }] }] });
  assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
  for (const groupId of [names.group, names.offsetsGroup, names.doomedGroup]) {
    const committed = await admin.request(8, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.is(committed.topics[0]!.partitions[0]!.errorCode, 0);
  }
}

async function grant(admin: RawKafkaConnection, row: MatrixRow, principal: string, names: Names): Promise<void> {
  if (row.needs.length === 0) return;
  const response = await admin.request(30, 3, {
    creations: row.needs.map((need) => ({ resourceType: need.resourceType, resourceName: need.resourceName(names), resourcePatternType: PatternType.LITERAL, principal, host: '*', operation: need.operation, permissionType: PermissionType.ALLOW })),
  });
  assert.equal(response.results.map((result) => result.errorCode), row.needs.map(() => 0), 'CreateAcls by the super user');
}

async function revoke(admin: RawKafkaConnection, principal: string): Promise<void> {
  const response = await admin.request(31, 3, { filters: [{ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: principal, hostFilter: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY }] });
  assert.is(response.filterResults[0]!.errorCode, 0);
}

const expected = (value: MatrixRow['allowed'], kind: string) => (typeof value === 'function' ? value(kind) : value);
const rowName = (row: MatrixRow) => `${SUPPORTED_APIS.find((api) => api.apiKey === row.apiKey)!.name} v${row.version}${row.label ? ` (${row.label})` : ''}`;

test('the table covers every API the broker serves', () => {
  const covered = new Set(MATRIX.map((row) => row.apiKey));
  assert.equal(SUPPORTED_APIS.filter((api) => !covered.has(api.apiKey as never)).map((api) => api.name), []);
  for (const row of MATRIX) assert.ok(row.needs.length > 0 || expected(row.allowed, 'anonymous') === expected(row.denied, 'anonymous'), `${rowName(row)}: an open API answers the same either way`);
});

for (const { kind, principal, admin: superUser, connect } of KINDS) {
  test(`${kind} (${principal}): every API answers as Kafka does without the ACLs it needs and with them`, async () => {
    const names = namesOf(kind);
    await prepare(superUser, names);
    let connection = await connect();
    const answers: string[] = [];
    const wanted: string[] = [];
    try {
      for (const row of MATRIX) {
        // A connection the broker closed is an answer too (the one that must never come): it is recorded and replaced.
        const ask = async () => {
          try {
            return String(row.outcome(await connection.request(row.apiKey, row.version, row.request(names) as never) as never, names));
          } catch (error) {
            const reason = daemon.logLines.findLast((line) => line.msg === 'closing Kafka connection')?.reason;
            connection = await connect();
            return `failed: ${(error as Error).message} (${String(reason)})`;
          }
        };
        answers.push(`${rowName(row)} denied: ${await ask()}`);
        wanted.push(`${rowName(row)} denied: ${expected(row.denied, kind)}`);
        await grant(superUser, row, principal, names);
        answers.push(`${rowName(row)} allowed: ${await ask()}`);
        wanted.push(`${rowName(row)} allowed: ${expected(row.allowed, kind)}`);
        await revoke(superUser, principal);
      }
    } finally {
      await connection.close();
    }
    assert.equal(answers, wanted);
  });
}

test('a topic produced to is created only for a principal that may create it (kafka.autoCreateTopics); without CREATE it is unknown, as in Kafka', async () => {
  const connection = await KINDS[1]!.connect();
  const produce = async () => (await connection.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'auto.made', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: 'v' }] }) }] }] })).responses[0]!.partitionResponses[0]!.errorCode;
  const acl = (operation: number) => ({ resourceType: ResourceType.TOPIC, resourceName: 'auto.', resourcePatternType: PatternType.PREFIXED, principal: 'User:pat', host: '*', operation, permissionType: PermissionType.ALLOW });
  try {
    await admin.request(30, 3, { creations: [acl(AclOperation.WRITE)] });
    assert.is(await produce(), 3, 'UNKNOWN_TOPIC_OR_PARTITION without CREATE');
    const metadata = await admin.request(3, 12, { topics: [{ name: 'auto.made', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.is(metadata.topics[0]!.errorCode, 3, 'and the topic was not created');
    await admin.request(30, 3, { creations: [acl(AclOperation.CREATE)] });
    assert.is(await produce(), 0, 'created and written with CREATE and WRITE');
  } finally {
    await revoke(admin, 'User:pat');
    await connection.close();
  }
});

test('denials are logged with the principal and counted by API', async () => {
  await daemon.logLine((line) => line.msg === 'Kafka request denied: User:sam may not WRITE TOPIC "scram.data"' && line.principal === 'User:sam' && line.api === 'Produce', 'a denied produce logged with its principal');
  const metrics = await (await fetch(`http://127.0.0.1:${daemon.ports.http}/metrics`)).text();
  assert.match(metrics, /tributary_kafka_authorization_denied_total\{api="Produce",resource_type="TOPIC",operation="WRITE"\} [3-9]/);
});

test.run();

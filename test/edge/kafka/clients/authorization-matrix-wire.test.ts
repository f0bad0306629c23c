// The permissions matrix: every Kafka API this broker serves, asked by every kind of
// principal (anonymous on a listener without SASL, a PLAIN user and a SCRAM-SHA-256 user on
// SASL over TLS), first with no ACL for it (allowIfNoAclFound is false) and then with
// exactly the ACLs Kafka requires, created and removed through CreateAcls and DeleteAcls by
// the super user. The expectations come from the table in support/authorization-table.ts;
// the daemon is started as a user starts it and spoken to over the wire.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Daemon } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../../helpers/certificates.ts';
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

const daemon = await Daemon.start({
  config: {
    listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
    kafka: {
      autoCreateTopics: false,
      sasl: {
        listeners: ['tls'],
        users: [
          { username: 'admin', passwordHash: await hashPassword(PASSWORDS.admin) },
          { username: 'pat', passwordHash: await hashPassword(PASSWORDS.pat) },
          { username: 'sam', scramSha256: formatScramCredential(await makeScramCredential('sha256', PASSWORDS.sam)) },
        ],
      },
      authorization: { superUsers: ['User:admin'], allowIfNoAclFound: false },
    },
  },
});
test.after(async () => { await daemon.cleanup(); });

interface PrincipalKind {
  kind: string;
  principal: string;
  connect(): Promise<RawKafkaConnection>;
}

async function overTls(): Promise<RawKafkaConnection> {
  return RawKafkaConnection.connectTls(daemon.ports.kafkaTls!, { ca: CA });
}

const KINDS: PrincipalKind[] = [
  { kind: 'anonymous', principal: 'User:ANONYMOUS', connect: () => RawKafkaConnection.connect(daemon.ports.kafka!) },
  { kind: 'plain', principal: 'User:pat', connect: async () => { const connection = await overTls(); await signInPlain(connection, 'pat', PASSWORDS.pat); return connection; } },
  { kind: 'scram', principal: 'User:sam', connect: async () => { const connection = await overTls(); await signInScram(connection, 'sha256', 'sam', PASSWORDS.sam); return connection; } },
];

const admin = await overTls();
await signInPlain(admin, 'admin', PASSWORDS.admin);

/** Topics and groups of one principal kind, made by the super user. */
async function prepare(names: Names): Promise<void> {
  const created = await admin.request(19, 5, { topics: [names.topic, names.doomedTopic].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics.map((topic) => topic.errorCode), [0, 0], 'the super user creates topics');
  const produced = await admin.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: names.topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] }) }] }] });
  assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
  for (const groupId of [names.group, names.offsetsGroup, names.doomedGroup]) {
    const committed = await admin.request(8, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.is(committed.topics[0]!.partitions[0]!.errorCode, 0);
  }
}

async function grant(row: MatrixRow, principal: string, names: Names): Promise<void> {
  if (row.needs.length === 0) return;
  const response = await admin.request(30, 3, {
    creations: row.needs.map((need) => ({ resourceType: need.resourceType, resourceName: need.resourceName(names), resourcePatternType: PatternType.LITERAL, principal, host: '*', operation: need.operation, permissionType: PermissionType.ALLOW })),
  });
  assert.equal(response.results.map((result) => result.errorCode), row.needs.map(() => 0), 'CreateAcls by the super user');
}

async function revoke(principal: string): Promise<void> {
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

for (const { kind, principal, connect } of KINDS) {
  test(`${kind} (${principal}): every API answers as Kafka does without the ACLs it needs and with them`, async () => {
    const names = namesOf(kind);
    await prepare(names);
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
        await grant(row, principal, names);
        answers.push(`${rowName(row)} allowed: ${await ask()}`);
        wanted.push(`${rowName(row)} allowed: ${expected(row.allowed, kind)}`);
        await revoke(principal);
      }
    } finally {
      await connection.close();
    }
    assert.equal(answers, wanted);
  });
}

test('denials are logged with the principal and counted by API', async () => {
  await daemon.logLine((line) => line.msg === 'Kafka request denied: User:sam may not WRITE TOPIC "scram.data"' && line.principal === 'User:sam' && line.api === 'Produce', 'a denied produce logged with its principal');
  const metrics = await (await fetch(`http://127.0.0.1:${daemon.ports.http}/metrics`)).text();
  assert.match(metrics, /tributary_kafka_authorization_denied_total\{api="Produce",resource_type="TOPIC",operation="WRITE"\} [3-9]/);
});

test.run();

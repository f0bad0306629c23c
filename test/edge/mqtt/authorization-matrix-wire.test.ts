// The MQTT half of the permissions matrix, over the wire with a real daemon and MQTT.js: for
// publish, subscribe and the will, every principal kind (anonymous, a password, SCRAM over MQTT
// 5 enhanced authentication, a client certificate on mutual TLS), allowed and denied, in MQTT 5
// and 3.1.1, and in both permission forms (each user's YAML filters, and the Kafka ACLs of its
// principal with mqtt.permissions: acls, created with CreateAcls by a Kafka super user). Each
// row's answer is asserted exactly (support/mqtt-authorization-table.ts); a check first makes
// sure the table has a row for every combination a form can express.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Daemon } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY, makeClientCertificates } from '../../helpers/certificates.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';
import { AclOperation, PatternType, PermissionType, ResourceType } from '../../../edge/auth/acls/acl.ts';
import { RawKafkaConnection } from '../kafka/clients/support/raw-kafka.ts';
import { signInPlain } from '../kafka/clients/support/raw-sasl.ts';
import { ScramClient } from './support/scram-client.ts';
import { FORMS, INEXPRESSIBLE, KINDS, OPERATIONS, USER_OF, allowedPrefix, deniedPrefix, matrixRows, type Form, type Kind, type MatrixRow } from './support/mqtt-authorization-table.ts';

const PASSWORDS = { admin: 'admin-secret', pat: 'pat-secret', sam: 'sam-secret' };
/** How long one row may take before it is answered "no answer"; a row never waits for it unless the broker is silent. */
const ROW_TIMEOUT_MS = 15_000;

const scratch = mkdtempSync(join(tmpdir(), 'tributary-mqtt-matrix-'));
const certificates = makeClientCertificates(scratch);
const deviceTls = { ca: readFileSync(BROKER_CERTIFICATE), cert: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) };
const credentials = {
  pat: { passwordHash: await hashPassword(PASSWORDS.pat) },
  sam: { scramSha256: formatScramCredential(await makeScramCredential('sha256', PASSWORDS.sam)) },
};
const adminPasswordHash = await hashPassword(PASSWORDS.admin);
const ALL_TOPICS_BELOW = (prefix: string) => `${prefix}#`;

function configOf(form: Form): Record<string, unknown> {
  const yaml = form === 'yaml';
  const permissionsOf = (kind: Kind) => (yaml ? { publish: [ALL_TOPICS_BELOW(allowedPrefix(kind))], subscribe: [ALL_TOPICS_BELOW(allowedPrefix(kind))] } : {});
  return {
    listeners: { mqtts: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY, caFile: certificates.ca, requireClientCertificate: true } },
    kafka: {
      sasl: { listeners: ['plain'], users: [{ username: 'admin', passwordHash: adminPasswordHash }] },
      authorization: { superUsers: ['User:admin'], allowIfNoAclFound: false, principalMappingRules: ['RULE:^CN=([^,]+)$/$1/'] },
    },
    mqtt: {
      permissions: form,
      // The YAML form restricts clients without a user name only through denySubscribe.
      denySubscribe: yaml ? [ALL_TOPICS_BELOW(deniedPrefix('anonymous'))] : [],
      authentication: {
        allowAnonymous: true,
        users: [
          { username: USER_OF.password, ...credentials.pat, ...permissionsOf('password') },
          { username: USER_OF.scram, ...credentials.sam, ...permissionsOf('scram') },
          // No credential: its certificate signs it in.
          { username: USER_OF.certificate, ...permissionsOf('certificate') },
        ],
      },
    },
  };
}

/** The ACL form's grants: WRITE (publish, will) and READ (subscribe) under each kind's allowed prefix, made with CreateAcls as the super user. */
async function grantAcls(daemon: Daemon): Promise<void> {
  const admin = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    await signInPlain(admin, 'admin', PASSWORDS.admin);
    const creations = KINDS.flatMap((kind) => [AclOperation.WRITE, AclOperation.READ].map((operation) => ({
      resourceType: ResourceType.TOPIC, resourceName: allowedPrefix(kind), resourcePatternType: PatternType.PREFIXED, principal: `User:${USER_OF[kind]}`, host: '*', operation, permissionType: PermissionType.ALLOW,
    })));
    const response = await admin.request(30, 3, { creations });
    assert.equal(response.results.map((result) => result.errorCode), creations.map(() => 0), 'CreateAcls by the super user');
  } finally {
    await admin.close();
  }
}

function connectOptions(daemon: Daemon, row: MatrixRow): { url: string; options: IClientOptions; scram?: ScramClient } {
  const options: IClientOptions = { protocolVersion: row.version, reconnectPeriod: 0, connectTimeout: ROW_TIMEOUT_MS, clientId: `${row.form}-${row.operation}-${row.kind}-${row.decision}-${row.version}` };
  if (row.operation === 'will') options.will = { topic: row.topic, payload: Buffer.from('gone'), qos: 1, retain: false };
  const plain = `mqtt://127.0.0.1:${daemon.ports.mqtt}`;
  switch (row.kind) {
    case 'anonymous': return { url: plain, options };
    case 'password': return { url: plain, options: { ...options, username: USER_OF.password, password: PASSWORDS.pat } };
    case 'scram': {
      const scram = new ScramClient(USER_OF.scram, PASSWORDS.sam);
      return { url: plain, scram, options: { ...options, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: scram.first } } };
    }
    case 'certificate': return { url: `mqtts://localhost:${daemon.ports.mqtts}`, options: { ...options, ...deviceTls } };
  }
}

const hex = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;

/** Connects as the row's kind; the CONNACK's answer, and the client when it was let in. */
function connect(daemon: Daemon, row: MatrixRow): Promise<{ answer: string; client?: MqttClient }> {
  const { url, options, scram } = connectOptions(daemon, row);
  const client = mqtt.connect(url, options);
  if (scram !== undefined) {
    client.handleAuth = (packet, callback) => {
      scram.final(String(packet.properties?.authenticationData ?? '')).then(
        (data) => callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: data } }),
        (error: Error) => callback(error),
      );
    };
  }
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ answer: `CONNACK ${hex(0)}`, client }));
    client.once('error', (error: Error & { code?: number }) => {
      client.end(true);
      resolve({ answer: typeof error.code === 'number' ? `CONNACK ${hex(error.code)}` : `error: ${error.message}` });
    });
    client.once('close', () => resolve({ answer: 'closed before CONNACK' }));
  });
}

async function ask(daemon: Daemon, row: MatrixRow): Promise<string> {
  const { answer, client } = await connect(daemon, row);
  if (client === undefined || row.operation === 'will') {
    await client?.endAsync();
    return answer;
  }
  const closed = new Promise<string>((resolve) => client.once('close', () => resolve('closed')));
  try {
    if (row.operation === 'publish') {
      const acknowledged = client.publishAsync(row.topic, 'reading', { qos: 1 }).then(
        () => `PUBACK ${hex(0)}`,
        (error: Error & { code?: number }) => (typeof error.code === 'number' ? `PUBACK ${hex(error.code)}` : `error: ${error.message}`),
      );
      return await Promise.race([acknowledged, closed]);
    }
    // The SUBACK's code as it came: MQTT.js turns a refusal into an error without the code.
    const granted = new Promise<string>((resolve) => client.on('packetreceive', (packet) => {
      if (packet.cmd === 'suback') resolve(`SUBACK ${hex(packet.granted[0] as number)}`);
    }));
    client.subscribe(row.topic, { qos: 1 }, () => {});
    return await Promise.race([granted, closed]);
  } finally {
    client.end(true);
  }
}

test('the table covers every operation, principal kind and decision in both forms, but for what a form cannot express', () => {
  const rows = matrixRows();
  const missing: string[] = [];
  for (const form of FORMS) {
    for (const operation of OPERATIONS) {
      for (const kind of KINDS) {
        for (const decision of ['allowed', 'denied'] as const) {
          const covered = rows.some((row) => row.form === form && row.operation === operation && row.kind === kind && row.decision === decision);
          const gap = INEXPRESSIBLE.some((entry) => entry.form === form && entry.operation === operation && entry.kind === kind && entry.decision === decision);
          if (covered === gap) missing.push(`${form} ${operation} ${kind} ${decision}: ${covered ? 'both a row and listed as inexpressible' : 'no row'}`);
        }
      }
    }
  }
  assert.equal(missing, []);
  // Only the YAML form has gaps: the ACL form expresses every combination.
  assert.equal(INEXPRESSIBLE.filter((gap) => gap.form === 'acls'), []);
  // MQTT 3.1.1 has no AUTH packet, so SCRAM rows are MQTT 5 only; every other kind is asked in both versions.
  for (const kind of KINDS) assert.equal([...new Set(rows.filter((row) => row.kind === kind).map((row) => row.version))].sort(), kind === 'scram' ? [5] : [4, 5], kind);
});

for (const form of FORMS) {
  test(`${form}: every row's answer, over the wire`, async () => {
    const daemon = await Daemon.start({ config: configOf(form) });
    try {
      if (form === 'acls') await grantAcls(daemon);
      const rows = matrixRows().filter((row) => row.form === form);
      const answers: string[] = [];
      const wanted: string[] = [];
      for (const row of rows) {
        const name = `${row.operation} ${row.kind} ${row.decision} MQTT ${row.version === 5 ? '5' : '3.1.1'} ${row.topic}`;
        answers.push(`${name}: ${await ask(daemon, row)}`);
        wanted.push(`${name}: ${row.answer}`);
      }
      assert.equal(answers, wanted);
    } finally {
      await daemon.cleanup();
    }
  });
}

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();

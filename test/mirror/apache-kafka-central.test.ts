// The mirror against Apache Kafka 4.4 as the central, one node shared by the scenarios of
// this file, set up as a platform team would: no automatic topic creation, and beside the
// plain listener a SASL_SSL listener that requires SCRAM-SHA-512 (PEM keystore; the user
// written into the cluster's metadata when its storage is formatted).
//
// - SCRAM-SHA-512 over TLS with the right password (from a passwordFile), and with a wrong
//   one, which the mirror reports once, clearly, and keeps retrying.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from '@platformatic/kafka';
import { ApacheKafka } from '../helpers/apache-kafka.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../helpers/certificates.ts';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { kafkaClient, waitFor } from './cluster.ts';

const SECURE_LISTENER = 'SECURE';
const SCRAM_USER = 'mirror-edge-scram';
const SCRAM_PASSWORD = 'scram-secret-512';

let kafka: ApacheKafka;
const scratch = mkdtempSync(join(tmpdir(), 'tributary-test-apache-central-'));

test.before(async () => {
  kafka = await ApacheKafka.start({
    config: { 'auto.create.topics.enable': 'false' },
    scramUsers: [{ mechanism: 'SCRAM-SHA-512', username: SCRAM_USER, password: SCRAM_PASSWORD }],
    extraListeners: { [SECURE_LISTENER]: { securityProtocol: 'SASL_SSL', keystorePem: { certificateFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY }, scramMechanisms: ['SCRAM-SHA-512'] } },
  });
});

test.after(async () => {
  await kafka?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

interface MirrorReport {
  state: string;
  lastError: string | null;
}

async function mirrorReport(edge: Daemon): Promise<MirrorReport> {
  return (await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json()) as MirrorReport;
}

async function produceAtEdge(edge: Daemon, topic: string, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  try {
    await producer.send({ messages: Array.from({ length: count }, (_, index) => ({ topic, partition: 0, value: Buffer.from(`${topic}-${index}`) })) });
  } finally {
    await producer.close();
  }
}

async function highWatermark(topic: string): Promise<bigint | undefined> {
  const reader = kafkaClient(kafka.bootstrap);
  try {
    return (await reader.offsets(topic, 0)).highWatermark;
  } catch {
    return undefined;
  } finally {
    await reader.close();
  }
}

function scramEdge(id: string, password: string): Promise<Daemon> {
  const passwordFile = join(scratch, `${id}-password`);
  writeFileSync(passwordFile, `${password}\n`);
  return Daemon.start({
    config: {
      node: { id },
      topics: { overrides: { sensors: { partitions: 1 } } },
      mirror: {
        target: {
          bootstrap: [kafka.bootstrapOf(SECURE_LISTENER)],
          tls: { enabled: true, caFile: BROKER_CERTIFICATE },
          sasl: { mechanism: 'SCRAM-SHA-512', username: 'mirror-{edge}', passwordFile },
          replicationFactor: 1,
          connectTimeoutMs: 2_000,
        },
        topics: { include: ['sensors'] },
        link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 1_000 },
        heartbeat: { intervalMs: 500 },
      },
    },
  });
}

test('SCRAM-SHA-512 over TLS: with its password, read from a passwordFile, the mirror creates its topic and delivers', async () => {
  const edge = await scramEdge('edge-scram', SCRAM_PASSWORD);
  try {
    await produceAtEdge(edge, 'sensors', 40);
    await waitFor('40 records on Apache Kafka', async () => ((await highWatermark('edge-scram.sensors')) === 40n ? true : undefined));
    assert.is((await mirrorReport(edge)).state, 'up');
  } finally {
    await edge.cleanup();
  }
});

test('SCRAM-SHA-512 over TLS: a wrong password is said once, with what Kafka answered, and the mirror keeps trying', async () => {
  const edge = await scramEdge('edge-scram', 'not-the-password');
  try {
    const refused = await edge.logLine((line) => line.event === 'authentication-failed', 'the refusal in the log', 30_000);
    assert.match(String(refused.err), /the cluster refused the credentials \(SASL SCRAM-SHA-512 as user mirror-edge-scram\): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
    const report = await waitFor('the link reported down', async () => {
      const current = await mirrorReport(edge);
      return current.state === 'down' ? current : undefined;
    });
    assert.match(report.lastError ?? '', /refused the credentials/);
    // It keeps trying (the refresh comes back every few seconds), and says it only once.
    await waitFor('a second refused attempt', async () => ((metricValue(await edge.metrics(), 'tributary_mirror_errors_total', { kind: 'authentication' }) ?? 0) >= 2 ? true : undefined), 30_000);
    assert.is(edge.logLines.filter((line) => line.event === 'authentication-failed').length, 1, 'one log line for one refusal');
    assert.match(kafka.nodes[0]!.output, /Failed authentication with \/127\.0\.0\.1.*invalid credentials with SASL mechanism SCRAM-SHA-512/, 'the broker logs it too');
  } finally {
    await edge.cleanup();
  }
});

test.run();

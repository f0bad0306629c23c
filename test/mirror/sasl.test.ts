// The mirror authenticating to the central with SASL PLAIN over TLS, against a central
// whose TLS listener requires it (kafka.sasl): with the edge's password, kept in a
// passwordFile, the records arrive; with a wrong one the mirror reports the refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from '@platformatic/kafka';
import { Daemon } from '../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../helpers/certificates.ts';
import { hashPassword } from '../../edge/auth/password-hash.ts';
import { kafkaClient, waitFor } from './cluster.ts';

const EDGE = 'edge-sasl';
const passwordHash = await hashPassword('edge-sasl-secret');

async function setUp(password: string) {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-test-sasl-'));
  const passwordFile = join(directory, 'central-password');
  writeFileSync(passwordFile, `${password}\n`);
  const central = await Daemon.start({
    subcommand: 'central',
    config: {
      node: { id: 'central' },
      listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
      kafka: { sasl: { listeners: ['tls'], users: [{ username: `mirror-${EDGE}`, passwordHash }] } },
    },
  });
  const edge = await Daemon.start({
    config: {
      node: { id: EDGE },
      topics: { overrides: { sensors: { partitions: 1 } } },
      mirror: {
        target: { bootstrap: [`127.0.0.1:${central.ports.kafkaTls}`], tls: { enabled: true, caFile: BROKER_CERTIFICATE }, sasl: { mechanism: 'PLAIN', username: 'mirror-{edge}', passwordFile }, connectTimeoutMs: 2_000 },
        topics: { include: ['sensors'] },
        link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 300 },
      },
    },
  });
  const tearDown = async () => {
    await edge.cleanup();
    await central.cleanup();
    rmSync(directory, { recursive: true, force: true });
  };
  return { central, edge, tearDown };
}

test('with its password the mirror authenticates and the records arrive over SASL_SSL', async () => {
  const { central, edge, tearDown } = await setUp('edge-sasl-secret');
  // The central's plain listener needs no SASL: the test reads there.
  const reader = kafkaClient(`127.0.0.1:${central.ports.kafka}`);
  try {
    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
    await producer.send({ messages: Array.from({ length: 50 }, (_, index) => ({ topic: 'sensors', partition: 0, value: Buffer.from(`reading-${index}`) })) });
    await producer.close();
    await waitFor('50 records on the central', async () => ((await reader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 50n ? true : undefined));
  } finally {
    await reader.close();
    await tearDown();
  }
});

test('with a wrong password the mirror reports the refusal and the central logs the user', async () => {
  const { central, edge, tearDown } = await setUp('not-the-password');
  try {
    const report = await waitFor('an error in the mirror report', async () => {
      const body = await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json() as { state: string; lastError: string | null };
      return body.lastError !== null ? body : undefined;
    });
    assert.match(report.lastError!, /SASL|authentication/i);
    assert.not.equal(report.state, 'up');
    await central.logLine((line) => line.msg === 'Kafka SASL authentication failed: unknown user or wrong password' && line.user === `mirror-${EDGE}`, 'the central logs the refused user');
  } finally {
    await tearDown();
  }
});

test.run();

// The Kafka protocol over TLS (listeners.kafkaTls), started as a user starts it: a kafkajs
// client that trusts the broker's certificate produces and consumes there and is told the
// TLS endpoint in Metadata, while the plain listener keeps advertising itself; a plain
// client on the TLS port fails alone; with requireClientCertificate only clients whose
// certificate the configured CA signed get in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaConfig } from 'kafkajs';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY, makeClientCertificates } from '../../../helpers/certificates.ts';
import { kafkajsClient } from './support/kafkajs.ts';
import { ClientResults, npmPackageVersion } from '../../../helpers/client-results.ts';
import { roundTrip } from './support/round-trip.ts';

/** Outcomes for the README's client matrix (npm run docs:clients). */
const results = new ClientResults({ client: 'kafkajs', version: npmPackageVersion('kafkajs'), distribution: 'npm' }, import.meta.filename);

function tlsClient(port: number, clientId: string, ssl: KafkaConfig['ssl']): ReturnType<typeof kafkajsClient> {
  return kafkajsClient(port, clientId, { ssl, retry: { retries: 0 }, connectionTimeout: 5_000 });
}

test('a client trusting the broker\'s certificate produces and consumes over TLS and is told the TLS endpoint; the plain listener keeps its own', () => results.run('tls', async () => {
  const daemon = await Daemon.start({ config: { listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } } } });
  try {
    const tlsPort = daemon.ports.kafkaTls!;
    const secure = tlsClient(tlsPort, 'tls-client', { ca: [readFileSync(BROKER_CERTIFICATE)] });
    const admin = secure.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    assert.equal(cluster.brokers.map((broker) => broker.port), [tlsPort], 'Metadata over TLS names the TLS port');
    assert.equal(await roundTrip(secure, 'tls-readings'), ['a', 'b', 'c']);

    const plainAdmin = kafkajsClient(daemon.ports.kafka!, 'plain-client').admin();
    await plainAdmin.connect();
    const plainCluster = await plainAdmin.describeCluster();
    await plainAdmin.disconnect();
    assert.equal(plainCluster.brokers.map((broker) => broker.port), [daemon.ports.kafka], 'the plain listener advertises itself');

    const confused = kafkajsClient(tlsPort, 'plain-on-tls', { retry: { retries: 0 }, connectionTimeout: 2_000, requestTimeout: 2_000 }).admin();
    const failure = await confused.connect().then(() => undefined, (error: Error) => error);
    await confused.disconnect().catch(() => undefined);
    assert.ok(failure instanceof Error, 'a plain client gets nothing from the TLS port');
    await daemon.logLine((line) => line.msg === 'listeners.kafkaTls: TLS handshake failed; connection closed', 'the failed handshake is logged');
    assert.ok((metricValue(await daemon.metrics(), 'tributary_listener_refused_connections_total', { listener: 'kafkaTls', reason: 'handshake' }) ?? 0) >= 1, 'and counted');
    assert.equal(await roundTrip(secure, 'tls-readings-2'), ['a', 'b', 'c'], 'and TLS clients are still served');
  } finally {
    await daemon.cleanup();
  }
}));

test('with requireClientCertificate only a client certificate signed by caFile gets in', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-test-certs-'));
  const certificates = makeClientCertificates(directory);
  const daemon = await Daemon.start({ config: { listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY, caFile: certificates.ca, requireClientCertificate: true } } } });
  try {
    const port = daemon.ports.kafkaTls!;
    const ca = [readFileSync(BROKER_CERTIFICATE)];
    const refused = async (ssl: KafkaConfig['ssl']): Promise<boolean> => {
      const admin = tlsClient(port, 'refused', ssl).admin();
      const outcome = await admin.connect().then(() => false, () => true);
      await admin.disconnect().catch(() => undefined);
      return outcome;
    };
    assert.ok(await refused({ ca }), 'no client certificate');
    assert.ok(await refused({ ca, cert: readFileSync(certificates.rogueCert), key: readFileSync(certificates.rogueKey) }), 'a certificate the CA did not sign');
    const admitted = tlsClient(port, 'admitted', { ca, cert: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) });
    assert.equal(await roundTrip(admitted, 'mtls-readings'), ['a', 'b', 'c']);
  } finally {
    await daemon.cleanup();
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();

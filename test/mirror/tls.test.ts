// The mirror over TLS: the central is reached through a TLS-terminating proxy, as a cluster
// with a TLS listener would be. With the right CA the records arrive; without it the mirror
// refuses the certificate and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Producer } from '@platformatic/kafka';
import { Daemon } from '../helpers/daemon.ts';
import { freePort, kafkaClient, waitFor } from './cluster.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const CERT = resolve(FIXTURES, 'localhost-cert.pem');

/** Terminates TLS and forwards the plain bytes to the central. */
async function tlsProxy(targetPort: number): Promise<{ server: Server; port: number }> {
  const server = createServer({ key: readFileSync(resolve(FIXTURES, 'localhost-key.pem')), cert: readFileSync(CERT) }, (socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return { server, port: (server.address() as { port: number }).port };
}

async function setUp(tls: Record<string, unknown>) {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const proxy = await tlsProxy(centralPort);
  const edge = await Daemon.start({
    config: {
      node: { id: 'edge-t' },
      topics: { overrides: { sensors: { partitions: 1 } } },
      mirror: {
        target: { bootstrap: [`localhost:${proxy.port}`], addressMap: { [`127.0.0.1:${centralPort}`]: `localhost:${proxy.port}` }, tls: { enabled: true, ...tls }, connectTimeoutMs: 2_000 },
        topics: { include: ['sensors'] },
        link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 300 },
      },
    },
  });
  const tearDown = async () => {
    await edge.cleanup();
    await central.cleanup();
    await new Promise<void>((resolveClose) => { proxy.server.close(() => resolveClose()); });
  };
  return { central, centralPort, edge, tearDown };
}

test('with the CA of the central\'s certificate, records arrive over TLS', async () => {
  const { centralPort, edge, tearDown } = await setUp({ caFile: CERT });
  const reader = kafkaClient(`127.0.0.1:${centralPort}`);
  try {
    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
    await producer.send({ messages: Array.from({ length: 100 }, (_, index) => ({ topic: 'sensors', partition: 0, value: Buffer.from(`reading-${index}`) })) });
    await producer.close();
    await waitFor('100 records on the central', async () => ((await reader.offsets('edge-t.sensors', 0)).highWatermark === 100n ? true : undefined));
  } finally {
    await reader.close();
    await tearDown();
  }
});

test('without it the certificate is refused, and the mirror reports why', async () => {
  const { edge, tearDown } = await setUp({});
  try {
    const report = await waitFor('an error in the mirror report', async () => {
      const body = await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json() as { state: string; lastError: string | null };
      return body.lastError !== null ? body : undefined;
    });
    assert.match(report.lastError!, /self[- ]signed certificate/i);
    assert.not.equal(report.state, 'up');
  } finally {
    await tearDown();
  }
});

test.run();

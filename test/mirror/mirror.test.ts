// The embedded mirror with real processes: a central (`tributary central`), an edge
// (`tributary edge` with a mirror section) and a fault-injecting link between them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin, Producer } from '@platformatic/kafka';
import { createLink, type Link } from '../../firmware-sim/link/link.ts';
import { decodeHeartbeat } from '../../shared/heartbeat.ts';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { assertExactCopy, committedOffsets, freePort, kafkaClient, mirrorThrough, readPartition, waitFor } from './cluster.ts';

const EDGE = 'edge-m';
const PARTITIONS = 2;

interface Setup {
  central: Daemon;
  centralPort: number;
  link: Link;
  edge: Daemon;
  edgeConfig: Record<string, unknown>;
}

async function setUp(linkBandwidth: number | null = null): Promise<Setup> {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}`, bandwidthBytesPerSecond: linkBandwidth });
  const edgeConfig = {
    node: { id: EDGE },
    topics: { overrides: { sensors: { partitions: PARTITIONS } } },
    mirror: mirrorThrough(centralPort, link.listen.port, { topics: { include: ['sensors'] } }),
    log: { level: 'info' },
  };
  const edge = await Daemon.start({ config: edgeConfig });
  return { central, centralPort, link, edge, edgeConfig };
}

async function tearDown(setup: Setup): Promise<void> {
  await setup.edge.cleanup();
  await setup.central.cleanup();
  await setup.link.close();
}

/** Produces `count` records with unique values to the edge, in sends of 500. */
async function produce(edgePort: number, count: number, prefix: string): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edgePort}`], idempotent: true, acks: -1 });
  try {
    for (let sent = 0; sent < count; sent += 500) {
      const size = Math.min(500, count - sent);
      await producer.send({ messages: Array.from({ length: size }, (_, index) => ({ topic: 'sensors', partition: (sent + index) % PARTITIONS, key: Buffer.from(`device-${(sent + index) % 13}`), value: Buffer.from(`${prefix}-${sent + index}`) })) });
    }
  } finally {
    await producer.close();
  }
}

/** Waits until the central holds as many records as the edge, then checks them one by one. */
async function assertMirrored(setup: Setup, edgePort: number): Promise<number> {
  const edgeReader = kafkaClient(`127.0.0.1:${edgePort}`);
  const centralReader = kafkaClient(`127.0.0.1:${setup.centralPort}`);
  try {
    let total = 0;
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const { highWatermark } = await edgeReader.offsets('sensors', partition);
      await waitFor(`central ${EDGE}.sensors/${partition} to reach ${highWatermark}`, async () => ((await centralReader.offsets(`${EDGE}.sensors`, partition)).highWatermark >= highWatermark ? true : undefined));
      total += assertExactCopy(await readPartition(edgeReader, 'sensors', partition), await readPartition(centralReader, `${EDGE}.sensors`, partition), `${EDGE}.sensors/${partition}`);
    }
    return total;
  } finally {
    await edgeReader.close();
    await centralReader.close();
  }
}

test('records reach the central once each, in order, with their source coordinates, through repeated link cuts', async () => {
  // A capped link keeps the mirror busy long enough for the cuts to land mid-transfer.
  const setup = await setUp(300_000);
  try {
    const producing = produce(setup.edge.ports.kafka!, 30_000, 'cut');
    let cuts = 0;
    const centralReader = kafkaClient(`127.0.0.1:${setup.centralPort}`);
    await waitFor('the first records on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark > 0n ? true : undefined));
    await centralReader.close();
    while (cuts < 6) {
      setup.link.cut(200);
      cuts += 1;
      await waitFor('the link to carry bytes again', () => (setup.link.stats().state === 'up' ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await producing;
    assert.is(await assertMirrored(setup, setup.edge.ports.kafka!), 30_000);
    const metrics = await setup.edge.metrics();
    assert.ok((metricValue(metrics, 'tributary_mirror_reconnects_total') ?? 0) >= 1, 'the mirror saw the link go down and come back');
    assert.is(metricValue(metrics, 'tributary_mirror_records_delivered_total', { topic: 'sensors' }), 30_000, 'delivered counted once each');
  } finally {
    await tearDown(setup);
  }
});

test('an edge killed mid-transfer resumes from the central tail; the lag reaches 0; heartbeats arrive', async () => {
  const setup = await setUp(200_000);
  let edge = setup.edge;
  try {
    await produce(edge.ports.kafka!, 20_000, 'before');
    const centralReader = kafkaClient(`127.0.0.1:${setup.centralPort}`);
    await waitFor('some records on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 1)).highWatermark > 1000n ? true : undefined));
    await edge.kill();
    edge = await edge.restart({ config: setup.edgeConfig });
    setup.edge = edge;
    await produce(edge.ports.kafka!, 5_000, 'after');
    assert.is(await assertMirrored(setup, edge.ports.kafka!), 25_000);
    await waitFor('lag 0 in the metrics', async () => {
      const metrics = await edge.metrics();
      const lags = metrics.split('\n').filter((line) => line.startsWith('tributary_mirror_lag_records{'));
      return lags.length === PARTITIONS && lags.every((line) => line.endsWith(' 0')) ? true : undefined;
    });
    await waitFor('the delivered offsets committed on the edge, for its retention and for lag tools', async () => {
      const committed = await committedOffsets(`127.0.0.1:${edge.ports.kafka}`, 'tributary-mirror');
      return committed.get('sensors/0') === 12_500n && committed.get('sensors/1') === 12_500n ? true : undefined;
    });
    const report = await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json() as { state: string; backlogRecords: number; partitions: unknown[] };
    assert.is(report.state, 'up');
    assert.is(report.backlogRecords, 0);
    assert.is(report.partitions.length, PARTITIONS);
    const heartbeats = await readPartition(centralReader, 'tributary.heartbeats', 0);
    assert.ok(heartbeats.length > 0, 'heartbeats reach the central');
    const last = decodeHeartbeat(heartbeats[heartbeats.length - 1]!.value!);
    assert.is(last.edge, EDGE);
    assert.is(String(heartbeats[heartbeats.length - 1]!.key), EDGE, 'keyed by the edge id');
    await centralReader.close();
  } finally {
    await tearDown(setup);
  }
});

test.run();

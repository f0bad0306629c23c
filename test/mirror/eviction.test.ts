// Retention knows the mirror: with the link down and a tiny disk budget, segments the
// mirror has not delivered are kept until the budget forces them out, and then the loss is
// counted and logged, by the log store and again by the mirror when it finds them gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import { createLink } from '../../firmware-sim/link/link.ts';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { assertExactCopy, freePort, kafkaClient, mirrorThrough, readPartition, waitFor } from './cluster.ts';

const EDGE = 'edge-tiny';
const BUDGET_BYTES = 48 * 1024;

async function produce(port: number, from: number, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${port}`], acks: -1 });
  try {
    for (let sent = 0; sent < count; sent += 100) {
      await producer.send({ messages: Array.from({ length: Math.min(100, count - sent) }, (_, index) => ({ topic: 'sensors', partition: 0, value: Buffer.from(`reading-${from + sent + index}-${'x'.repeat(80)}`) })) });
    }
  } finally {
    await producer.close();
  }
}

test('undelivered segments evicted by the disk budget are reported as data loss in metrics and logs, and the mirror carries on', async () => {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}` });
  const edge = await Daemon.start({
    config: {
      node: { id: EDGE },
      storage: { diskBudgetBytes: BUDGET_BYTES, retentionCheckCron: '* * * * * *' },
      topics: { overrides: { sensors: { partitions: 1, segmentBytes: 4096 } } },
      mirror: mirrorThrough(centralPort, link.listen.port, { topics: { include: ['sensors'] } }),
    },
  });
  const centralReader = kafkaClient(`127.0.0.1:${centralPort}`);
  const edgeReader = kafkaClient(`127.0.0.1:${edge.ports.kafka}`);
  try {
    await produce(edge.ports.kafka!, 0, 200);
    await waitFor('the first 200 records on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 200n ? true : undefined));
    assert.is(metricValue(await edge.metrics(), 'tributary_storage_undelivered_evicted_records_total', { topic: 'sensors' }) ?? 0, 0, 'nothing evicted while the mirror keeps up');

    link.cut();
    await produce(edge.ports.kafka!, 200, 3_000);
    await waitFor('the budget to evict undelivered records', async () => {
      const value = metricValue(await edge.metrics(), 'tributary_storage_undelivered_evicted_records_total', { topic: 'sensors' }) ?? 0;
      return value > 0 ? value : undefined;
    });
    await edge.logLine((line) => line.msg === 'disk budget evicted records the mirror has not delivered' && line.level === 50, 'an error line in the log says so');

    link.restore();
    const { logStartOffset, highWatermark } = await edgeReader.offsets('sensors', 0);
    assert.ok(logStartOffset > 200n, 'the log start moved past what was delivered');
    await waitFor('the rest on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 200n + (highWatermark - logStartOffset) ? true : undefined));
    const metrics = await edge.metrics();
    const lost = metricValue(metrics, 'tributary_mirror_records_lost_total', { topic: 'sensors' });
    assert.is(lost, Number(logStartOffset - 200n), 'the mirror counts exactly the records between what it delivered and the new log start');
    assert.is(metricValue(metrics, 'tributary_storage_undelivered_evicted_records_total', { topic: 'sensors' }), lost, 'the store counted the same records when it evicted them');
    await edge.logLine((line) => line.event === 'records-lost', 'the mirror logs the loss too');
    const onCentral = await readPartition(centralReader, `${EDGE}.sensors`, 0);
    const onEdge = await readPartition(edgeReader, 'sensors', 0);
    assertExactCopy(onEdge, onCentral.slice(200), `${EDGE}.sensors/0 after the gap`);
    const report = await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json() as { lostRecordsTotal: number };
    assert.is(report.lostRecordsTotal, lost);
  } finally {
    await centralReader.close();
    await edgeReader.close();
    await edge.cleanup();
    await central.cleanup();
    await link.close();
  }
});

test.run();

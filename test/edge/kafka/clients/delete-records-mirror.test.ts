// DeleteRecords and the embedded mirror: records deleted while the link is down, with the
// new log start inside a batch, are never sent; the mirror counts them as lost, carries on
// from the log start, and the central holds an exact copy of what is left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import { ErrorCode } from '../../../../shared/kafka/protocol/index.ts';
import { createLink } from '../../../../firmware-sim/link/link.ts';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { assertExactCopy, freePort, kafkaClient, mirrorThrough, readPartition, waitFor } from '../../../mirror/cluster.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const EDGE = 'edge-trimmed';

async function produce(port: number, from: number, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${port}`], acks: -1 });
  try {
    // One batch of 100 records per send, so that the deletion below cuts into a batch.
    for (let sent = 0; sent < count; sent += 100) {
      await producer.send({ messages: Array.from({ length: 100 }, (_, index) => ({ topic: 'sensors', partition: 0, value: Buffer.from(`reading-${from + sent + index}`) })) });
    }
  } finally {
    await producer.close();
  }
}

test('records deleted while the link is down are counted as lost; the rest reach the central exactly once', async () => {
  const centralPort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${centralPort}` });
  const edge = await Daemon.start({
    config: {
      node: { id: EDGE },
      topics: { overrides: { sensors: { partitions: 1, segmentBytes: 4096 } } },
      mirror: mirrorThrough(centralPort, link.listen.port, { topics: { include: ['sensors'] } }),
    },
  });
  const centralReader = kafkaClient(`127.0.0.1:${centralPort}`);
  const edgeReader = kafkaClient(`127.0.0.1:${edge.ports.kafka}`);
  const connection = await RawKafkaConnection.connect(edge.ports.kafka!);
  try {
    await produce(edge.ports.kafka!, 0, 200);
    await waitFor('the first 200 records on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 200n ? true : undefined));

    link.cut();
    await produce(edge.ports.kafka!, 200, 300);
    const deleted = await connection.request(21, 2, { topics: [{ name: 'sensors', partitions: [{ partitionIndex: 0, offset: 350n }] }], timeoutMs: 5000 });
    assert.equal([deleted.topics[0]!.partitions[0]!.errorCode, deleted.topics[0]!.partitions[0]!.lowWatermark], [ErrorCode.NONE, 350n]);

    link.restore();
    await waitFor('the records after the log start on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 350n ? true : undefined));
    assert.is(metricValue(await edge.metrics(), 'tributary_mirror_records_lost_total', { topic: 'sensors' }), 150, 'offsets 200 to 349 were never sent');
    const onCentral = await readPartition(centralReader, `${EDGE}.sensors`, 0);
    const onEdge = await readPartition(edgeReader, 'sensors', 0);
    assert.is(onEdge[0]!.offset, 350n, 'the edge serves from the log start');
    assertExactCopy(onEdge, onCentral.slice(200), `${EDGE}.sensors/0 after the deletion`);
  } finally {
    await connection.close();
    await centralReader.close();
    await edgeReader.close();
    await edge.cleanup();
    await central.cleanup();
    await link.close();
  }
});

test.run();

// DeleteRecords and the embedded mirror: records deleted while the link is down, with the
// new log start inside a batch, are never sent; the mirror counts them as lost, carries on
// from the log start, and the central holds an exact copy of what is left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { createLink } from '../../../../firmware-sim/link/link.ts';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { assertExactCopy, freePort, kafkaClient, mirrorThrough, readPartition, waitFor } from '../../../mirror/cluster.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const EDGE = 'edge-trimmed';

/** Appends readings `from` to `from + count - 1` in batches of 100 records, so that the deletion below cuts into a batch. */
async function produce(connection: RawKafkaConnection, from: number, count: number): Promise<void> {
  for (let first = from; first < from + count; first += 100) {
    const records = encodeRecordBatch({ records: Array.from({ length: 100 }, (_, index) => ({ value: `reading-${first + index}` })) });
    const produced = await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'sensors', partitionData: [{ index: 0, records }] }] });
    assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
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
    await produce(connection, 0, 200);
    await waitFor('the first 200 records on the central', async () => ((await centralReader.offsets(`${EDGE}.sensors`, 0)).highWatermark === 200n ? true : undefined));

    link.cut();
    await produce(connection, 200, 300);
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

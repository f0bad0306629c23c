// The cluster's duplicate check across mirror runs: a produce request of an earlier run
// that reaches the central late, after a new run has scanned the tail and carried on, is
// refused instead of being appended a second time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin, Producer } from '@platformatic/kafka';
import { encodeRecordBatch, type DecodedRecord } from '../../shared/kafka/record-batch.ts';
import { KafkaError } from '../../shared/kafka/client/kafka-errors.ts';
import { sourceHeaders } from '../../mirror/source-headers.ts';
import { Daemon } from '../helpers/daemon.ts';
import { assertExactCopy, freePort, kafkaClient, readPartition, waitFor } from './cluster.ts';

const EDGE = 'edge-l';

/** A batch as a run of the mirror writes it: the source records with their coordinates, numbered from `sequence`. */
function mirrorBatch(records: DecodedRecord[], producer: { producerId: bigint; producerEpoch: number }, sequence: number): Buffer {
  return encodeRecordBatch({
    records: records.map((record) => ({ key: record.key, value: record.value, timestampMs: record.timestamp, headers: [...record.headers, ...sourceHeaders({ edge: EDGE, topic: 'sensors', partition: 0, offset: record.offset })] })),
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: sequence,
    compression: 'zstd',
  });
}

test('a late request of an earlier run is refused by the central, not appended twice', async () => {
  const centralPort = await freePort();
  const edgePort = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port: centralPort } } } });
  const mirrorSection = { embedded: false, target: { bootstrap: [`127.0.0.1:${centralPort}`] }, source: { bootstrap: [`127.0.0.1:${edgePort}`] }, topics: { include: ['sensors'] }, http: { port: 0 }, heartbeat: { intervalMs: 0 } };
  const edge = await Daemon.start({ config: { node: { id: EDGE }, listeners: { kafka: { port: edgePort } }, topics: { overrides: { sensors: { partitions: 1 } } }, mirror: mirrorSection } });
  let mirror: Daemon | undefined;
  const edgeReader = kafkaClient(`127.0.0.1:${edgePort}`);
  const centralClient = kafkaClient(`127.0.0.1:${centralPort}`);
  try {
    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edgePort}`], acks: -1 });
    await producer.send({ messages: Array.from({ length: 25 }, (_, index) => ({ topic: 'sensors', partition: 0, key: Buffer.from(`k${index % 3}`), value: Buffer.from(`reading-${index}`) })) });
    await producer.close();
    const source = await readPartition(edgeReader, 'sensors', 0);
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [`127.0.0.1:${centralPort}`] });
    await admin.createTopics({ topics: [`${EDGE}.sensors`], partitions: 1, replicas: 1 });
    await admin.close();

    // An earlier run delivered offsets 0-9 and sent 10-19, whose request is still on its way.
    const earlier = await centralClient.initProducerId();
    assert.is((await centralClient.produce(`${EDGE}.sensors`, 0, mirrorBatch(source.slice(0, 10), earlier, 0))).errorCode, KafkaError.NONE);
    const late = mirrorBatch(source.slice(10, 20), earlier, 10);

    // A new run scans the tail, carries on with the same producer, and delivers the rest.
    mirror = await Daemon.start({ subcommand: 'mirror', config: { node: { id: EDGE }, mirror: mirrorSection } });
    await waitFor('all 25 records on the central', async () => ((await centralClient.offsets(`${EDGE}.sensors`, 0)).highWatermark === 25n ? true : undefined));

    // Now the late request arrives.
    const outcome = await centralClient.produce(`${EDGE}.sensors`, 0, late);
    assert.is(outcome.errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, `refused as out of order, got ${outcome.errorCode}`);
    assert.is((await centralClient.offsets(`${EDGE}.sensors`, 0)).highWatermark, 25n);
    assertExactCopy(source, await readPartition(centralClient, `${EDGE}.sensors`, 0), `${EDGE}.sensors/0`);
  } finally {
    await edgeReader.close();
    await centralClient.close();
    await mirror?.cleanup();
    await edge.cleanup();
    await central.cleanup();
  }
});

test.run();

// An edge offline for longer than the central remembers it, against Apache Kafka 4.4.
//
// Kafka forgets an idempotent producer (its id, epoch and last sequence per partition) once
// producer.id.expiration.ms (one day by default) has passed since the timestamp of its last
// batch, and time retention deletes whole segments, the active one too, once their newest
// record is older than retention.ms. Here both are seconds, so that "longer than a day"
// takes a few seconds:
//
// 1. The link is cut while records keep arriving at the edge, until the central has
//    forgotten the mirror's producer (kafka-transactions describe-producers shows none).
//    The records are still there, so the tail scan finds the producer id and the sequence
//    after the last delivered record, and the mirror carries on with them. Kafka accepts a
//    sequence of a producer it does not know (it has nothing to compare it with; Apache
//    Kafka's ProducerAppendInfo.checkSequence): no refusal, no duplicate, and the batches
//    it appends carry one producer id whose sequence goes on as the offsets do.
// 2. The link is cut again, the edge loses power (SIGKILL) and comes back while offline,
//    and the central's retention deletes every record of the partition and forgets the
//    producer. The tail now holds nothing, so the mirror resumes at the delivered offset
//    the edge keeps (the offsets committed under mirror.source.deliveredGroup) with a new
//    producer id, instead of sending the edge's whole log again.
//
// Each time the central must hold every record once, in the edge's order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import { iterateBatchHeaders } from '../../shared/kafka/record-batch.ts';
import { createLink } from '../../firmware-sim/link/link.ts';
import { ApacheKafka, runKafkaTool } from '../helpers/apache-kafka.ts';
import { Daemon } from '../helpers/daemon.ts';
import { assertExactCopy, kafkaClient, mirrorThrough, readPartition, waitFor } from '../mirror/cluster.ts';

const EDGE = 'edge-away';
const TOPIC = 'sensors';
const TARGET = `${EDGE}.${TOPIC}`;
const PARTITIONS = 2;
/** Records produced at the edge in each phase, spread over the partitions. */
const RECORDS_PER_PHASE = 200;
/** How long the central remembers a producer, and how often it checks: seconds instead of a day. */
const PRODUCER_EXPIRATION_MS = 3_000;
const SHORT_RETENTION_MS = 1_000;

/** The producer ids the central remembers for one partition, as kafka-transactions describe-producers prints them. */
async function rememberedProducers(kafka: ApacheKafka, partition: number): Promise<bigint[]> {
  const printed = await runKafkaTool('org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', kafka.bootstrap, 'describe-producers', '--topic', TARGET, '--partition', String(partition)]);
  const lines = printed.trim().split('\n');
  const column = lines[0]!.trim().split(/\s+/).indexOf('ProducerId');
  return lines.slice(1).filter((line) => line.trim() !== '').map((line) => BigInt(line.trim().split(/\s+/)[column]!));
}

/**
 * The producer id and sequence of every record the central appended to a partition, read
 * from its batches: what Kafka accepted, however long it remembers the producer.
 */
async function appendedSequences(kafka: ApacheKafka, partition: number): Promise<{ offset: bigint; producerId: bigint; sequence: number }[]> {
  const central = kafkaClient(kafka.bootstrap, 'batches');
  try {
    const { logStartOffset, highWatermark } = await central.offsets(TARGET, partition);
    const found: { offset: bigint; producerId: bigint; sequence: number }[] = [];
    for (let offset = logStartOffset; offset < highWatermark;) {
      const fetched = await central.fetch(TARGET, partition, offset, 1024 * 1024, 0);
      const from = offset;
      for (const batch of iterateBatchHeaders(fetched.records)) {
        for (let index = 0; index < batch.recordCount; index += 1) found.push({ offset: batch.baseOffset + BigInt(index), producerId: batch.producerId, sequence: batch.baseSequence + index });
        offset = batch.lastOffset + 1n;
      }
      if (offset === from) throw new Error(`${TARGET}/${partition}: no batch at offset ${offset}, below the high watermark ${highWatermark}`);
    }
    return found;
  } finally {
    await central.close();
  }
}

async function alterTargetRetention(kafka: ApacheKafka, change: string[]): Promise<void> {
  await runKafkaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', kafka.bootstrap, '--alter', '--entity-type', 'topics', '--entity-name', TARGET, ...change]);
}

async function produce(edge: Daemon, from: number, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'sensor-gateway', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  try {
    await producer.send({ messages: Array.from({ length: count }, (_, index) => ({ topic: TOPIC, partition: (from + index) % PARTITIONS, value: Buffer.from(`reading-${from + index}`) })) });
  } finally {
    await producer.close();
  }
}

/** Waits until the central holds `records` per partition (its high watermark), and checks them against the edge from `fromOffset` on. */
async function assertDelivered(kafka: ApacheKafka, edge: Daemon, records: bigint, fromOffset: bigint): Promise<void> {
  const central = kafkaClient(kafka.bootstrap, 'verify-central');
  const local = kafkaClient(`127.0.0.1:${edge.ports.kafka}`, 'verify-edge');
  try {
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      await waitFor(`${TARGET}/${partition} at ${records}`, async () => ((await central.offsets(TARGET, partition)).highWatermark >= records ? true : undefined));
      const target = await readPartition(central, TARGET, partition);
      const source = (await readPartition(local, TOPIC, partition)).filter((record) => record.offset >= fromOffset);
      assertExactCopy(source, target, `${TARGET}/${partition}`);
      assert.is((await central.offsets(TARGET, partition)).highWatermark, records, `${TARGET}/${partition}: nothing beyond the edge's records`);
    }
  } finally {
    await central.close();
    await local.close();
  }
}

test('an edge offline longer than the central\'s producer expiration and retention resumes exactly once', async () => {
  const kafka = await ApacheKafka.start({
    config: {
      'auto.create.topics.enable': 'false',
      'producer.id.expiration.ms': String(PRODUCER_EXPIRATION_MS),
      'producer.id.expiration.check.interval.ms': '500',
      'log.retention.check.interval.ms': '500',
    },
  });
  const link = await createLink({ listen: '127.0.0.1:0', target: kafka.bootstrap });
  const config = {
    node: { id: EDGE },
    topics: { overrides: { [TOPIC]: { partitions: PARTITIONS } } },
    mirror: mirrorThrough(kafka.nodes[0]!.port, link.listen.port, { target: { replicationFactor: 1 }, topics: { include: [TOPIC] } }),
  };
  let edge = await Daemon.start({ config });
  try {
    const perPhase = BigInt(RECORDS_PER_PHASE / PARTITIONS);
    await produce(edge, 0, RECORDS_PER_PHASE);
    await assertDelivered(kafka, edge, perPhase, 0n);
    const [first] = await appendedSequences(kafka, 0);

    // 1. Offline past the producer expiration: the records stay, the producer is forgotten.
    link.cut();
    await produce(edge, RECORDS_PER_PHASE, RECORDS_PER_PHASE);
    await waitFor('the central to forget the producer', async () => ((await rememberedProducers(kafka, 0)).length === 0 ? true : undefined));
    link.restore();
    await assertDelivered(kafka, edge, 2n * perPhase, 0n);
    // One producer id throughout, its sequence the record's offset: the mirror carried on where the tail said, and Kafka took it.
    const continued = await appendedSequences(kafka, 0);
    assert.equal(continued.filter((record) => record.producerId !== first!.producerId || record.sequence !== Number(record.offset)), [], 'the same producer id, its sequence carried on');
    assert.is(edge.logLines.filter((line) => line.msg === 'scanning the target tail again').length, 0, 'no batch refused');

    // 2. Offline past the retention too, with a power cut on the way: every record and the producer are gone at the central.
    // What the mirror will read back after the power cut, read here the way a standalone mirror reads it.
    const edgeGroups = kafkaClient(`127.0.0.1:${edge.ports.kafka}`, 'groups');
    try {
      await waitFor('the delivered offsets committed at the edge', async () => {
        for (let partition = 0; partition < PARTITIONS; partition += 1) if ((await edgeGroups.committedOffset('tributary-mirror', TOPIC, partition)) !== 2n * perPhase) return undefined;
        return true;
      });
    } finally {
      await edgeGroups.close();
    }
    link.cut();
    await produce(edge, 2 * RECORDS_PER_PHASE, RECORDS_PER_PHASE);
    await edge.kill();
    edge = await edge.restart({ config });
    await alterTargetRetention(kafka, ['--add-config', `retention.ms=${SHORT_RETENTION_MS}`]);
    const central = kafkaClient(kafka.bootstrap, 'retention');
    try {
      for (let partition = 0; partition < PARTITIONS; partition += 1) {
        await waitFor(`retention to empty ${TARGET}/${partition}`, async () => {
          const offsets = await central.offsets(TARGET, partition);
          return offsets.logStartOffset === 2n * perPhase && offsets.highWatermark === 2n * perPhase ? true : undefined;
        });
      }
    } finally {
      await central.close();
    }
    await waitFor('the central to forget the producer again', async () => ((await rememberedProducers(kafka, 0)).length === 0 ? true : undefined));
    // Back to the cluster's retention before the backlog arrives: its records are older than a second.
    await alterTargetRetention(kafka, ['--delete-config', 'retention.ms']);
    link.restore();
    await assertDelivered(kafka, edge, 3n * perPhase, 2n * perPhase);
    // Nothing of this edge left to continue: a new producer id, from sequence 0.
    const resumed = await appendedSequences(kafka, 0);
    assert.ok(resumed.length > 0 && resumed.every((record) => record.producerId !== first!.producerId && record.sequence === Number(record.offset - 2n * perPhase)), 'a new producer id from sequence 0');
    await edge.logLine((line) => line.event === 'resume-after-retention', 'the mirror resumed from the edge\'s delivered offsets');
  } finally {
    await edge.cleanup();
    await link.close();
    await kafka.cleanup();
  }
});

test.run();

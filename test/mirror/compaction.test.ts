// The mirror on a compacted topic, to Apache Kafka 4.4 as the central: an edge compacts a
// topic before any mirror reads it, so the log it then mirrors has offset gaps (inside and
// between batches); the mirror carries exactly the records kept, each with its own source
// offset, across the gaps, and goes on after them. Once the topic is mirrored, compaction
// stays below what the mirror delivered, so every value and tombstone reaches the central.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import { ApacheKafka } from '../helpers/apache-kafka.ts';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { assertExactCopy, header, kafkaClient, readPartition, waitFor } from './cluster.ts';

const EDGE = 'edge-compacting';
const TOPIC = 'state';
const KEYS = 12;
/** Polls (every 50 ms, so at least 2 s) without a new pass before the cleaner counts as caught up: ten of its 200 ms check intervals. */
const CLEANER_QUIET_CHECKS = 40;

/** Keys a round writes: all, then the first half, then the first quarter, so that the newest records of the keys lie in several batches and compaction thins them. */
function keysOf(round: number): number {
  return [KEYS, KEYS / 2, KEYS / 4][round % 3]!;
}

function recordsIn(from: number, to: number): number {
  let total = 0;
  for (let round = from; round < to; round++) total += keysOf(round);
  return total;
}

async function produceRounds(port: number, round: number, rounds: number): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${port}`], acks: -1 });
  try {
    for (let at = round; at < round + rounds; at++) {
      await producer.send({ messages: Array.from({ length: keysOf(at) }, (_, key) => ({ topic: TOPIC, partition: 0, key: Buffer.from(`device-${key}`), value: Buffer.from(`round-${at}-${'x'.repeat(120)}`) })) });
    }
  } finally {
    await producer.close();
  }
}

test('the mirror carries a compacted log across its offset gaps, exactly once, and compaction waits for it', async () => {
  const kafka = await ApacheKafka.start();
  const topics = { overrides: { [TOPIC]: { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 4096, minCleanableDirtyRatio: 0.01 } } };
  let edge = await Daemon.start({ config: { node: { id: EDGE }, storage: { cleanerCheckIntervalMs: 200 }, topics } });
  const centralReader = kafkaClient(kafka.bootstrap);
  try {
    await produceRounds(edge.ports.kafka!, 0, 30);
    await waitFor('the cleaner to compact the topic', async () => ((metricValue(await edge.metrics(), 'tributary_storage_cleaner_removed_records_total', { topic: TOPIC }) ?? 0) > 100 ? true : undefined));
    // Passes begin while the rounds are still produced: what the cleaner keeps is read once it
    // has caught up.
    let passes = -1;
    let quietChecks = 0;
    await waitFor('the cleaner to catch up', async () => {
      const now = metricValue(await edge.metrics(), 'tributary_storage_cleaner_passes_total', { topic: TOPIC }) ?? 0;
      quietChecks = now === passes ? quietChecks + 1 : 0;
      passes = now;
      return quietChecks >= CLEANER_QUIET_CHECKS ? true : undefined;
    });
    const edgeReader = kafkaClient(`127.0.0.1:${edge.ports.kafka}`);
    let compacted;
    try {
      compacted = await readPartition(edgeReader, TOPIC, 0);
    } finally {
      await edgeReader.close();
    }
    const gaps = compacted.filter((record, index) => record.offset !== (index === 0 ? 0n : compacted[index - 1]!.offset + 1n)).length;
    assert.ok(compacted.length < recordsIn(0, 30) && gaps > 0, `${compacted.length} of ${recordsIn(0, 30)} records left, ${gaps} gaps`);

    // Now mirrored: everything kept goes to the central, across the gaps.
    await edge.stop();
    edge = await edge.restart({ config: { node: { id: EDGE }, storage: { cleanerCheckIntervalMs: 200 }, topics, mirror: { target: { bootstrap: [kafka.bootstrap], replicationFactor: 1 }, topics: { include: [TOPIC] }, heartbeat: { intervalMs: 0 } } } });
    const target = `${EDGE}.${TOPIC}`;
    await waitFor('the compacted log on the central', async () => ((await centralReader.offsets(target, 0).catch(() => undefined))?.highWatermark === BigInt(compacted.length) ? true : undefined));
    assertExactCopy(compacted, await readPartition(centralReader, target, 0), `${target}/0 after the gaps`);

    // New rounds are mirrored as they come; the cleaner may remove only what was delivered.
    await produceRounds(edge.ports.kafka!, 30, 20);
    await waitFor('the new rounds on the central', async () => ((await centralReader.offsets(target, 0)).highWatermark === BigInt(compacted.length + recordsIn(30, 50)) ? true : undefined));
    const onCentral = await readPartition(centralReader, target, 0);
    const sourceOffsets = onCentral.map((record) => BigInt(header(record, 'tributary.offset') ?? '-1'));
    assert.ok(sourceOffsets.every((offset, index) => index === 0 || offset > sourceOffsets[index - 1]!), 'source offsets only increase: nothing twice, nothing out of order');
    assert.is(sourceOffsets.at(-1), BigInt(recordsIn(0, 50) - 1), 'up to the last record appended');
    assert.is(onCentral.length, compacted.length + recordsIn(30, 50), 'every record appended after the mirror started reaches the central once');
    const newest = onCentral.filter((record) => String(record.value).startsWith('round-48-') || String(record.value).startsWith('round-49-'));
    assert.is(newest.length, recordsIn(48, 50), 'the last rounds are on the central');
    assert.is(metricValue(await edge.metrics(), 'tributary_mirror_records_lost_total', { topic: TOPIC }) ?? 0, 0, 'no records lost');
  } finally {
    await centralReader.close();
    await edge.cleanup();
    await kafka.cleanup();
  }
});

test.run();

// The differential oracle: one set of protocol scenarios, run with raw requests (the
// project's own codecs) against Apache Kafka 4.4 (one node) and against the edge, and what
// each answered compared. Every difference is either gone or written down below with its
// reason, and in edge/kafka/README.md: a difference that appears, or one that disappears,
// fails the test until the list and the README say so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApacheKafka } from '../../../helpers/apache-kafka.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { assertNoServerErrors } from '../../../edge/kafka/clients/support/server-log.ts';
import { differencesBetween } from './differences.ts';
import { SCENARIOS } from './scenarios.ts';
import { Target } from './target.ts';

const README = join(import.meta.dirname, '../../../../edge/kafka/README.md');

/** Scenario → difference line → why the edge answers differently. */
const KNOWN_DIFFERENCES: Record<string, Record<string, string>> = {
  'metadata of an unknown topic, with and without auto-creation': {
    'withCreation[0].errorCode: edge 0, Kafka 3': 'The edge creates an auto-created topic before it answers; Kafka asks its controller and answers UNKNOWN_TOPIC_OR_PARTITION until the topic exists. Clients ask again either way.',
    'withCreation[0].partitions: edge 1, Kafka 0': 'The same: the edge describes the topic it just created.',
    'withCreation[0].hasId: edge true, Kafka false': 'The same: the edge names the new topic\'s id.',
  },
  'produce, fetch and list offsets of an unknown topic and of a partition that does not exist': {
    'produceUnknownTopic: edge 0, Kafka 3': 'kafka.autoCreateTopics also creates a topic a client produces to, for scripts and bridges that produce without asking for metadata first; Kafka creates topics only through Metadata.',
  },
  'fetch out of range: past the end and below the start': {
    'pastEnd.highWatermark: edge "3", Kafka "-1"': 'An OFFSET_OUT_OF_RANGE fetch carries the partition\'s real high watermark and log start, where Kafka sends -1: the standalone mirror reads the log start from it to skip what retention removed.',
    'pastEnd.logStartOffset: edge "0", Kafka "-1"': 'The same.',
    'negative.highWatermark: edge "3", Kafka "-1"': 'The same.',
    'negative.logStartOffset: edge "0", Kafka "-1"': 'The same.',
  },
  'produce v2 with a magic 1 message set, and v3 with a magic 2 batch': {
    'v2: edge 43, Kafka "connection closed"': 'Both advertise Produce from v0, because librdkafka turns compression off otherwise; Kafka 4.4 then closes the connection of a v0-v2 producer, the edge answers UNSUPPORTED_FOR_MESSAGE_FORMAT per partition and keeps it open.',
  },
  'find the coordinator of a transactional id': {
    'errorCode: edge 0, Kafka 15': 'Kafka creates its __transaction_state topic at the first such request and answers COORDINATOR_NOT_AVAILABLE until it exists; the edge keeps transaction state in its metadata database and answers at once. Clients retry either way.',
  },
  'describe configs of a topic: names, defaults, sources, read-only flags and types': {
    'flush.ms.value: edge "0", Kafka "9223372036854775807"': 'The edge\'s default flush policy is always: fdatasync before every acknowledgement, as a single node must; Kafka leaves flushing to the OS and relies on replicas.',
    'max.message.bytes.value: edge "1048576", Kafka "1048588"': 'The edge\'s default batch limit is a round 1 MiB (topics.defaults.maxMessageBytes); Kafka adds its 12 bytes of log overhead.',
    'segment.bytes.value: edge "67108864", Kafka "1073741824"': 'Segments of 64 MiB on a device\'s flash, so that retention frees space in steps a small disk can afford.',
    'tributary.flush.policy: not a Kafka config': 'The edge\'s own: the flush policy by name (always, interval, os).',
    'Kafka configs the edge does not report: compression.gzip.level, compression.lz4.level, compression.zstd.level, errors.deadletterqueue.group.enable, file.delete.delay.ms, flush.messages, follower.replication.throttled.replicas, index.interval.bytes, leader.replication.throttled.replicas, local.retention.bytes, local.retention.ms, max.decompressed.message.bytes, message.timestamp.after.max.ms, message.timestamp.before.max.ms, min.insync.replicas, preallocate, remote.copy.lag.bytes, remote.copy.lag.ms, remote.log.copy.disable, remote.log.delete.on.disable, remote.storage.enable, segment.index.bytes, segment.jitter.ms, unclean.leader.election.enable':
      'Configs of what the edge does not do (tiered storage, replication and its throttles, codec levels, timestamp bounds, preallocation, Streams dead-letter queues) or does its own way (index spacing): reporting a value it does not honour would mislead.',
  },
};

let kafka: ApacheKafka;
let daemon: Daemon;
let kafkaTarget: Target;
let edgeTarget: Target;

test.before(async () => {
  [kafka, daemon] = await Promise.all([ApacheKafka.start(), Daemon.start()]);
  kafkaTarget = await Target.connect('kafka', kafka.nodes[0]!.port);
  edgeTarget = await Target.connect('edge', daemon.ports.kafka!);
});

test.after(async () => {
  await kafkaTarget?.close();
  await edgeTarget?.close();
  await kafka?.cleanup();
  await daemon?.cleanup();
});

for (const scenario of SCENARIOS) {
  test(scenario.name, async () => {
    const theirs = await scenario.run(kafkaTarget);
    const ours = await scenario.run(edgeTarget);
    const differences = scenario.compare ? scenario.compare(theirs, ours) : differencesBetween(theirs, ours);
    assert.equal(differences, Object.keys(KNOWN_DIFFERENCES[scenario.name] ?? {}), `differences from Kafka 4.4\n  Kafka: ${JSON.stringify(theirs)}\n  edge:  ${JSON.stringify(ours)}`);
  });
}

test('every known difference is a scenario\'s, and edge/kafka/README.md states it', () => {
  const readme = readFileSync(README, 'utf8');
  for (const [scenario, lines] of Object.entries(KNOWN_DIFFERENCES)) {
    assert.ok(SCENARIOS.some((candidate) => candidate.name === scenario), `a scenario named "${scenario}"`);
    for (const line of Object.keys(lines)) assert.ok(readme.includes(line), `edge/kafka/README.md states: ${line}`);
  }
  assertNoServerErrors(daemon);
});

test.run();

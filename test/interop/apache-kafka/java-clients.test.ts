// Apache Kafka 4.4's Java clients against the edge, through a small program
// (java/ClientScenarios.java): the producer with its defaults (idempotent, acks=all); a
// three-member consumer group on the classic protocol that loses a member to SIGKILL; the
// AdminClient's topic, config, record, offset and group calls; and transactional producers
// (KIP-98) read by read_committed and read_uncommitted consumers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { compileJava, javaArguments, runJava } from '../../helpers/apache-kafka.ts';
import { assertInOrderPerKey, KeyedSequence, type KeyedRecord } from '../../edge/kafka/clients/support/keyed-records.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';
import { MemberProcess } from '../../edge/kafka/clients/support/member-process.ts';
import { checkRebalanceAfterKill, waitForEvenSplit } from '../../edge/kafka/clients/support/rebalance.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';

const PROGRAM = 'ClientScenarios';
const SOURCE = join(import.meta.dirname, 'java', `${PROGRAM}.java`);
/** A JVM client that has not finished by then is stuck; generous for a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 120_000;
const WAIT_MS = 60_000;

let daemon: Daemon;
let classes: { directory: string; remove: () => void };
const bootstrap = () => `127.0.0.1:${daemon.ports.kafka}`;

test.before(async () => {
  classes = await compileJava([SOURCE]);
  daemon = await Daemon.start({
    config: {
      // The members ask for 3 s sessions, so that a killed one is noticed in seconds.
      kafka: { groupMinSessionTimeoutMs: 1000 },
      topics: { overrides: { produced: { partitions: 3 }, shared: { partitions: 6 } } },
    },
  });
});

test.after(async () => {
  await daemon?.cleanup();
  classes?.remove();
});

interface Line { [field: string]: unknown }

async function scenario(mode: string, args: string[] = [], input = ''): Promise<Line[]> {
  const result = await runJava(PROGRAM, [mode, bootstrap(), ...args], { classpath: [classes.directory], input, timeoutMs: RUN_TIMEOUT_MS });
  assert.is(result.code, 0, `${PROGRAM} ${mode} exited ${result.code ?? result.signal}:\n${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);
}

async function produce(topic: string, records: Array<Partial<KeyedRecord> & { partition?: number }>): Promise<Line[]> {
  const lines = await scenario('produce', [topic], records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  assert.equal(lines.at(-1), { event: 'done', acked: records.length }, 'every record acknowledged');
  return lines;
}

test('the producer with its defaults (idempotent, acks=all) appends keyed records with headers in order, once each', async () => {
  const sequence = new KeyedSequence();
  const records = [0, 1, 2, 3].flatMap(() => sequence.round('java'));
  await produce('produced', records);
  const received: KeyedRecord[] = [];
  for (let partition = 0; partition < 3; partition++) {
    const stored = await readPartition(daemon.ports.kafka!, 'produced', partition);
    for (const batch of stored.batches) assert.ok(batch.header.producerId >= 0n && batch.header.baseSequence >= 0, 'an idempotent producer\'s batch: producer id and sequence set');
    for (const record of stored.records) received.push({ key: record.key!.toString(), value: record.value!.toString(), headers: Object.fromEntries(record.headers.map((header) => [header.key, header.value!.toString()])) });
  }
  assertInOrderPerKey(received, sequence.sent);
});

test('three classic-protocol members share six partitions; a member killed with SIGKILL has its partitions taken over', async () => {
  const args = javaArguments(PROGRAM, ['member', bootstrap(), 'shared', 'java-group'], { classpath: [classes.directory] });
  const members = [0, 1, 2].map((index) => new MemberProcess(`java member ${index}`, 'java', args));
  const produced: string[] = [];
  try {
    await waitForEvenSplit(members, 2, WAIT_MS);
    const produceRound = async (label: string): Promise<string[]> => {
      const records = [0, 1, 2, 3, 4, 5].flatMap((partition) => [0, 1, 2].map((index) => ({ partition, key: `p${partition}`, value: `${label}-p${partition}-${index}` })));
      await produce('shared', records);
      produced.push(...records.map((record) => record.value));
      return records.map((record) => record.value);
    };
    await checkRebalanceAfterKill(members, produceRound, WAIT_MS);
    // At least once: nothing lost, and a record read twice only if the killed member read it
    // and may not have committed it before it died.
    const [victim, ...survivors] = members;
    const readBy = (member: MemberProcess) => member.records.map((record) => record.value!);
    const all = members.flatMap(readBy);
    for (const value of produced) assert.ok(all.includes(value), `${value} was consumed`);
    const victimRead = new Set(readBy(victim!));
    const counts = new Map<string, number>();
    for (const value of all) counts.set(value, (counts.get(value) ?? 0) + 1);
    for (const [value, count] of counts) if (count > 1) assert.ok(victimRead.has(value), `${value} was read ${count} times, not redelivered from the killed member`);
    for (const member of survivors) assert.is(new Set(readBy(member)).size, readBy(member).length, `${member.name} read no record twice`);
    assertNoServerErrors(daemon);
  } finally {
    await Promise.all(members.map((member) => member.kill()));
  }
});

test('AdminClient: topics, configs, records, offsets and groups', async () => {
  const steps = new Map((await scenario('admin')).map((line) => [line.step as string, line]));
  const result = (step: string): any => {
    const line = steps.get(step);
    assert.ok(line !== undefined && !('error' in line), `${step}: ${JSON.stringify(line)}`);
    return line.result;
  };
  assert.is(result('createTopics'), 'ok');
  assert.ok(result('listTopics').includes('admin-topic') && result('listTopics').includes('assigned-topic'));
  assert.equal(result('describeTopics'), { 'admin-topic': ['0:1:1', '1:1:1'], 'assigned-topic': ['0:1:1', '1:1:1', '2:1:1'] }, 'partition:leader:replicas, the assigned topic as assigned');
  assert.is(result('createPartitions'), 3);
  const topicConfigs = result('describeTopicConfigs');
  assert.equal(topicConfigs['retention.ms'], { value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG', readOnly: false, type: 'LONG' });
  assert.equal(topicConfigs['compression.type'], { value: 'lz4', source: 'DYNAMIC_TOPIC_CONFIG', readOnly: false, type: 'STRING' });
  const brokerConfigs = result('describeBrokerConfigs');
  assert.equal(brokerConfigs['advertised.listeners'], { value: `PLAINTEXT://${bootstrap()}`, source: 'STATIC_BROKER_CONFIG', readOnly: true, type: 'LIST' });
  assert.equal(brokerConfigs['group.min.session.timeout.ms'], { value: '1000', source: 'STATIC_BROKER_CONFIG', readOnly: true, type: 'INT' });
  const altered = result('incrementalAlterConfigs');
  assert.equal([altered['retention.bytes'].value, altered['retention.bytes'].source], ['1048576', 'DYNAMIC_TOPIC_CONFIG']);
  assert.equal([altered['retention.ms'].value, altered['retention.ms'].source], ['604800000', 'DEFAULT_CONFIG']);
  assert.equal(steps.get('alterBrokerConfig'), { step: 'alterBrokerConfig', error: 'InvalidRequestException', message: 'broker configs cannot be changed while the broker runs (log.retention.ms): edit the YAML file and restart' });
  assert.is(result('produce'), 'ok');
  assert.equal(result('listOffsets'), { earliest: '0@-1', latest: '5@-1', maxTimestamp: '1@9000', forTimestamp: '1@9000' });
  assert.is(result('deleteRecords'), 2);
  assert.is(result('earliestAfterDelete'), 2);
  const [producer] = result('describeProducers');
  assert.equal([producer.epoch, producer.lastSequence, producer.producerId >= 0], [0, 4, true]);
  assert.equal(result('describeLogDirs')['totalBytesKnown'], true);
  assert.ok(result('describeLogDirs')['admin-topic-0'] > 0, 'partition 0 holds the records');
  assert.equal(result('listConsumerGroupOffsets'), { 'admin-topic-0': '3:from-admin', 'admin-topic-1': '0:' });
  assert.ok(result('listGroups').includes('admin-group'), 'an Empty consumer group');
  assert.equal(result('describeConsumerGroups'), { state: 'EMPTY', members: 0, type: 'CLASSIC' });
  assert.equal(result('deleteConsumerGroupOffsets'), { 'admin-topic-0': true });
  assert.equal(result('deleteConsumerGroups'), []);
  assert.equal(result('describeCluster'), {
    nodes: [`1@${bootstrap()}`], controller: 1, clusterIdKnown: true,
    operations: ['ALTER', 'ALTER_CONFIGS', 'CLUSTER_ACTION', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'IDEMPOTENT_WRITE'],
  });
  assert.not.ok(result('deleteTopics').includes('assigned-topic'));
  assertNoServerErrors(daemon);
});

test('transactions: read_committed consumers read committed records only and stop below an open transaction; read_uncommitted ones read everything', async () => {
  const lines = await scenario('transactional', ['java-transactions']);
  const events = new Map(lines.map((line) => [line.event as string, line]));
  assert.ok(events.has('produced'));
  const [committed, uncommitted] = lines.filter((line) => line.event !== 'produced');
  // Offsets: kept 0-2, commit marker 3, dropped 4-5, abort marker 6, later 7, commit marker 8, open 9.
  assert.equal(committed, { event: 'read_committed', endOffset: 9, position: 9, values: ['java-kept-0', 'java-kept-1', 'java-kept-2', 'java-later-0'] }, 'the last stable offset ends the read before the open transaction');
  assert.equal(uncommitted, { event: 'read_uncommitted', endOffset: 10, position: 10, values: ['java-kept-0', 'java-kept-1', 'java-kept-2', 'java-dropped-0', 'java-dropped-1', 'java-later-0', 'java-open-0'] });
  const afterAbort = lines.at(-1)!;
  assert.equal(afterAbort, { event: 'read_committed', endOffset: 11, position: 11, values: ['java-kept-0', 'java-kept-1', 'java-kept-2', 'java-later-0'] }, 'the aborted open transaction stays hidden');
  assertNoServerErrors(daemon);
});

test.run();

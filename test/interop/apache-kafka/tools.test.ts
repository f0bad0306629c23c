// Apache Kafka 4.4's command-line tools against the edge, each started through its main
// class as the kafka-*.sh scripts start it. Every test checks what the tool printed and what
// the edge holds afterwards (read back over the Kafka protocol), not just the exit status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../helpers/daemon.ts';
import { runJava, type JavaResult } from '../../helpers/apache-kafka.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { assertNoServerErrors } from '../../edge/kafka/clients/support/server-log.ts';

/** The main classes behind the kafka-*.sh scripts of Kafka 4.4. */
const Tool = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  configs: 'org.apache.kafka.tools.ConfigCommand',
  getOffsets: 'org.apache.kafka.tools.GetOffsetShell',
  deleteRecords: 'org.apache.kafka.tools.DeleteRecordsCommand',
  logDirs: 'org.apache.kafka.tools.LogDirsCommand',
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
} as const;
/** A tool that has not finished by then is stuck; generous for a loaded 2-core machine. */
const TOOL_TIMEOUT_MS = 120_000;

let daemon: Daemon;
let connection: RawKafkaConnection;
let scratch: string;
const bootstrap = () => `127.0.0.1:${daemon.ports.kafka}`;

test.before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'tributary-kafka-tools-'));
  daemon = await Daemon.start({ config: { topics: { overrides: { console: { partitions: 2 } } } } });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
});

test.after(async () => {
  await connection?.close();
  await daemon?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function tool(main: string, args: string[], input = ''): Promise<JavaResult> {
  const result = await runJava(main, ['--bootstrap-server', bootstrap(), ...args], { input, timeoutMs: TOOL_TIMEOUT_MS });
  assert.is(result.code, 0, `${main} ${args.join(' ')} exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

async function partitionCount(topic: string): Promise<number | undefined> {
  const metadata = await connection.request(3, 12, { topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const found = metadata.topics[0]!;
  return found.errorCode === ErrorCode.NONE ? found.partitions.length : undefined;
}

async function committedOffsets(group: string, topic: string): Promise<Record<number, bigint>> {
  const fetched = await connection.request(9, 8, { groupId: '', topics: null, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  const offsets: Record<number, bigint> = {};
  for (const partition of fetched.groups[0]!.topics.find((candidate) => candidate.name === topic)?.partitions ?? []) offsets[partition.partitionIndex] = partition.committedOffset;
  return offsets;
}

async function listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint> {
  const response = await connection.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }], timeoutMs: 5000 });
  return response.topics[0]!.partitions[0]!.offset;
}

test('kafka-topics creates, describes, lists, adds partitions to and deletes a topic', async () => {
  const created = await tool(Tool.topics, ['--create', '--topic', 'managed', '--partitions', '2', '--config', 'retention.ms=60000']);
  assert.match(created.stdout, 'Created topic managed.');
  assert.is(await partitionCount('managed'), 2);
  const described = await tool(Tool.topics, ['--describe', '--topic', 'managed']);
  assert.match(described.stdout, /Topic: managed\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=60000/);
  assert.match(described.stdout, /Partition: 1\tLeader: 1\tReplicas: 1\tIsr: 1/);
  await tool(Tool.topics, ['--alter', '--topic', 'managed', '--partitions', '4']);
  assert.is(await partitionCount('managed'), 4);
  assert.ok((await tool(Tool.topics, ['--list'])).stdout.split('\n').includes('managed'));
  await tool(Tool.topics, ['--delete', '--topic', 'managed']);
  assert.is(await partitionCount('managed'), undefined, 'gone from the edge');
});

test('kafka-console-producer and kafka-console-consumer; kafka-consumer-groups describes, resets, deletes offsets and the group', async () => {
  await tool(Tool.consoleProducer, ['--topic', 'console', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'], 'sensor-1:21.5\nsensor-2:19.0\nsensor-1:21.7\n');
  const stored = [...(await readPartition(daemon.ports.kafka!, 'console', 0)).records, ...(await readPartition(daemon.ports.kafka!, 'console', 1)).records];
  assert.equal(stored.map((record) => `${record.key}:${record.value}`).sort(), ['sensor-1:21.5', 'sensor-1:21.7', 'sensor-2:19.0']);

  const consumed = await tool(Tool.consoleConsumer, ['--topic', 'console', '--from-beginning', '--max-messages', '3', '--group', 'console-group', '--formatter-property', 'print.key=true']);
  assert.equal(consumed.stdout.trim().split('\n').sort(), ['sensor-1\t21.5', 'sensor-1\t21.7', 'sensor-2\t19.0']);
  assert.match(consumed.stderr, 'Processed a total of 3 messages');
  const committed = await committedOffsets('console-group', 'console');
  assert.is(Object.values(committed).reduce((sum, offset) => sum + offset, 0n), 3n, 'the consumer committed all three');

  const described = await tool(Tool.consumerGroups, ['--describe', '--group', 'console-group']);
  for (const [partition, offset] of Object.entries(committed)) {
    assert.match(described.stdout, new RegExp(`console-group\\s+console\\s+${partition}\\s+${offset}\\s+${offset}\\s+0\\s`), `partition ${partition} at its end, no lag`);
  }
  const reset = await tool(Tool.consumerGroups, ['--reset-offsets', '--to-earliest', '--group', 'console-group', '--topic', 'console', '--execute']);
  assert.match(reset.stdout, /console-group\s+console\s+0\s+0/);
  assert.equal(await committedOffsets('console-group', 'console'), { 0: 0n, 1: 0n });

  // One partition's offsets: a group left with none at all is forgotten at once here (edge/kafka/README.md).
  const deletedOffsets = await tool(Tool.consumerGroups, ['--delete-offsets', '--group', 'console-group', '--topic', 'console:0']);
  assert.match(deletedOffsets.stdout, /console\s+0\s+Successful/);
  assert.equal(await committedOffsets('console-group', 'console'), { 1: 0n });
  const deleted = await tool(Tool.consumerGroups, ['--delete', '--group', 'console-group']);
  assert.match(deleted.stdout, "Deletion of requested consumer groups ('console-group') was successful.");
  const groups = await connection.request(16, 5, { statesFilter: [], typesFilter: [] });
  assert.not.ok(groups.groups.some((group) => group.groupId === 'console-group'));
});

test('kafka-configs describes and alters topic configs and describes the broker\'s', async () => {
  await tool(Tool.topics, ['--create', '--topic', 'configured', '--partitions', '1']);
  const altered = await tool(Tool.configs, ['--alter', '--entity-type', 'topics', '--entity-name', 'configured', '--add-config', 'retention.bytes=1048576,compression.type=zstd']);
  assert.match(altered.stdout, 'Completed updating config for topic configured.');
  const described = await tool(Tool.configs, ['--describe', '--entity-type', 'topics', '--entity-name', 'configured']);
  assert.match(described.stdout, 'retention.bytes=1048576 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.bytes=1048576, DEFAULT_CONFIG:log.retention.bytes=-1}');
  assert.match(described.stdout, 'compression.type=zstd');
  const configs = await connection.request(32, 4, { resources: [{ resourceType: 2, resourceName: 'configured', configurationKeys: ['retention.bytes'] }], includeSynonyms: false, includeDocumentation: false });
  assert.is(configs.results[0]!.configs[0]!.value, '1048576', 'the edge holds the change');
  const broker = await tool(Tool.configs, ['--describe', '--entity-type', 'brokers', '--entity-name', '1', '--all']);
  assert.match(broker.stdout, `advertised.listeners=PLAINTEXT://${bootstrap()} sensitive=false synonyms={STATIC_BROKER_CONFIG:advertised.listeners=PLAINTEXT://${bootstrap()}}`);
});

test('kafka-get-offsets, kafka-delete-records and kafka-log-dirs', async () => {
  await tool(Tool.topics, ['--create', '--topic', 'trimmed', '--partitions', '1']);
  await tool(Tool.consoleProducer, ['--topic', 'trimmed'], 'a\nb\nc\nd\ne\n');
  assert.match((await tool(Tool.getOffsets, ['--topic', 'trimmed'])).stdout, 'trimmed:0:5');
  const file = join(scratch, 'delete-records.json');
  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'trimmed', partition: 0, offset: 3 }], version: 1 }));
  const deleted = await tool(Tool.deleteRecords, ['--offset-json-file', file]);
  assert.match(deleted.stdout, 'partition: trimmed-0\tlow_watermark: 3');
  assert.is(await listOffset('trimmed', 0, -2n), 3n, 'the edge\'s log starts at 3');
  assert.match((await tool(Tool.getOffsets, ['--topic', 'trimmed', '--time', '-2'])).stdout, 'trimmed:0:3');
  const logDirs = await tool(Tool.logDirs, ['--describe', '--topic-list', 'trimmed']);
  const report = JSON.parse(logDirs.stdout.split('\n').find((line) => line.startsWith('{'))!) as { brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; size: number }> }> }> };
  const [directory] = report.brokers[0]!.logDirs;
  assert.ok(directory!.logDir.startsWith(daemon.dataDir), 'the log directory under the data directory');
  assert.is(directory!.error, null);
  assert.equal(directory!.partitions.map((partition) => partition.partition), ['trimmed-0']);
  assert.ok(directory!.partitions[0]!.size > 0, 'the partition\'s bytes');
});

test('kafka-producer-perf-test and kafka-consumer-perf-test complete and count every record', async () => {
  const RECORDS = 2000;
  await tool(Tool.topics, ['--create', '--topic', 'perf', '--partitions', '2']);
  const produced = await runJava(Tool.producerPerformance, ['--topic', 'perf', '--num-records', String(RECORDS), '--record-size', '100', '--throughput', '-1', '--command-property', `bootstrap.servers=${bootstrap()}`], { timeoutMs: TOOL_TIMEOUT_MS });
  assert.is(produced.code, 0, produced.stderr);
  assert.match(produced.stdout, new RegExp(`^${RECORDS} records sent, `, 'm'));
  assert.is(await listOffset('perf', 0, -1n) + await listOffset('perf', 1, -1n), BigInt(RECORDS), 'the edge holds them all');
  const consumed = await tool(Tool.consumerPerformance, ['--topic', 'perf', '--num-records', String(RECORDS), '--group', 'perf-group']);
  const [header, values] = consumed.stdout.trim().split('\n').slice(-2).map((line) => line.split(',').map((field) => field.trim()));
  assert.is(values![header!.indexOf('data.consumed.in.nMsg')], String(RECORDS));
  assertNoServerErrors(daemon);
});

test.run();

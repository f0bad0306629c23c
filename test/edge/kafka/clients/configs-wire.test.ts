// Topic and broker configs on the wire: DescribeConfigs with Kafka's types, sources,
// synonyms and documentation; the broker's own configs (read-only, from the YAML file);
// AlterConfigs, which replaces a topic's settings, and IncrementalAlterConfigs, which changes
// one config at a time; CreateTopics with a manual replica assignment and compression.type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { CompressionCodes } from '../../../../shared/kafka/compression/codec.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { readPartition } from './support/log-reader.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const DESCRIBE_CONFIGS = 32;
const ALTER_CONFIGS = 33;
const INCREMENTAL_ALTER_CONFIGS = 44;
const CREATE_TOPICS = 19;
const TOPIC = 2;
const BROKER = 4;
const Source = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };
const Type = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 };
const Operation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

let daemon: Daemon;
let connection: RawKafkaConnection;

test.before(async () => {
  daemon = await Daemon.start({
    config: {
      kafka: { groupMinSessionTimeoutMs: 2000, groupMaxSessionTimeoutMs: 600_000 },
      topics: { defaults: { segmentBytes: 16 * 1024 * 1024 }, overrides: { settings: { partitions: 1, retentionMs: 3_600_000 }, ledger: { partitions: 1, cleanupPolicy: 'compact', minCompactionLagMs: 5000, deleteRetentionMs: 60_000 } } },
    },
  });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
});

test.after(async () => {
  await connection?.close();
  await daemon?.cleanup();
});

async function describe(version: number, resourceType: number, resourceName: string, keys: string[] | null = null) {
  const response = await connection.request(DESCRIBE_CONFIGS, version, {
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: true,
  });
  return response.results[0]!;
}

function byName<T extends { name: string }>(configs: T[]): Map<string, T> {
  return new Map(configs.map((config) => [config.name, config]));
}

test('DescribeConfigs of a topic: values with their source, Kafka type, synonyms and documentation', async () => {
  const result = await describe(4, TOPIC, 'settings');
  assert.is(result.errorCode, ErrorCode.NONE);
  const configs = byName(result.configs);
  const retention = configs.get('retention.ms')!;
  assert.equal({ value: retention.value, source: retention.configSource, type: retention.configType, readOnly: retention.readOnly }, { value: '3600000', source: Source.DYNAMIC_TOPIC_CONFIG, type: Type.LONG, readOnly: false });
  assert.equal(retention.synonyms.map((synonym) => [synonym.name, synonym.source]), [['retention.ms', Source.DYNAMIC_TOPIC_CONFIG], ['log.retention.ms', Source.DEFAULT_CONFIG]]);
  assert.ok((retention.documentation ?? '').length > 20, 'documented');
  const segment = configs.get('segment.bytes')!;
  assert.equal({ value: segment.value, source: segment.configSource, type: segment.configType }, { value: String(16 * 1024 * 1024), source: Source.STATIC_BROKER_CONFIG, type: Type.INT }, 'a default the YAML file sets');
  assert.equal({ value: configs.get('compression.type')!.value, source: configs.get('compression.type')!.configSource, type: configs.get('compression.type')!.configType }, { value: 'producer', source: Source.DEFAULT_CONFIG, type: Type.STRING });
  assert.equal({ value: configs.get('cleanup.policy')!.value, type: configs.get('cleanup.policy')!.configType, readOnly: configs.get('cleanup.policy')!.readOnly }, { value: 'delete', type: Type.LIST, readOnly: false });
  for (const config of result.configs) assert.is.not(config.configType, 0, `${config.name} has a type`);
  const ledger = byName((await describe(4, TOPIC, 'ledger')).configs);
  assert.equal(['cleanup.policy', 'min.compaction.lag.ms', 'delete.retention.ms', 'max.compaction.lag.ms', 'min.cleanable.dirty.ratio'].map((name) => [name, ledger.get(name)!.value, ledger.get(name)!.configSource]), [
    ['cleanup.policy', 'compact', Source.DYNAMIC_TOPIC_CONFIG],
    ['min.compaction.lag.ms', '5000', Source.DYNAMIC_TOPIC_CONFIG],
    ['delete.retention.ms', '60000', Source.DYNAMIC_TOPIC_CONFIG],
    ['max.compaction.lag.ms', '9223372036854775807', Source.DEFAULT_CONFIG],
    ['min.cleanable.dirty.ratio', '0.5', Source.DEFAULT_CONFIG],
  ], 'compaction settings from topics.overrides in the YAML file');
  // v0 carries only is_default; a subset of names leaves the rest out, unknown names are ignored.
  const v0 = await describe(0, TOPIC, 'settings', ['retention.ms', 'retention.bytes', 'no.such.config']);
  assert.equal(v0.configs.map((config) => [config.name, config.isDefault]), [['retention.bytes', true], ['retention.ms', false]]);
});

test('DescribeConfigs of the broker: its listeners and YAML settings, read-only, under Kafka names', async () => {
  const result = await describe(4, BROKER, '1');
  assert.is(result.errorCode, ErrorCode.NONE);
  const configs = byName(result.configs);
  const advertised = configs.get('advertised.listeners')!;
  assert.equal({ value: advertised.value, source: advertised.configSource, readOnly: advertised.readOnly, type: advertised.configType }, { value: `PLAINTEXT://127.0.0.1:${daemon.ports.kafka}`, source: Source.STATIC_BROKER_CONFIG, readOnly: true, type: Type.LIST });
  assert.equal([configs.get('group.min.session.timeout.ms')!.value, configs.get('group.min.session.timeout.ms')!.configSource], ['2000', Source.STATIC_BROKER_CONFIG]);
  assert.equal([configs.get('group.max.session.timeout.ms')!.value, configs.get('group.max.session.timeout.ms')!.configType], ['600000', Type.INT]);
  assert.equal([configs.get('auto.create.topics.enable')!.value, configs.get('auto.create.topics.enable')!.configSource, configs.get('auto.create.topics.enable')!.configType], ['true', Source.DEFAULT_CONFIG, Type.BOOLEAN]);
  assert.equal([configs.get('log.segment.bytes')!.value, configs.get('log.segment.bytes')!.configSource], [String(16 * 1024 * 1024), Source.STATIC_BROKER_CONFIG]);
  for (const config of result.configs) assert.ok(config.readOnly, `${config.name} is read-only`);
  const other = await describe(4, BROKER, '7');
  assert.is(other.errorCode, ErrorCode.INVALID_REQUEST, 'another broker id');
  const defaults = await describe(4, BROKER, '');
  assert.equal([defaults.errorCode, defaults.configs.length], [ErrorCode.NONE, 0], 'no dynamic cluster-wide defaults');
});

test('the group session timeout bounds come from the YAML file: a JoinGroup inside them is served, one outside refused', async () => {
  const join = (sessionTimeoutMs: number) => connection.request(11, 5, { groupId: 'bounds', sessionTimeoutMs, rebalanceTimeoutMs: 3000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
  assert.is((await join(1500)).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'under kafka.groupMinSessionTimeoutMs');
  assert.is((await join(700_000)).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'over kafka.groupMaxSessionTimeoutMs');
  // 3 s is below Kafka's default minimum of 6 s; v4+ first answers MEMBER_ID_REQUIRED with the id to use.
  const first = await join(3000);
  assert.is(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
});

test('IncrementalAlterConfigs sets, deletes and refuses one config at a time; the change is durable', async () => {
  const alter = (configs: Array<{ name: string; configOperation: number; value: string | null }>, resourceType = TOPIC, resourceName = 'settings') => connection.request(INCREMENTAL_ALTER_CONFIGS, 1, { resources: [{ resourceType, resourceName, configs }], validateOnly: false });
  assert.is((await alter([{ name: 'retention.bytes', configOperation: Operation.SET, value: '1048576' }, { name: 'compression.type', configOperation: Operation.SET, value: 'zstd' }])).responses[0]!.errorCode, ErrorCode.NONE);
  assert.is((await alter([{ name: 'retention.ms', configOperation: Operation.DELETE, value: null }])).responses[0]!.errorCode, ErrorCode.NONE);
  const bad = (await alter([{ name: 'segment.bytes', configOperation: Operation.SET, value: 'lots' }])).responses[0]!;
  assert.is(bad.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(bad.errorMessage ?? '', /segment\.bytes/);
  assert.is((await alter([{ name: 'cleanup.policy', configOperation: Operation.APPEND, value: 'compact' }, { name: 'min.cleanable.dirty.ratio', configOperation: Operation.SET, value: '0.25' }])).responses[0]!.errorCode, ErrorCode.NONE, 'compaction added to deletion');
  const compacted = byName((await describe(4, TOPIC, 'settings', ['cleanup.policy', 'min.cleanable.dirty.ratio'])).configs);
  assert.equal([compacted.get('cleanup.policy')!.value, compacted.get('cleanup.policy')!.configSource, compacted.get('min.cleanable.dirty.ratio')!.value, compacted.get('min.cleanable.dirty.ratio')!.configType], ['compact,delete', Source.DYNAMIC_TOPIC_CONFIG, '0.25', Type.DOUBLE]);
  assert.is((await alter([{ name: 'cleanup.policy', configOperation: Operation.SET, value: 'shred' }])).responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'not a policy');
  assert.is((await alter([{ name: 'retention.ms', configOperation: Operation.APPEND, value: '5' }])).responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'append to a number');
  assert.is((await alter([{ name: 'no.such.config', configOperation: Operation.SET, value: '1' }])).responses[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  assert.is((await alter([{ name: 'log.retention.ms', configOperation: Operation.SET, value: '1' }], BROKER, '1')).responses[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'broker configs are read-only');
  assert.is((await alter([], TOPIC, 'missing')).responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  await connection.close();
  await daemon.stop();
  // The YAML no longer declares the topic's retention, or the start would set it again.
  daemon = await daemon.restart({ config: { kafka: { groupMinSessionTimeoutMs: 2000, groupMaxSessionTimeoutMs: 600_000 }, topics: { defaults: { segmentBytes: 16 * 1024 * 1024 } } } });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  const configs = byName((await describe(4, TOPIC, 'settings')).configs);
  assert.equal([configs.get('retention.bytes')!.value, configs.get('retention.bytes')!.configSource], ['1048576', Source.DYNAMIC_TOPIC_CONFIG]);
  assert.equal([configs.get('compression.type')!.value, configs.get('compression.type')!.configSource], ['zstd', Source.DYNAMIC_TOPIC_CONFIG]);
  assert.equal([configs.get('retention.ms')!.value, configs.get('retention.ms')!.configSource], ['604800000', Source.DEFAULT_CONFIG], 'deleted: back to the default');
  assert.equal([configs.get('cleanup.policy')!.value, configs.get('min.cleanable.dirty.ratio')!.value], ['compact,delete', '0.25'], 'the cleanup policy survives a restart');
});

test('AlterConfigs replaces every setting of the topic: what it does not name reverts to the default', async () => {
  const response = await connection.request(ALTER_CONFIGS, 2, { resources: [{ resourceType: TOPIC, resourceName: 'settings', configs: [{ name: 'segment.ms', value: '3600000' }] }], validateOnly: false });
  assert.is(response.responses[0]!.errorCode, ErrorCode.NONE);
  const configs = byName((await describe(4, TOPIC, 'settings')).configs);
  assert.equal([configs.get('segment.ms')!.value, configs.get('segment.ms')!.configSource], ['3600000', Source.DYNAMIC_TOPIC_CONFIG]);
  assert.equal([configs.get('retention.bytes')!.value, configs.get('retention.bytes')!.configSource], ['-1', Source.DEFAULT_CONFIG]);
  const validateOnly = await connection.request(ALTER_CONFIGS, 0, { resources: [{ resourceType: TOPIC, resourceName: 'settings', configs: [{ name: 'segment.ms', value: '7200000' }] }], validateOnly: true });
  assert.is(validateOnly.responses[0]!.errorCode, ErrorCode.NONE);
  assert.is(byName((await describe(4, TOPIC, 'settings')).configs).get('segment.ms')!.value, '3600000', 'validate_only changes nothing');
});

test('CreateTopics: a manual replica assignment naming this broker, and compression.type; its response lists the configs', async () => {
  const create = (name: string, fields: { numPartitions?: number; replicationFactor?: number; assignments?: Array<{ partitionIndex: number; brokerIds: number[] }>; configs?: Array<{ name: string; value: string | null }> }) => connection.request(CREATE_TOPICS, 7, {
    topics: [{ name, numPartitions: fields.numPartitions ?? -1, replicationFactor: fields.replicationFactor ?? -1, assignments: fields.assignments ?? [], configs: fields.configs ?? [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const assigned = (await create('assigned', { assignments: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, brokerIds: [1] })), configs: [{ name: 'compression.type', value: 'gzip' }] })).topics[0]!;
  assert.equal([assigned.errorCode, assigned.numPartitions, assigned.replicationFactor], [ErrorCode.NONE, 3, 1]);
  assert.equal(assigned.configs!.find((config) => config.name === 'compression.type'), { name: 'compression.type', value: 'gzip', readOnly: false, configSource: Source.DYNAMIC_TOPIC_CONFIG, isSensitive: false });
  assert.is((await create('elsewhere', { assignments: [{ partitionIndex: 0, brokerIds: [2] }] })).topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.is((await create('twice', { assignments: [{ partitionIndex: 0, brokerIds: [1, 1] }] })).topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.is((await create('gap', { assignments: [{ partitionIndex: 1, brokerIds: [1] }] })).topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.is((await create('both', { numPartitions: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] })).topics[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  const compacted = (await create('compacted', { numPartitions: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.compaction.lag.ms', value: '0' }] })).topics[0]!;
  assert.equal([compacted.errorCode, compacted.configs!.find((config) => config.name === 'cleanup.policy')?.value], [ErrorCode.NONE, 'compact']);
  // A compacted topic refuses a record without a key with Kafka's INVALID_RECORD, naming it.
  const keyless = encodeRecordBatch({ records: [{ key: null, value: 'no key' }], producerId: -1n });
  const refused = (await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'compacted', partitionData: [{ index: 0, records: keyless }] }] })).responses[0]!.partitionResponses[0]!;
  assert.equal([refused.errorCode, /has no key/.test(refused.errorMessage ?? '')], [ErrorCode.INVALID_RECORD, true], refused.errorMessage ?? '');
  assert.is((await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'compacted', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: 'k', value: 'v' }], producerId: -1n }) }] }] })).responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  assert.is((await create('shredded', { numPartitions: 1, configs: [{ name: 'cleanup.policy', value: 'shred' }] })).topics[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  assert.is((await create('squeezed', { configs: [{ name: 'compression.type', value: 'brotli' }] })).topics[0]!.errorCode, ErrorCode.INVALID_CONFIG);

  // compression.type gzip: an uncompressed batch is stored gzip-compressed, records and producer fields kept.
  const batch = encodeRecordBatch({ records: [{ key: 'k', value: 'plain '.repeat(50), headers: [{ key: 'h', value: 'v' }], timestampMs: 1234 }], producerId: -1n });
  const produced = await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'assigned', partitionData: [{ index: 0, records: batch }] }] });
  assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  const stored = await readPartition(daemon.ports.kafka!, 'assigned', 0);
  assert.is(stored.batches[0]!.header.compression, CompressionCodes.gzip);
  assert.equal(stored.records.map((record) => [record.key?.toString(), record.value?.toString(), record.timestamp, record.headers[0]!.key]), [['k', 'plain '.repeat(50), 1234n, 'h']]);
  assertNoServerErrors(daemon);
});

test.run();

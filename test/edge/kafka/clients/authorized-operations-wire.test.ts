// Authorized operations on the wire (KIP-430): Metadata and DescribeCluster send them when
// the client asks, and, as Apache Kafka without an authorizer, they name every operation
// the resource type supports; librdkafka's admin API relies on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const METADATA = 3;
const DESCRIBE_CLUSTER = 60;
const OMITTED = -2147483648;
/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: Kafka 4.4 answers 3576. */
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11];
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE: Kafka 4.4 answers 8096. */
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12];

function operationsIn(bits: number): number[] {
  return Array.from({ length: 31 }, (_unused, code) => code).filter((code) => (bits & (1 << code)) !== 0);
}

let daemon: Daemon;
let connection: RawKafkaConnection;

test.before(async () => {
  daemon = await Daemon.start({ config: { topics: { overrides: { granted: { partitions: 1 } } } } });
  connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
});

test.after(async () => {
  await connection?.close();
  await daemon?.cleanup();
});

test('Metadata v8+ sends the topic operations, and v8-v10 the cluster operations, when asked; the omitted marker when not', async () => {
  for (const version of [8, 10, 12]) {
    const asked = await connection.request(METADATA, version, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    const topic = asked.topics.find((candidate) => candidate.name === 'granted')!;
    assert.equal(operationsIn(topic.topicAuthorizedOperations), TOPIC_OPERATIONS, `v${version} topic`);
    if (version <= 10) assert.equal(operationsIn(asked.clusterAuthorizedOperations), CLUSTER_OPERATIONS, `v${version} cluster`);
    const notAsked = await connection.request(METADATA, version, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.is(notAsked.topics.find((candidate) => candidate.name === 'granted')!.topicAuthorizedOperations, OMITTED, `v${version} topic, not asked`);
    assert.is(notAsked.clusterAuthorizedOperations, OMITTED, `v${version} cluster, not asked`);
  }
});

test('DescribeCluster sends the cluster operations when asked', async () => {
  for (const version of [0, 1]) {
    const asked = await connection.request(DESCRIBE_CLUSTER, version, { includeClusterAuthorizedOperations: true });
    assert.is(asked.errorCode, ErrorCode.NONE);
    assert.equal(operationsIn(asked.clusterAuthorizedOperations), CLUSTER_OPERATIONS, `v${version}`);
    const notAsked = await connection.request(DESCRIBE_CLUSTER, version, { includeClusterAuthorizedOperations: false });
    assert.is(notAsked.clusterAuthorizedOperations, OMITTED, `v${version}, not asked`);
  }
});

test.run();

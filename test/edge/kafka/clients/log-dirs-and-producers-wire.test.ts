// DescribeLogDirs and DescribeProducers on the wire: the node's one log directory with each
// partition's size and the file system's space, and the idempotent producers a partition
// keeps state for, with the sequence and timestamp of their last batch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

const DESCRIBE_LOG_DIRS = 35;
const DESCRIBE_PRODUCERS = 61;

test('log directory sizes and space; producers with their last sequence', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { held: { partitions: 2 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const { producerId, producerEpoch } = await connection.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const batch = encodeRecordBatch({ records: Array.from({ length: 3 }, (_unused, index) => ({ value: `r${index}`, timestampMs: 5000 + index })), producerId, producerEpoch, baseSequence: 0 });
    const produced = await connection.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'held', partitionData: [{ index: 1, records: batch }] }] });
    assert.is(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);

    for (const version of [1, 4, 5]) {
      const dirs = await connection.request(DESCRIBE_LOG_DIRS, version, { topics: null });
      const [directory] = dirs.results;
      assert.ok(directory!.logDir.startsWith(daemon.dataDir), `v${version}: the log directory is under the data directory`);
      const held = directory!.topics.find((topic) => topic.name === 'held')!;
      assert.equal(held.partitions.map((partition) => [partition.partitionIndex, partition.partitionSize, partition.offsetLag]), [[0, 0n, 0n], [1, BigInt(batch.length), 0n]], `v${version}`);
      if (version >= 4) assert.ok(directory!.totalBytes > 0n && directory!.usableBytes > 0n && directory!.usableBytes <= directory!.totalBytes, `v${version}: file system space`);
    }
    const some = await connection.request(DESCRIBE_LOG_DIRS, 4, { topics: [{ topic: 'held', partitions: [1, 9] }, { topic: 'missing', partitions: [0] }] });
    assert.equal(some.results[0]!.topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.partitionIndex)]), [['held', [1]]], 'what this node does not hold is left out');

    const producers = await connection.request(DESCRIBE_PRODUCERS, 0, { topics: [{ name: 'held', partitionIndexes: [0, 1, 5] }] });
    const [empty, active, missing] = producers.topics[0]!.partitions;
    assert.equal([empty!.errorCode, empty!.activeProducers], [ErrorCode.NONE, []]);
    assert.equal(active!.activeProducers, [{ producerId, producerEpoch, lastSequence: 2, lastTimestamp: 5002n, coordinatorEpoch: -1, currentTxnStartOffset: -1n }]);
    assert.is(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();

// DescribeTopicPartitions on the wire (KIP-966): topics in name order, paged by
// response_partition_limit with a cursor, missing topics named, every topic's authorized
// operations given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const DESCRIBE_TOPIC_PARTITIONS = 75;

test('pages through the partitions of every topic with a cursor', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { beta: { partitions: 2 }, alpha: { partitions: 3 }, gamma: { partitions: 1 } } } } });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const page = (topics: string[], responsePartitionLimit: number, cursor: { topicName: string; partitionIndex: number } | null) => connection.request(DESCRIBE_TOPIC_PARTITIONS, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit, cursor });
    const seen: string[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const response = await page([], 2, cursor);
      for (const topic of response.topics) {
        assert.is(topic.errorCode, ErrorCode.NONE);
        assert.is(topic.topicAuthorizedOperations, 3576, 'every topic operation, as Kafka without an authorizer answers');
        for (const partition of topic.partitions) seen.push(`${topic.name}-${partition.partitionIndex}:${partition.leaderId}`);
      }
      cursor = response.nextCursor;
      if (cursor === null) break;
    }
    assert.equal(seen, ['alpha-0:1', 'alpha-1:1', 'alpha-2:1', 'beta-0:1', 'beta-1:1', 'gamma-0:1']);
    const named = await page(['gamma', 'missing', 'alpha'], 2000, null);
    assert.equal(named.topics.map((topic) => [topic.name, topic.errorCode, topic.partitions.length]), [['alpha', ErrorCode.NONE, 3], ['gamma', ErrorCode.NONE, 1], ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]]);
    const stray = await page(['alpha', 'gamma'], 10, { topicName: 'beta', partitionIndex: 0 });
    assert.equal(stray.topics.map((topic) => [topic.name, topic.errorCode]), [['gamma', ErrorCode.INVALID_REQUEST]], 'a cursor outside the topics asked for');
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();

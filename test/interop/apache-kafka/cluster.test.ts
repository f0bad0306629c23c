// The Apache Kafka test helper itself: a one-node and a three-node KRaft cluster start,
// take a topic with Kafka's own kafka-topics tool, survive the loss of a node, and leave
// nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { ApacheKafka, runJava } from '../../helpers/apache-kafka.ts';

const TOPICS = 'org.apache.kafka.tools.TopicCommand';

test('one node: kafka-topics creates and describes a topic', async () => {
  const kafka = await ApacheKafka.start();
  try {
    const created = await runJava(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'smoke', '--partitions', '3']);
    assert.is(created.code, 0, created.stderr);
    const described = await runJava(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'smoke']);
    assert.is(described.code, 0, described.stderr);
    assert.match(described.stdout, /PartitionCount: 3/);
  } finally {
    await kafka.cleanup();
  }
  assert.not.ok(existsSync(kafka.directory), 'log directories removed');
});

test('three nodes: replication factor 3, and a killed node comes back', async () => {
  const kafka = await ApacheKafka.start({ nodes: 3 });
  try {
    const created = await runJava(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'replicated', '--partitions', '2']);
    assert.is(created.code, 0, created.stderr);
    const described = await runJava(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'replicated']);
    assert.match(described.stdout, /ReplicationFactor: 3/);
    assert.match(kafka.properties(1), /min\.insync\.replicas=2/);
    await kafka.kill(2);
    await kafka.restart(2);
    const after = await runJava(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'replicated']);
    assert.is(after.code, 0, after.stderr);
  } finally {
    await kafka.cleanup();
  }
});

test.run();

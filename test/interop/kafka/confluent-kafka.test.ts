// python3-confluent-kafka 1.7 (librdkafka 2.0.2, Debian) against the real daemon, driven
// through confluent_kafka_client.py: every codec, consumer groups with a member killed,
// offsets across restarts, and an idempotent producer whose connection is cut mid-stream.
import { test } from 'uvu';
import { definePythonClientTests } from './support/python-client-tests.ts';

await definePythonClientTests({ name: 'confluent-kafka', module: 'confluent_kafka', script: 'confluent_kafka_client.py', topicPrefix: 'confluent' });

test.run();

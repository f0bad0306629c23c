// python3-confluent-kafka 1.7 (librdkafka 2.0.2, Debian 12), the version devices keep for
// years, against the real daemon through python/confluent_kafka_client.py: every scenario
// of support/client-scenarios.ts.
import { test } from 'uvu';
import { debianPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => debianPythonClient('confluent-kafka', 'confluent_kafka', 'confluent_kafka_client.py'), 'confluent-debian', import.meta.filename);

test.run();

// The newest confluent-kafka from PyPI (a recent librdkafka; python/requirements.txt pins
// it) against the real daemon through python/confluent_kafka_client.py, the same script the
// Debian version runs: every scenario of support/client-scenarios.ts.
import { test } from 'uvu';
import { pypiPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => pypiPythonClient('confluent-kafka', 'confluent_kafka_client.py'), 'confluent-pypi', import.meta.filename);

test.run();

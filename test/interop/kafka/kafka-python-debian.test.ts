// python3-kafka 2.0.2 (Debian 12) against the real daemon through
// python/kafka_python_client.py: every scenario of support/client-scenarios.ts it can run.
// Its codecs are gzip, and snappy, lz4 and zstd with python3-snappy, python3-lz4 and
// python3-zstandard (.ci/run installs them); it has no idempotent producer. A gap is said
// on every run. Its SASL PLAIN is KIP-43's original exchange: SaslHandshake v0, then the
// token bare.
import { test } from 'uvu';
import { debianPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => debianPythonClient('kafka-python', 'kafka', 'kafka_python_client.py'), 'kafka-python-debian', import.meta.filename);

test.run();

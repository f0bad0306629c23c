// python3-kafka 2.0.2 (Debian 12) against the real daemon through
// python/kafka_python_client.py: every scenario of support/client-scenarios.ts it can run.
// Its codecs are gzip, and snappy, lz4 and zstd with python3-snappy, python3-lz4 and
// python3-zstandard (.ci/run installs them); it has no idempotent producer. A gap is said
// on every run.
import { test } from 'uvu';
import { debianPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => debianPythonClient('kafka-python', 'kafka_python_client.py'), 'kafka-python-debian', import.meta.filename, {
  // kafka-python 2.0.2 sends SaslHandshake v0 and then the PLAIN token bare, framed only by
  // its size (KIP-43's original exchange); the edge advertises SaslHandshake v0 but reads
  // the token as a Kafka request and closes the connection.
  'sasl-plain': {
    reason: 'the edge does not serve the bare SASL token that follows SaslHandshake v0 (KIP-43), which kafka-python 2.0.2 sends; it closes the connection',
    symptom: /_try_authenticate_plain[\s\S]*Connection reset during recv/,
  },
});

test.run();

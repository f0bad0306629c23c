// python3-kafka 2.0.2 (Debian) against the real daemon, driven through
// kafka_python_client.py: every codec the installation supports (gzip always; snappy, lz4
// and zstd only with python3-snappy, python3-lz4 and python3-zstandard), consumer groups
// with a member killed, and offsets across restarts. kafka-python 2.0.2 has no idempotent
// producer: a test says so on every run, and a newer kafka-python gets the idempotent
// retry scenario as well.
import { test } from 'uvu';
import { definePythonClientTests } from './support/python-client-tests.ts';

await definePythonClientTests({ name: 'kafka-python', module: 'kafka', script: 'kafka_python_client.py', topicPrefix: 'kafka-python' });

test.run();

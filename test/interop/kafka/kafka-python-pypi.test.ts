// The newest kafka-python from PyPI (python/requirements.txt pins it, with its codecs)
// against the real daemon through python/kafka_python_client.py, the same script the Debian
// version runs: every scenario of support/client-scenarios.ts.
import { test } from 'uvu';
import { pypiPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => pypiPythonClient('kafka-python', 'kafka_python_client.py'), 'kafka-python-pypi', import.meta.filename);

test.run();

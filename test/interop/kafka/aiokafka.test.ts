// aiokafka from PyPI (python/requirements.txt pins it, with its codecs) against the real
// daemon through python/aiokafka_client.py: every scenario of support/client-scenarios.ts.
import { test } from 'uvu';
import { pypiPythonClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => pypiPythonClient('aiokafka', 'aiokafka_client.py'), 'aiokafka', import.meta.filename);

test.run();

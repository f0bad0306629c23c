// IBM sarama (go/go.sum pins the version) against the real daemon through the Go program in
// go/sarama: every scenario of support/client-scenarios.ts.
import { test } from 'uvu';
import { goClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => goClient('sarama'), 'sarama', import.meta.filename);

test.run();

// franz-go (go/go.sum pins the version) against the real daemon through the Go program in
// go/franz-go: every scenario of support/client-scenarios.ts. franz-go 1.19-1.21 moved to
// the KIP-848 consumer protocol by themselves when a broker advertised
// ConsumerGroupHeartbeat; the group scenario shows the edge keeps it on the classic one.
import { test } from 'uvu';
import { goClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

await defineClientScenarios(() => goClient('franz-go'), 'franz-go', import.meta.filename);

test.run();

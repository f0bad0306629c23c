// franz-go (go/go.sum pins the version) against the real daemon through the Go program in
// go/franz-go: every scenario of support/client-scenarios.ts. franz-go 1.19-1.21 move to
// the KIP-848 consumer protocol by themselves when a broker advertises
// ConsumerGroupHeartbeat (1.22 made it opt-in), so the edge, which serves only the classic
// group protocol, must not advertise it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { goClient } from './support/client-program.ts';
import { defineClientScenarios } from './support/client-scenarios.ts';

const API_VERSIONS_KEY = 18;
/** KIP-848's group heartbeat; advertising it moves franz-go 1.19-1.21 off the classic protocol. */
const CONSUMER_GROUP_HEARTBEAT_KEY = 68;

test('the edge does not advertise ConsumerGroupHeartbeat (KIP-848), so every franz-go release stays on the classic group protocol', async () => {
  const daemon = await Daemon.start();
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const response = await connection.request(API_VERSIONS_KEY, 3, { clientSoftwareName: 'franz-go', clientSoftwareVersion: 'v1.21.0' });
    const advertised = response.apiKeys.map((entry) => entry.apiKey);
    assert.ok(advertised.includes(API_VERSIONS_KEY) && advertised.length > 10, `a full ApiVersions answer: ${advertised.join(', ')}`);
    assert.not.ok(advertised.includes(CONSUMER_GROUP_HEARTBEAT_KEY), 'ConsumerGroupHeartbeat is not advertised');
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

await defineClientScenarios(() => goClient('franz-go'), 'franz-go', import.meta.filename);

test.run();

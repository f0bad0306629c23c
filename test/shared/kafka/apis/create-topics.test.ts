import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopicsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs CreateTopics requests decode', async () => {
  for (const version of kafkajsVersions('createTopics')) {
    const request = await decodeKafkajsRequest('createTopics', version, {
      topics: [
        { topic: 'sensors', numPartitions: 3, replicationFactor: 1, replicaAssignment: [], configEntries: [{ name: 'retention.ms', value: '86400000' }] },
        { topic: 'manual', numPartitions: -1, replicationFactor: -1, replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [] },
      ],
      validateOnly: true,
      timeout: 7000,
    });
    assert.equal(request.body, expectedValue(createTopicsApi.request, {
      topics: [
        { name: 'sensors', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '86400000' }] },
        { name: 'manual', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] },
      ],
      timeoutMs: 7000,
      validateOnly: true,
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka CreateTopics requests decode', () => {
  const versions = platformaticVersions('createTopics', createTopicsApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('createTopics', version, [[
      { name: 'sensors', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [{ name: 'cleanup.policy', value: 'delete' }] },
    ], 7000, true]);
    assert.equal(request.body, expectedValue(createTopicsApi.request, {
      topics: [{ name: 'sensors', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [{ name: 'cleanup.policy', value: 'delete' }] }],
      timeoutMs: 7000,
      validateOnly: true,
    }, version), `v${version}`);
  }
});

test('our CreateTopics responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(createTopicsApi, 'createTopics');
  checkPlatformaticResponses(createTopicsApi, 'createTopics');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPartitionsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs writes an empty assignment list as null (let the broker assign).
test('kafkajs CreatePartitions requests decode', async () => {
  for (const version of kafkajsVersions('createPartitions')) {
    const request = await decodeKafkajsRequest('createPartitions', version, {
      topicPartitions: [{ topic: 'sensors', count: 6, assignments: [[1], [1]] }, { topic: 'logs', count: 2 }],
      validateOnly: false,
      timeout: 4000,
    });
    assert.equal(request.body, expectedValue(createPartitionsApi.request, {
      topics: [{ name: 'sensors', count: 6, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }, { name: 'logs', count: 2, assignments: null }],
      timeoutMs: 4000,
      validateOnly: false,
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka CreatePartitions requests decode', () => {
  const versions = platformaticVersions('createPartitions', createPartitionsApi);
  assert.equal(versions, [0, 1, 2, 3]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('createPartitions', version, [[{ name: 'sensors', count: 6, assignments: [{ brokerIds: [1] }] }], 4000, true]);
    assert.equal(request.body, expectedValue(createPartitionsApi.request, {
      topics: [{ name: 'sensors', count: 6, assignments: [{ brokerIds: [1] }] }],
      timeoutMs: 4000,
      validateOnly: true,
    }, version), `v${version}`);
  }
});

test('our CreatePartitions responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(createPartitionsApi, 'createPartitions');
  checkPlatformaticResponses(createPartitionsApi, 'createPartitions');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZERO_UUID } from '../../../../shared/kafka/wire/index.ts';
import { deleteTopicsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs DeleteTopics requests decode', async () => {
  for (const version of kafkajsVersions('deleteTopics')) {
    const request = await decodeKafkajsRequest('deleteTopics', version, { topics: ['old-a', 'old-b'], timeout: 9000 });
    assert.equal(request.body, expectedValue(deleteTopicsApi.request, { topicNames: ['old-a', 'old-b'], timeoutMs: 9000 }, version), `v${version}`);
  }
});

test('@platformatic/kafka DeleteTopics requests decode: names before v6, name or id from v6', () => {
  const versions = platformaticVersions('deleteTopics', deleteTopicsApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('deleteTopics', version, [[{ name: 'old-a' }, { name: 'old-b' }], 9000]);
    assert.equal(request.body, expectedValue(deleteTopicsApi.request, {
      topics: [{ name: 'old-a', topicId: ZERO_UUID }, { name: 'old-b', topicId: ZERO_UUID }],
      topicNames: ['old-a', 'old-b'],
      timeoutMs: 9000,
    }, version), `v${version}`);
  }
});

test('our DeleteTopics responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(deleteTopicsApi, 'deleteTopics');
  checkPlatformaticResponses(deleteTopicsApi, 'deleteTopics');
});

test.run();

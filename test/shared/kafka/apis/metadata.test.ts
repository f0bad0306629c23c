import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey, ZERO_UUID } from '../../../../shared/kafka/wire/index.ts';
import { metadataApi } from '../../../../shared/kafka/apis/index.ts';
import { expectedValue } from './samples.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';

test('kafkajs Metadata requests decode', async () => {
  for (const version of kafkajsVersions('metadata')) {
    const request = await decodeKafkajsRequest('metadata', version, { topics: ['alpha', 'beta'], allowAutoTopicCreation: false });
    const expected = expectedValue(metadataApi.request, {
      topics: [{ topicId: ZERO_UUID, name: 'alpha' }, { topicId: ZERO_UUID, name: 'beta' }],
      allowAutoTopicCreation: false,
    }, version);
    assert.equal(request.body, expected, `v${version}`);
  }
});

test('@platformatic/kafka Metadata requests decode', () => {
  const versions = platformaticVersions('metadata', metadataApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('metadata', version, [['alpha', 'beta'], false, true, true]);
    const expected = expectedValue(metadataApi.request, {
      topics: [{ topicId: ZERO_UUID, name: 'alpha' }, { topicId: ZERO_UUID, name: 'beta' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: true,
    }, version);
    assert.equal(request.body, expected, `v${version}`);
  }
});

test('our Metadata responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(metadataApi, 'metadata');
  checkPlatformaticResponses(metadataApi, 'metadata');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeConfigsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs writes an empty list of config names as null ("all configs").
test('kafkajs DescribeConfigs requests decode', async () => {
  for (const version of kafkajsVersions('describeConfigs')) {
    const request = await decodeKafkajsRequest('describeConfigs', version, {
      resources: [{ type: 2, name: 'sensors', configNames: ['retention.ms'] }, { type: 4, name: '1' }],
      includeSynonyms: true,
    });
    assert.equal(request.body, expectedValue(describeConfigsApi.request, {
      resources: [{ resourceType: 2, resourceName: 'sensors', configurationKeys: ['retention.ms'] }, { resourceType: 4, resourceName: '1', configurationKeys: null }],
      includeSynonyms: true,
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka DescribeConfigs requests decode', () => {
  const versions = platformaticVersions('describeConfigs', describeConfigsApi);
  assert.equal(versions, [0, 1, 2, 3, 4]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('describeConfigs', version, [[{ resourceType: 2, resourceName: 'sensors', configurationKeys: null }], true, true]);
    assert.equal(request.body, expectedValue(describeConfigsApi.request, {
      resources: [{ resourceType: 2, resourceName: 'sensors', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: true,
    }, version), `v${version}`);
  }
});

test('our DescribeConfigs responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(describeConfigsApi, 'describeConfigs');
  checkPlatformaticResponses(describeConfigsApi, 'describeConfigs');
});

test.run();

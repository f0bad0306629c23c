import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alterConfigsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs AlterConfigs requests decode', async () => {
  for (const version of kafkajsVersions('alterConfigs')) {
    const request = await decodeKafkajsRequest('alterConfigs', version, {
      resources: [{ type: 2, name: 'sensors', configEntries: [{ name: 'retention.ms', value: '60000' }] }],
      validateOnly: true,
    });
    assert.equal(request.body, expectedValue(alterConfigsApi.request, {
      resources: [{ resourceType: 2, resourceName: 'sensors', configs: [{ name: 'retention.ms', value: '60000' }] }],
      validateOnly: true,
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka AlterConfigs requests decode', () => {
  const versions = platformaticVersions('alterConfigs', alterConfigsApi);
  assert.equal(versions, [0, 1, 2]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('alterConfigs', version, [[{ resourceType: 2, resourceName: 'sensors', configs: [{ name: 'segment.ms', value: '3600000' }] }], false]);
    assert.equal(request.body, expectedValue(alterConfigsApi.request, {
      resources: [{ resourceType: 2, resourceName: 'sensors', configs: [{ name: 'segment.ms', value: '3600000' }] }],
      validateOnly: false,
    }, version), `v${version}`);
  }
});

test('our AlterConfigs responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(alterConfigsApi, 'alterConfigs');
  checkPlatformaticResponses(alterConfigsApi, 'alterConfigs');
});

test.run();

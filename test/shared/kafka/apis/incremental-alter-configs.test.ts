import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { incrementalAlterConfigsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement IncrementalAlterConfigs.
test('@platformatic/kafka IncrementalAlterConfigs requests decode', () => {
  const versions = platformaticVersions('incrementalAlterConfigs', incrementalAlterConfigsApi);
  assert.equal(versions, [0, 1]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('incrementalAlterConfigs', version, [[{ resourceType: 2, resourceName: 'sensors', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }], true]);
    assert.equal(request.body, expectedValue(incrementalAlterConfigsApi.request, {
      resources: [{ resourceType: 2, resourceName: 'sensors', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }],
      validateOnly: true,
    }, version), `v${version}`);
  }
});

test('our IncrementalAlterConfigs responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(incrementalAlterConfigsApi, 'incrementalAlterConfigs');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeLogDirsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement DescribeLogDirs.
test('@platformatic/kafka DescribeLogDirs requests decode', () => {
  const versions = platformaticVersions('describeLogDirs', describeLogDirsApi);
  assert.equal(versions, [1, 2, 3, 4]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('describeLogDirs', version, [[{ name: 'sensors', partitions: [0, 2] }]]);
    assert.equal(request.body, expectedValue(describeLogDirsApi.request, { topics: [{ topic: 'sensors', partitions: [0, 2] }] }, version), `v${version}`);
  }
});

test('our DescribeLogDirs responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(describeLogDirsApi, 'describeLogDirs');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeClusterApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement DescribeCluster (it is flexible from v0).
test('@platformatic/kafka DescribeCluster requests decode', () => {
  const versions = platformaticVersions('describeCluster', describeClusterApi);
  assert.equal(versions, [0, 1]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('describeCluster', version, [true, 2]);
    assert.equal(request.body, expectedValue(describeClusterApi.request, { includeClusterAuthorizedOperations: true, endpointType: 2 }, version), `v${version}`);
  }
});

test('our DescribeCluster responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(describeClusterApi, 'describeCluster');
});

test.run();

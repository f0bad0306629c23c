import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeProducersApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement DescribeProducers.
test('@platformatic/kafka DescribeProducers requests decode', () => {
  assert.equal(platformaticVersions('describeProducers', describeProducersApi), [0]);
  const request = decodePlatformaticRequest('describeProducers', 0, [[{ name: 'sensors', partitionIndexes: [1, 3] }]]);
  assert.equal(request.body, expectedValue(describeProducersApi.request, { topics: [{ name: 'sensors', partitionIndexes: [1, 3] }] }, 0));
});

test('our DescribeProducers responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(describeProducersApi, 'describeProducers');
});

test.run();

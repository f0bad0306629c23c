import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTopicPartitionsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement DescribeTopicPartitions.
test('@platformatic/kafka DescribeTopicPartitions requests decode', () => {
  assert.equal(platformaticVersions('describeTopicPartitions', describeTopicPartitionsApi), [0]);
  const request = decodePlatformaticRequest('describeTopicPartitions', 0, [[{ name: 'sensors' }], 100, { topicName: 'sensors', partitionIndex: 4 }]);
  assert.equal(request.body, expectedValue(describeTopicPartitionsApi.request, { topics: [{ name: 'sensors' }], responsePartitionLimit: 100, cursor: { topicName: 'sensors', partitionIndex: 4 } }, 0));
});

test('our DescribeTopicPartitions responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(describeTopicPartitionsApi, 'describeTopicPartitions');
});

test.run();

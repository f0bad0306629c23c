import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { offsetForLeaderEpochApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement OffsetForLeaderEpoch; librdkafka and @platformatic/kafka do.
test('@platformatic/kafka OffsetForLeaderEpoch requests decode', () => {
  const versions = platformaticVersions('offsetForLeaderEpoch', offsetForLeaderEpochApi);
  assert.equal(versions, [0, 1, 2, 3, 4]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('offsetForLeaderEpoch', version, [-1, [{ name: 'sensors', partitions: [{ partitionIndex: 2, currentLeaderEpoch: 5, leaderEpoch: 4 }] }]]);
    assert.equal(request.body, expectedValue(offsetForLeaderEpochApi.request, {
      replicaId: -1,
      topics: [{ topic: 'sensors', partitions: [{ partition: 2, currentLeaderEpoch: 5, leaderEpoch: 4 }] }],
    }, version), `v${version}`);
  }
});

test('our OffsetForLeaderEpoch responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(offsetForLeaderEpochApi, 'offsetForLeaderEpoch');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listOffsetsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs ListOffsets requests decode', async () => {
  for (const version of kafkajsVersions('listOffsets')) {
    const request = await decodeKafkajsRequest('listOffsets', version, {
      replicaId: -1, isolationLevel: 1, topics: [{ topic: 'sensors', partitions: [{ partition: 0, timestamp: -1 }, { partition: 1, timestamp: -2 }] }],
    });
    assert.equal(request.body, expectedValue(listOffsetsApi.request, {
      replicaId: -1, isolationLevel: 1,
      topics: [{ name: 'sensors', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 1, timestamp: -2n, maxNumOffsets: 1 }] }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka ListOffsets requests decode', () => {
  const versions = platformaticVersions('listOffsets', listOffsetsApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('listOffsets', version, [-1, 1, [{ name: 'sensors', partitions: [{ partitionIndex: 2, currentLeaderEpoch: 4, timestamp: 1700000000000n }] }]]);
    assert.equal(request.body, expectedValue(listOffsetsApi.request, {
      replicaId: -1, isolationLevel: 1,
      topics: [{ name: 'sensors', partitions: [{ partitionIndex: 2, currentLeaderEpoch: 4, timestamp: 1700000000000n, maxNumOffsets: 1 }] }],
    }, version), `v${version}`);
  }
});

test('our ListOffsets responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(listOffsetsApi, 'listOffsets');
  checkPlatformaticResponses(listOffsetsApi, 'listOffsets');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { offsetFetchApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs OffsetFetch requests decode', async () => {
  for (const version of kafkajsVersions('offsetFetch')) {
    const request = await decodeKafkajsRequest('offsetFetch', version, { groupId: 'group-a', topics: [{ topic: 'sensors', partitions: [{ partition: 0 }, { partition: 3 }] }] });
    assert.equal(request.body, expectedValue(offsetFetchApi.request, {
      groupId: 'group-a', topics: [{ name: 'sensors', partitionIndexes: [0, 3] }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka OffsetFetch requests decode: one group before v8, a list from v8', () => {
  const versions = platformaticVersions('offsetFetch', offsetFetchApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const version of versions) {
    const groups = [{ groupId: 'group-a', memberId: 'member-1', memberEpoch: 4, topics: [{ name: 'sensors', partitionIndexes: [0, 3] }] }];
    const request = decodePlatformaticRequest('offsetFetch', version, [groups, true]);
    assert.equal(request.body, expectedValue(offsetFetchApi.request, {
      groupId: 'group-a', topics: [{ name: 'sensors', partitionIndexes: [0, 3] }], groups, requireStable: true,
    }, version), `v${version}`);
  }
});

test('our OffsetFetch responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(offsetFetchApi, 'offsetFetch');
  checkPlatformaticResponses(offsetFetchApi, 'offsetFetch');
});

test.run();

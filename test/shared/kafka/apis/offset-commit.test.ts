import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey } from '../../../../shared/kafka/wire/index.ts';
import { offsetCommitApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs OffsetCommit requests decode', async () => {
  for (const version of kafkajsVersions('offsetCommit')) {
    const request = await decodeKafkajsRequest('offsetCommit', version, {
      groupId: 'group-a', groupGenerationId: 3, memberId: 'member-1', retentionTime: 86400000,
      topics: [{ topic: 'sensors', partitions: [{ partition: 0, offset: '42', metadata: 'meta', timestamp: 1700000000000 }, { partition: 1, offset: '7' }] }],
    });
    assert.ok(request.apiKey === ApiKey.OffsetCommit);
    assert.equal(request.body, expectedValue(offsetCommitApi.request, {
      groupId: 'group-a', generationIdOrMemberEpoch: 3, memberId: 'member-1', retentionTimeMs: 86400000n,
      topics: [{ name: 'sensors', partitions: [
        { partitionIndex: 0, committedOffset: 42n, commitTimestamp: 1700000000000n, committedMetadata: 'meta' },
        // kafkajs stamps a partition without a timestamp with the current time (v1 only).
        { partitionIndex: 1, committedOffset: 7n, commitTimestamp: request.body.topics[0]!.partitions[1]!.commitTimestamp, committedMetadata: null },
      ] }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka OffsetCommit requests decode', () => {
  const versions = platformaticVersions('offsetCommit', offsetCommitApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('offsetCommit', version, ['group-a', 3, 'member-1', 'instance-1', [
      { name: 'sensors', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 5, committedMetadata: 'meta' }] },
    ]]);
    assert.ok(request.apiKey === ApiKey.OffsetCommit);
    const body = request.body;
    assert.equal(request.body, expectedValue(offsetCommitApi.request, {
      groupId: 'group-a', generationIdOrMemberEpoch: 3, memberId: 'member-1', groupInstanceId: 'instance-1', retentionTimeMs: body.retentionTimeMs,
      topics: [{ name: 'sensors', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 5, commitTimestamp: body.topics[0]!.partitions[0]!.commitTimestamp, committedMetadata: 'meta' }] }],
    }, version), `v${version}`);
  }
});

test('our OffsetCommit responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(offsetCommitApi, 'offsetCommit');
  checkPlatformaticResponses(offsetCommitApi, 'offsetCommit');
});

test.run();

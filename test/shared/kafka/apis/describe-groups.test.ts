import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeGroupsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs DescribeGroups requests decode', async () => {
  for (const version of kafkajsVersions('describeGroups')) {
    const request = await decodeKafkajsRequest('describeGroups', version, { groupIds: ['group-a', 'group-b'] });
    assert.equal(request.body, expectedValue(describeGroupsApi.request, { groups: ['group-a', 'group-b'] }, version), `v${version}`);
  }
});

test('@platformatic/kafka DescribeGroups requests decode', () => {
  const versions = platformaticVersions('describeGroups', describeGroupsApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('describeGroups', version, [['group-a', 'group-b'], true]);
    assert.equal(request.body, expectedValue(describeGroupsApi.request, { groups: ['group-a', 'group-b'], includeAuthorizedOperations: true }, version), `v${version}`);
  }
});

test('our DescribeGroups responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(describeGroupsApi, 'describeGroups');
  checkPlatformaticResponses(describeGroupsApi, 'describeGroups');
});

test.run();

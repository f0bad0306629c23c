import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deleteGroupsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs DeleteGroups requests decode', async () => {
  for (const version of kafkajsVersions('deleteGroups')) {
    const request = await decodeKafkajsRequest('deleteGroups', version, ['readers', 'writers']);
    assert.equal(request.body, expectedValue(deleteGroupsApi.request, { groupsNames: ['readers', 'writers'] }, version), `v${version}`);
  }
});

test('@platformatic/kafka DeleteGroups requests decode', () => {
  const versions = platformaticVersions('deleteGroups', deleteGroupsApi);
  assert.equal(versions, [0, 1, 2]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('deleteGroups', version, [['readers']]);
    assert.equal(request.body, expectedValue(deleteGroupsApi.request, { groupsNames: ['readers'] }, version), `v${version}`);
  }
});

test('our DeleteGroups responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(deleteGroupsApi, 'deleteGroups');
  checkPlatformaticResponses(deleteGroupsApi, 'deleteGroups');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listGroupsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs ListGroups requests decode', async () => {
  for (const version of kafkajsVersions('listGroups')) {
    const request = await decodeKafkajsRequest('listGroups', version, {});
    assert.equal(request.body, { statesFilter: [], typesFilter: [] }, `v${version}`);
  }
});

test('@platformatic/kafka ListGroups requests decode, with filters from v4 and v5', () => {
  const versions = platformaticVersions('listGroups', listGroupsApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('listGroups', version, [['STABLE', 'EMPTY'], ['CONSUMER']]);
    assert.equal(request.body, expectedValue(listGroupsApi.request, { statesFilter: ['Stable', 'Empty'], typesFilter: ['consumer'] }, version), `v${version}`);
  }
});

test('our ListGroups responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(listGroupsApi, 'listGroups');
  checkPlatformaticResponses(listGroupsApi, 'listGroups');
});

test.run();

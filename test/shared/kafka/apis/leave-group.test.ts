import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { leaveGroupApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs LeaveGroup requests decode: one member before v3, a list from v3', async () => {
  for (const version of kafkajsVersions('leaveGroup')) {
    const args = version >= 3
      ? { groupId: 'group-a', members: [{ memberId: 'member-1', groupInstanceId: 'instance-1' }, { memberId: 'member-2' }] }
      : { groupId: 'group-a', memberId: 'member-1' };
    const request = await decodeKafkajsRequest('leaveGroup', version, args);
    assert.equal(request.body, expectedValue(leaveGroupApi.request, {
      groupId: 'group-a', memberId: 'member-1',
      members: [{ memberId: 'member-1', groupInstanceId: 'instance-1' }, { memberId: 'member-2', groupInstanceId: null }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka LeaveGroup requests decode', () => {
  const versions = platformaticVersions('leaveGroup', leaveGroupApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('leaveGroup', version, ['group-a', [{ memberId: 'member-1', groupInstanceId: 'instance-1', reason: 'bye' }]]);
    assert.equal(request.body, expectedValue(leaveGroupApi.request, {
      groupId: 'group-a', memberId: 'member-1', members: [{ memberId: 'member-1', groupInstanceId: 'instance-1', reason: 'bye' }],
    }, version), `v${version}`);
  }
});

test('our LeaveGroup responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(leaveGroupApi, 'leaveGroup');
  checkPlatformaticResponses(leaveGroupApi, 'leaveGroup');
});

test.run();

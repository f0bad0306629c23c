import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syncGroupApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

const assignment = Buffer.from('00010000000100056265746100000001000000000000', 'hex');

test('kafkajs SyncGroup requests decode', async () => {
  for (const version of kafkajsVersions('syncGroup')) {
    const request = await decodeKafkajsRequest('syncGroup', version, {
      groupId: 'group-a', generationId: 3, memberId: 'member-1', groupInstanceId: 'instance-1',
      groupAssignment: [{ memberId: 'member-1', memberAssignment: assignment }, { memberId: 'member-2', memberAssignment: Buffer.alloc(0) }],
    });
    assert.equal(request.body, expectedValue(syncGroupApi.request, {
      groupId: 'group-a', generationId: 3, memberId: 'member-1', groupInstanceId: 'instance-1',
      assignments: [{ memberId: 'member-1', assignment }, { memberId: 'member-2', assignment: Buffer.alloc(0) }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka SyncGroup requests decode', () => {
  const versions = platformaticVersions('syncGroup', syncGroupApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('syncGroup', version, ['group-a', 3, 'member-1', 'instance-1', 'consumer', 'range', [{ memberId: 'member-1', assignment }]]);
    assert.equal(request.body, expectedValue(syncGroupApi.request, {
      groupId: 'group-a', generationId: 3, memberId: 'member-1', groupInstanceId: 'instance-1', protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: 'member-1', assignment }],
    }, version), `v${version}`);
  }
});

test('our SyncGroup responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(syncGroupApi, 'syncGroup');
  checkPlatformaticResponses(syncGroupApi, 'syncGroup');
});

test.run();

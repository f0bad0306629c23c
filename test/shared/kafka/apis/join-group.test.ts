import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinGroupApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

const metadata = Buffer.from('0001000000010005616c706861ffffffff', 'hex');

test('kafkajs JoinGroup requests decode', async () => {
  for (const version of kafkajsVersions('joinGroup')) {
    const request = await decodeKafkajsRequest('joinGroup', version, {
      groupId: 'group-a', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: 'member-1', groupInstanceId: 'instance-1',
      protocolType: 'consumer', groupProtocols: [{ name: 'RoundRobinAssigner', metadata }],
    });
    assert.equal(request.body, expectedValue(joinGroupApi.request, {
      groupId: 'group-a', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: 'member-1', groupInstanceId: 'instance-1',
      protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata }],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka JoinGroup requests decode', () => {
  const versions = platformaticVersions('joinGroup', joinGroupApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('joinGroup', version, ['group-a', 30000, 60000, 'member-1', 'instance-1', 'consumer', [{ name: 'range', metadata }], 'joining']);
    assert.equal(request.body, expectedValue(joinGroupApi.request, {
      groupId: 'group-a', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: 'member-1', groupInstanceId: 'instance-1',
      protocolType: 'consumer', protocols: [{ name: 'range', metadata }], reason: 'joining',
    }, version), `v${version}`);
  }
});

test('our JoinGroup responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(joinGroupApi, 'joinGroup');
  checkPlatformaticResponses(joinGroupApi, 'joinGroup');
});

test.run();

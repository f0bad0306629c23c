import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey, ZERO_UUID } from '../../../../shared/kafka/wire/index.ts';
import { heartbeatApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, decodeWithKafkajs, kafkajsVersions, platformaticVersions } from './clients.ts';

test('kafkajs Heartbeat requests decode and our responses read back', async () => {
  for (const version of kafkajsVersions('heartbeat')) {
    const request = await decodeKafkajsRequest('heartbeat', version, { groupId: 'group', groupGenerationId: 7, memberId: 'member-1', groupInstanceId: 'instance-1' });
    assert.equal(request.body, { groupId: 'group', generationId: 7, memberId: 'member-1', groupInstanceId: version >= 3 ? 'instance-1' : null }, `v${version}`);
    const response = await decodeWithKafkajs('heartbeat', ApiKey.Heartbeat, version, { throttleTimeMs: 25, errorCode: 27 });
    assert.is(response.errorCode, 27, `v${version}`);
    if (version === 1) assert.is(response.throttleTime, 25);
    if (version >= 2) assert.is(response.clientSideThrottleTime, 25, 'KIP-219: throttled by the client from v2');
  }
  await checkKafkajsResponses(heartbeatApi, 'heartbeat');
});

test('@platformatic/kafka Heartbeat requests decode and our responses read back', () => {
  const versions = platformaticVersions('heartbeat', heartbeatApi);
  assert.equal(versions, [0, 1, 2, 3, 4]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('heartbeat', version, ['group', 7, 'member-1', 'instance-1']);
    assert.equal(request.body, { groupId: 'group', generationId: 7, memberId: 'member-1', groupInstanceId: version >= 3 ? 'instance-1' : null }, `v${version}`);
  }
  checkPlatformaticResponses(heartbeatApi, 'heartbeat');
});

test.run();

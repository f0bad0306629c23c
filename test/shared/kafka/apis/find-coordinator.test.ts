import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findCoordinatorApi } from '../../../../shared/kafka/apis/index.ts';
import { ApiKey } from '../../../../shared/kafka/wire/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, decodeWithPlatformatic, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs FindCoordinator requests decode', async () => {
  for (const version of kafkajsVersions('findCoordinator')) {
    const args = version === 0 ? { groupId: 'group-a' } : { coordinatorKey: 'group-a', coordinatorType: 0 };
    const request = await decodeKafkajsRequest('findCoordinator', version, args);
    assert.equal(request.body, expectedValue(findCoordinatorApi.request, { key: 'group-a', keyType: 0 }, version), `v${version}`);
  }
});

test('@platformatic/kafka FindCoordinator requests decode, one key before v4 and a list from v4', () => {
  const versions = platformaticVersions('findCoordinator', findCoordinatorApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6]);
  for (const version of versions) {
    const keys = version >= 4 ? ['group-a', 'group-b'] : ['group-a'];
    const request = decodePlatformaticRequest('findCoordinator', version, [1, keys]);
    assert.equal(request.body, expectedValue(findCoordinatorApi.request, { key: 'group-a', keyType: 1, coordinatorKeys: keys }, version), `v${version}`);
  }
});

test('our FindCoordinator responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(findCoordinatorApi, 'findCoordinator');
  checkPlatformaticResponses(findCoordinatorApi, 'findCoordinator', { only: (version) => version >= 4 });
  // Before v4 @platformatic/kafka turns the top-level fields into a one-entry coordinators list.
  for (const version of [0, 1, 2, 3]) {
    const body = { throttleTimeMs: 11, errorCode: 0, errorMessage: 'fine', nodeId: 3, host: 'edge-1', port: 9092, coordinators: [] };
    const theirs = decodeWithPlatformatic('findCoordinator', ApiKey.FindCoordinator, version, body);
    assert.equal(theirs.coordinators, [{ key: '', errorCode: 0, errorMessage: version >= 1 ? 'fine' : null, nodeId: 3, host: 'edge-1', port: 9092 }], `v${version}`);
    assert.is(theirs.throttleTimeMs, version >= 1 ? 11 : 0, `v${version}`);
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { offsetDeleteApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodePlatformaticRequest, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

// kafkajs does not implement OffsetDelete.
test('@platformatic/kafka OffsetDelete requests decode', () => {
  const versions = platformaticVersions('offsetDelete', offsetDeleteApi);
  assert.equal(versions, [0]);
  const request = decodePlatformaticRequest('offsetDelete', 0, ['readers', [{ name: 'sensors', partitions: [{ partitionIndex: 2 }] }]]);
  assert.equal(request.body, expectedValue(offsetDeleteApi.request, { groupId: 'readers', topics: [{ name: 'sensors', partitions: [{ partitionIndex: 2 }] }] }, 0));
});

test('our OffsetDelete responses read back in @platformatic/kafka', () => {
  checkPlatformaticResponses(offsetDeleteApi, 'offsetDelete');
});

test.run();

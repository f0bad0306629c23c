import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { encodeResponse } from '../../../../shared/kafka/wire/index.ts';
import { deleteRecordsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

const require = createRequire(import.meta.url);

// kafkajs writes offsets as strings of digits; they arrive as int64.
test('kafkajs DeleteRecords requests decode', async () => {
  for (const version of kafkajsVersions('deleteRecords')) {
    const request = await decodeKafkajsRequest('deleteRecords', version, { topics: [{ topic: 'sensors', partitions: [{ partition: 1, offset: '42' }, { partition: 2, offset: '-1' }] }], timeout: 3000 });
    assert.equal(request.body, expectedValue(deleteRecordsApi.request, {
      topics: [{ name: 'sensors', partitions: [{ partitionIndex: 1, offset: 42n }, { partitionIndex: 2, offset: -1n }] }],
      timeoutMs: 3000,
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka DeleteRecords requests decode', () => {
  const versions = platformaticVersions('deleteRecords', deleteRecordsApi);
  assert.equal(versions, [0, 1, 2]);
  for (const version of versions) {
    const request = decodePlatformaticRequest('deleteRecords', version, [[{ name: 'sensors', partitions: [{ partitionIndex: 0, offset: 7n }] }], 3000]);
    assert.equal(request.body, expectedValue(deleteRecordsApi.request, { topics: [{ name: 'sensors', partitions: [{ partitionIndex: 0, offset: 7n }] }], timeoutMs: 3000 }, version), `v${version}`);
  }
});

// kafkajs's DeleteRecords response module is a factory of the request's topics, so it is driven here directly.
test('our DeleteRecords responses read back in kafkajs and @platformatic/kafka', async () => {
  for (const version of kafkajsVersions('deleteRecords')) {
    const response = require(`kafkajs/src/protocol/requests/deleteRecords/v${version}/response.js`) as (request: { topics: unknown[] }) => { decode(data: Buffer): Promise<{ throttleTime: number; topics: Array<{ topic: string; partitions: Array<{ partition: number; lowWatermark: string; errorCode: number }> }> }> };
    const frame = encodeResponse(21, version, 7, { throttleTimeMs: 12, topics: [{ name: 'sensors', partitions: [{ partitionIndex: 3, lowWatermark: 4242n, errorCode: 0 }, { partitionIndex: 4, lowWatermark: -1n, errorCode: 1 }] }] });
    const decoded = await response({ topics: [] }).decode(frame.subarray(8));
    // kafkajs reads int64 as its Long type, compared as text; from v1 it reports the throttle as client-side.
    const plain = { throttleTime: version === 0 ? decoded.throttleTime : (decoded as { clientSideThrottleTime?: number }).clientSideThrottleTime, topics: decoded.topics.map((topic) => ({ ...topic, partitions: topic.partitions.map((partition) => ({ ...partition, lowWatermark: String(partition.lowWatermark) })) })) };
    assert.equal(plain, { throttleTime: 12, topics: [{ topic: 'sensors', partitions: [{ partition: 3, lowWatermark: '4242', errorCode: 0 }, { partition: 4, lowWatermark: '-1', errorCode: 1 }] }] }, `v${version}`);
  }
  checkPlatformaticResponses(deleteRecordsApi, 'deleteRecords');
});

test.run();

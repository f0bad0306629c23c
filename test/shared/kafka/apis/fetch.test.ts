// Fetch responses carry stored record batches as they are; clients parse them, so the
// responses here carry a real batch made by another implementation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordsBatch } from '@platformatic/kafka';
import { ApiKey, ZERO_UUID } from '../../../../shared/kafka/wire/index.ts';
import { fetchApi } from '../../../../shared/kafka/apis/index.ts';
import {
  checkKafkajsResponses,
  checkPlatformaticResponses,
  decodeKafkajsRequest,
  decodePlatformaticRequest,
  decodeWithKafkajs,
  decodeWithPlatformatic,
  kafkajsVersions,
  platformaticVersions,
} from './clients.ts';
import { expectedValue } from './samples.ts';

const TOPIC_ID = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const batch = createRecordsBatch([
  { key: Buffer.from('device-1'), value: Buffer.from('21.5'), topic: 'sensors', partition: 0, timestamp: 1700000000000n },
  { key: Buffer.from('device-2'), value: Buffer.from('19.0'), topic: 'sensors', partition: 0, timestamp: 1700000000001n },
], {}).buffer;

/** Puts the real batch into every partition of a sample response. */
function withBatch(sample: Record<string, unknown>): void {
  for (const topic of sample.responses as Array<{ partitions: Array<Record<string, unknown>> }>) {
    for (const partition of topic.partitions) partition.records = batch;
  }
}

test('kafkajs Fetch requests decode', async () => {
  const versions = kafkajsVersions('fetch').filter((version) => version >= fetchApi.versions.min);
  assert.equal(versions, [4, 5, 6, 7, 8, 9, 10, 11]);
  for (const version of versions) {
    const request = await decodeKafkajsRequest('fetch', version, {
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-a',
      topics: [{ topic: 'sensors', partitions: [{ partition: 0, fetchOffset: '42', maxBytes: 1048576 }, { partition: 1, fetchOffset: '0', maxBytes: 1048576 }] }],
    });
    assert.equal(request.body, expectedValue(fetchApi.request, {
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-a',
      topics: [{ topic: 'sensors', partitions: [
        { partition: 0, fetchOffset: 42n, partitionMaxBytes: 1048576 },
        { partition: 1, fetchOffset: 0n, partitionMaxBytes: 1048576 },
      ] }],
      forgottenTopicsData: [],
    }, version), `v${version}`);
  }
});

test('@platformatic/kafka Fetch requests decode: topic names before v13, topic ids from v13', () => {
  const versions = platformaticVersions('fetch', fetchApi);
  assert.equal(versions, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
  for (const version of versions) {
    const topic = version >= 13 ? TOPIC_ID : 'sensors';
    const request = decodePlatformaticRequest('fetch', version, [
      500, 1, 10485760, 1, 12, 3,
      [{ topicId: topic, partitions: [{ partition: 0, currentLeaderEpoch: 7, fetchOffset: 42n, lastFetchedEpoch: 6, partitionMaxBytes: 1048576 }] }],
      [{ topicId: topic, topic, partitions: [5, 6] }],
      'rack-a',
    ]);
    assert.equal(request.body, expectedValue(fetchApi.request, {
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 12, sessionEpoch: 3, rackId: 'rack-a',
      topics: [{ topic: 'sensors', topicId: TOPIC_ID, partitions: [
        { partition: 0, currentLeaderEpoch: 7, fetchOffset: 42n, lastFetchedEpoch: 6, logStartOffset: -1n, partitionMaxBytes: 1048576 },
      ] }],
      forgottenTopicsData: [{ topic: 'sensors', topicId: TOPIC_ID, partitions: [5, 6] }],
    }, version), `v${version}`);
  }
});

test('kafkajs reads the record batch our Fetch responses carry', async () => {
  await checkKafkajsResponses(fetchApi, 'fetch', { prepare: withBatch, exclude: ['records'] });
  for (const version of [4, 11]) {
    const response = await decodeWithKafkajs('fetch', ApiKey.Fetch, version, {
      throttleTimeMs: 0, errorCode: 0,
      responses: [{ topic: 'sensors', topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 2n, abortedTransactions: null, records: batch }] }],
    });
    const messages = response.responses[0].partitions[0].messages as Array<{ key: Buffer; value: Buffer; offset: string }>;
    assert.equal(messages.map((message) => [message.offset, message.key.toString(), message.value.toString()]), [['0', 'device-1', '21.5'], ['1', 'device-2', '19.0']], `v${version}`);
  }
});

test('@platformatic/kafka reads the record batch our Fetch responses carry', () => {
  checkPlatformaticResponses(fetchApi, 'fetch', { prepare: withBatch, exclude: ['records'] });
  for (const version of [4, 12, 17]) {
    const response = decodeWithPlatformatic('fetch', ApiKey.Fetch, version, {
      throttleTimeMs: 0, errorCode: 0,
      responses: [{ topic: 'sensors', topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 2n, abortedTransactions: null, records: [batch.subarray(0, 20), batch.subarray(20)] }] }],
    });
    const records = response.responses[0].partitions[0].records[0].records as Array<{ key: Buffer; value: Buffer }>;
    assert.equal(records.map((record) => [record.key.toString(), record.value.toString()]), [['device-1', '21.5'], ['device-2', '19.0']], `v${version}`);
  }
});

test.run();

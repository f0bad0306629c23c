// Produce requests carry record data the broker appends as it is: the codec must hand over
// exactly the bytes the client wrote (a v2 RecordBatch from v3, an old message set before).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey } from '../../../../shared/kafka/wire/index.ts';
import { produceApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';

/** Checks that `records` is exactly one record batch (magic 2) or one old message (magic 0/1). */
function assertOneBatch(records: Buffer | null, magic: number, label: string): void {
  assert.ok(records !== null, `${label}: records present`);
  // Both layouts begin with an int64 offset and an int32 length counted from after it.
  assert.is(records.readInt32BE(8) + 12, records.length, `${label}: one whole batch`);
  assert.is(records[16], magic, `${label}: magic byte`);
}

test('kafkajs Produce requests decode with their record data intact', async () => {
  const versions = kafkajsVersions('produce');
  assert.equal(versions, [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const version of versions) {
    const request = await decodeKafkajsRequest('produce', version, {
      acks: -1, timeout: 30000, transactionalId: 'tx-1', producerId: 77, producerEpoch: 2,
      topicData: [{ topic: 'sensors', partitions: [{ partition: 3, firstSequence: 0, messages: [{ key: 'device-1', value: '21.5', timestamp: 1700000000000 }] }] }],
    });
    assert.ok(request.apiKey === ApiKey.Produce);
    const { body } = request;
    assert.is(body.acks, -1);
    assert.is(body.timeoutMs, 30000);
    assert.is(body.transactionalId, version >= 3 ? 'tx-1' : null, `v${version}`);
    assert.is(body.topicData.length, 1);
    assert.is(body.topicData[0]!.name, 'sensors');
    assert.is(body.topicData[0]!.partitionData[0]!.index, 3);
    // kafkajs writes message format v0 for Produce v0-1, v1 for v2, and RecordBatch v2 from v3.
    assertOneBatch(body.topicData[0]!.partitionData[0]!.records, version >= 3 ? 2 : version === 2 ? 1 : 0, `v${version}`);
    assert.ok(body.topicData[0]!.partitionData[0]!.records!.includes(Buffer.from('device-1')), `v${version}: key bytes`);
  }
});

test('@platformatic/kafka Produce requests decode with their record batches intact', () => {
  const versions = platformaticVersions('produce', produceApi);
  assert.equal(versions, [3, 4, 5, 6, 7, 8, 9, 10, 11]);
  for (const version of versions) {
    const messages = [
      { topic: 'sensors', partition: 0, key: Buffer.from('device-1'), value: Buffer.from('21.5'), timestamp: 1700000000000n },
      { topic: 'sensors', partition: 1, key: Buffer.from('device-2'), value: Buffer.from('19.0'), timestamp: 1700000000001n },
      { topic: 'commands', partition: 0, key: null, value: Buffer.from('reboot'), timestamp: 1700000000002n },
    ];
    const request = decodePlatformaticRequest('produce', version, [1, 5000, messages, { transactionalId: 'tx-1' }]);
    assert.ok(request.apiKey === ApiKey.Produce);
    const { body } = request;
    assert.is(body.acks, 1);
    assert.is(body.timeoutMs, 5000);
    assert.is(body.transactionalId, 'tx-1');
    assert.equal(body.topicData.map((topic) => [topic.name, topic.partitionData.map((partition) => partition.index)]), [['sensors', [0, 1]], ['commands', [0]]]);
    for (const topic of body.topicData) {
      for (const partition of topic.partitionData) assertOneBatch(partition.records, 2, `v${version} ${topic.name}/${partition.index}`);
    }
  }
});

test('our Produce responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(produceApi, 'produce');
  checkPlatformaticResponses(produceApi, 'produce');
});

test.run();

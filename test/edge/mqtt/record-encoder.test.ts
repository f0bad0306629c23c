// The MQTT record batch encoder against the shared RecordBatch v2 decoder and checker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { decodeRecords, readBatchHeader, verifyBatch } from '../../../shared/kafka/record-batch.ts';
import { encodeMqttRecordBatch, MQTT_RECORD_FIXED_BYTES_MAX, type MqttRecord } from '../../../edge/mqtt/record-encoder.ts';

function record(overrides: Partial<MqttRecord> = {}): MqttRecord {
  return {
    key: Buffer.from('sensors/dev-1/temp'),
    value: Buffer.from('21.5'),
    topic: Buffer.from('sensors/dev-1/temp'),
    qos: 1,
    retain: false,
    clientId: Buffer.from('dev-1'),
    timestampMs: 1_700_000_000_000,
    ...overrides,
  };
}

test('a batch decodes with the shared decoder: keys, values, headers, offsets and timestamps', () => {
  const records = [
    record(),
    record({ key: Buffer.from('dev-2'), value: randomBytes(300), topic: Buffer.from('sensors/dév-2/température'), qos: 0, retain: true, clientId: Buffer.from('dév-2'), timestampMs: 1_700_000_000_007 }),
    record({ value: Buffer.alloc(0), qos: 2, timestampMs: 1_699_999_999_990 }),
    record({ value: randomBytes(20_000), key: Buffer.alloc(0), clientId: Buffer.from('x'.repeat(200)) }),
  ];
  const batch = encodeMqttRecordBatch(records);
  const header = verifyBatch(batch);
  assert.is(header.recordCount, 4);
  assert.is(header.lastOffsetDelta, 3);
  assert.is(header.baseTimestamp, 1_699_999_999_990n);
  assert.is(header.maxTimestamp, 1_700_000_000_007n);
  assert.is(header.compression, 0);
  assert.is(header.producerId, -1n);
  const decoded = decodeRecords(batch);
  decoded.forEach((found, index) => {
    const sent = records[index]!;
    assert.is(found.offset, BigInt(index));
    assert.is(found.timestamp, BigInt(sent.timestampMs));
    assert.equal(found.key, sent.key);
    assert.equal(found.value, sent.value);
    assert.equal(found.headers.map((h) => [h.key, h.value?.toString('utf8')]), [
      ['mqtt.topic', sent.topic.toString('utf8')],
      ['mqtt.qos', String(sent.qos)],
      ['mqtt.retain', String(sent.retain)],
      ['mqtt.clientId', sent.clientId.toString('utf8')],
    ]);
  });
  assert.is(readBatchHeader(batch).sizeBytes, batch.length);
});

test('the fixed overhead bound covers every record', () => {
  for (const size of [0, 1, 127, 128, 16_383, 16_384, 70_000]) {
    const one = record({ value: Buffer.alloc(size) });
    const batch = encodeMqttRecordBatch([one]);
    const variable = one.key.length + one.value.length + one.topic.length + one.clientId.length;
    assert.ok(batch.length - 61 <= MQTT_RECORD_FIXED_BYTES_MAX + variable, `value of ${size} bytes`);
  }
});

test('an empty batch is refused', () => {
  assert.throws(() => encodeMqttRecordBatch([]), /at least one record/);
});

test.run();

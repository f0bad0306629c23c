import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCbor, decodeReading, encodeReading, PAYLOAD_FORMATS, sniffPayloadFormat, type Reading } from '../../firmware-sim/payloads.ts';

const reading: Reading = { deviceId: 'dev-00042', sequence: 123_456, metric: 'temperature', unit: 'Cel', value: -3.75, timeMs: 1_712_345_678_901 };

test('a reading round-trips in every format, with the format given or recognised', () => {
  for (const format of PAYLOAD_FORMATS) {
    const payload = encodeReading(reading, format);
    assert.equal(decodeReading(payload, format), reading, format);
    assert.is(sniffPayloadFormat(payload), format);
    assert.equal(decodeReading(payload), reading, `${format}, recognised`);
  }
});

test('SenML readings carry the device in the base name and the sequence as a record', () => {
  const records = decodeCbor(encodeReading(reading, 'senml-cbor')) as Map<number, unknown>[];
  assert.is(records[0]!.get(-2), 'dev-00042/');
  assert.is(records[0]!.get(-3), 1_712_345_678.901);
  assert.is(records[1]!.get(0), 'seq');
  assert.is(records[1]!.get(2), 123_456);
});

test('SenML-CBOR is the most compact and all formats stay small', () => {
  const sizes = Object.fromEntries(PAYLOAD_FORMATS.map((format) => [format, encodeReading(reading, format).length]));
  assert.ok(sizes['senml-cbor']! < sizes['senml-json']!);
  assert.ok(sizes.cbor! < sizes.json!);
  for (const size of Object.values(sizes)) assert.ok(size < 160, `${size} B`);
});

test('what is not a reading is refused with PAYLOAD_INVALID', () => {
  for (const payload of [Buffer.from('{"device":"d"}'), Buffer.from('[{"n":"x","v":1}]'), Buffer.from('hello'), Buffer.from([0xff])]) {
    try {
      decodeReading(payload);
      assert.unreachable(payload.toString());
    } catch (error) {
      assert.is((error as { code?: string }).code, 'PAYLOAD_INVALID');
    }
  }
});

test.run();

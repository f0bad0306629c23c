import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCbor, encodeSenmlCbor, encodeSenmlJson } from '../../shared/payloads.ts';
import { decodeValue, parseDecodeMode, recordToJson, valueLine, type RecordData } from '../../shared/record-view.ts';

function record(value: Uint8Array | null, extra: Partial<RecordData> = {}): RecordData {
  return { topic: 't', partition: 0, offset: 5n, timestamp: 1_700_000_000_000n, key: null, value, headers: [], ...extra };
}

test('auto recognises CBOR, SenML-CBOR, SenML-JSON, JSON and text', () => {
  assert.equal(decodeValue(encodeCbor({ t: 21.5 }), 'auto'), { format: 'cbor', value: { t: 21.5 } });
  assert.equal(decodeValue(encodeSenmlCbor([{ n: 'temp', v: 20 }]), 'auto'), { format: 'senml-cbor', value: [{ n: 'temp', v: 20 }] });
  assert.equal(decodeValue(encodeSenmlJson([{ n: 'temp', v: 20 }]), 'auto').format, 'senml-json');
  assert.equal(decodeValue(Buffer.from('{"a":1}'), 'auto'), { format: 'json', value: { a: 1 } });
  assert.equal(decodeValue(Buffer.from('hello'), 'auto'), { format: 'text', value: 'hello' });
});

test('an explicit format that does not fit reports why and keeps the bytes', () => {
  const decoded = decodeValue(Buffer.from('not cbor at all {'), 'json');
  assert.is(decoded.format, 'invalid');
  assert.match(decoded.error!, 'not valid json');
  assert.equal(decoded.value, { base64: Buffer.from('not cbor at all {').toString('base64') });
});

test('senml reads both representations; vd travels as base64url', () => {
  const pack = [{ n: 'blob', vd: new Uint8Array([0xfb, 0xff]) }];
  assert.equal(decodeValue(encodeSenmlCbor(pack), 'senml').value, [{ n: 'blob', vd: '-_8' }]);
  assert.equal(decodeValue(encodeSenmlJson(pack), 'senml').value, [{ n: 'blob', vd: '-_8' }]);
});

test('a record as JSON keeps offsets exact and shows keys and headers as text', () => {
  const json = recordToJson(record(encodeCbor({ v: 1 }), { offset: 9_007_199_254_740_993n, key: Buffer.from('dev-1'), headers: [{ key: Buffer.from('src'), value: Buffer.from([0xff, 0x00]) }] }), 'auto');
  assert.is(json.offset, '9007199254740993');
  assert.is(json.key, 'dev-1');
  assert.equal(json.headers, { src: { base64: '/wA=' } });
  assert.is(json.time, '2023-11-14T22:13:20.000Z');
  assert.equal(json.value, { v: 1 });
});

test('the value line is JSON for structured payloads, the text itself for text, the bytes with none', () => {
  assert.is(valueLine(record(encodeCbor({ v: 1 })), 'cbor').line, '{"v":1}');
  assert.is(valueLine(record(Buffer.from('plain words')), 'auto').line, 'plain words');
  assert.equal(valueLine(record(Buffer.from([1, 2, 3])), 'none').line, Buffer.from([1, 2, 3]));
  assert.is(valueLine(record(null), 'auto').line, 'null');
  assert.match(valueLine(record(Buffer.from('x')), 'cbor').error!, 'cbor');
});

test('--decode accepts the listed modes only', () => {
  assert.is(parseDecodeMode('senml'), 'senml');
  assert.throws(() => parseDecodeMode('xml'), /auto, cbor, senml, json, none/);
});

test.run();

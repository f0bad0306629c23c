import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeCbor, decodePayload, decodePayloadToJson, decodeSenmlCbor, decodeSenmlJson, encodeCbor, encodePayload,
  encodeSenmlCbor, encodeSenmlJson, PAYLOAD_FORMATS, sniffPayloadFormat, type SenmlRecord,
} from '../../shared/payloads.ts';

const pack: SenmlRecord[] = [
  { bn: 'urn:dev:ow:10e2073a01080063/', bt: 1_320_067_464, bu: 'A', bver: 10, n: 'voltage', u: 'V', v: 120.1 },
  { n: 'current', t: -5, v: 1.2 },
  { n: 'open', vb: true },
  { n: 'label', vs: 'kitchen' },
  { n: 'blob', vd: Buffer.from([0xfb, 0xff, 0x00, 0x01]) },
  { n: 'energy', s: 42, ut: 60 },
];

test('every format round-trips', () => {
  const object = { device: 'dev-00001', seq: 7, value: 21.25, tags: ['a', 'b'], nested: { ok: true } };
  for (const format of PAYLOAD_FORMATS) {
    const value = format.startsWith('senml') ? pack : object;
    const decoded = decodePayload(encodePayload(value, format), format);
    assert.equal(toPlain(decoded), toPlain(value), format);
  }
});

test('SenML-CBOR uses the integer labels of RFC 8428 table 4', () => {
  const bytes = encodeSenmlCbor([{ bn: 'd/', bt: 1, n: 'temperature', u: 'Cel', v: 21.5 }]);
  const raw = decodeCbor(bytes) as Map<number, unknown>[];
  assert.equal([...raw[0]!.keys()], [-2, -3, 0, 1, 2]);
  assert.equal(decodeSenmlCbor(bytes), [{ bn: 'd/', bt: 1, n: 'temperature', u: 'Cel', v: 21.5 }]);
});

test('SenML-JSON carries vd as base64url and keeps the label names', () => {
  const text = encodeSenmlJson([{ n: 'blob', vd: Buffer.from([0xfb, 0xff]) }]).toString('utf8');
  assert.is(text, '[{"n":"blob","vd":"-_8"}]');
  assert.equal([...(decodeSenmlJson(Buffer.from(text))[0]!.vd as Uint8Array)], [0xfb, 0xff]);
});

test('plain CBOR is standard: no cbor-x record tags, minimal map headers', () => {
  assert.is(encodeCbor({ a: 1 }).toString('hex'), 'a1616101');
});

test('the format is recognised from the bytes', () => {
  assert.is(sniffPayloadFormat(encodePayload({ a: 1 }, 'json')), 'json');
  assert.is(sniffPayloadFormat(encodePayload({ a: 1 }, 'cbor')), 'cbor');
  assert.is(sniffPayloadFormat(encodeSenmlJson(pack)), 'senml-json');
  assert.is(sniffPayloadFormat(encodeSenmlCbor(pack)), 'senml-cbor');
  assert.is(sniffPayloadFormat(Buffer.from('[1,2,3]')), 'json');
  assert.is(sniffPayloadFormat(Buffer.from('21.5')), 'json');
  assert.is(sniffPayloadFormat(Buffer.from('hello world')), 'text');
  // "AB" is also a valid CBOR byte string; text that reads as a CBOR scalar stays text.
  assert.is(sniffPayloadFormat(Buffer.from('AB')), 'text');
  assert.is(sniffPayloadFormat(Buffer.from([0xff, 0x00, 0xfe])), 'binary');
  assert.is(sniffPayloadFormat(Buffer.alloc(0)), 'text');
});

test('decodePayloadToJson shows any payload as JSON', () => {
  assert.equal(decodePayloadToJson(encodeSenmlCbor([{ bn: 'd/', n: 'blob', vd: Buffer.from([0xfb, 0xff]) }])), [{ bn: 'd/', n: 'blob', vd: '-_8' }]);
  assert.equal(decodePayloadToJson(encodeSenmlJson([{ n: 'x', v: 1 }])), [{ n: 'x', v: 1 }]);
  assert.equal(decodePayloadToJson(Buffer.from('{"id":"c1"}')), { id: 'c1' });
  // CBOR maps with integer keys, byte strings and 64-bit integers have JSON stand-ins.
  const cbor = Buffer.from('a3' + '01' + '42cafe' + '02' + '1b0000000000000005' + '03' + '1bffffffffffffffff', 'hex');
  assert.equal(decodePayloadToJson(cbor), { 1: 'yv4=', 2: 5, 3: '18446744073709551615' });
  assert.is(decodePayloadToJson(Buffer.from('plain words')), 'plain words');
  assert.equal(decodePayloadToJson(Buffer.from([0xff, 0x00])), { base64: '/wA=' });
  // JSON can hold nothing that JSON.stringify cannot write back.
  for (const sample of [encodeSenmlCbor(pack), encodeSenmlJson(pack), encodeCbor({ when: new Date(0) })]) {
    assert.ok(JSON.stringify(decodePayloadToJson(sample)).length > 2);
  }
});

test('invalid payloads fail with PAYLOAD_INVALID naming the format and the problem', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => decodeSenmlJson(Buffer.from('{"n":"x"}')), /senml-json: a SenML pack is a non-empty array/],
    [() => decodeSenmlJson(Buffer.from('[{"n":"x","v":"high"}]')), /record 0: "v" must be a number/],
    [() => decodeSenmlJson(Buffer.from('[{"color":"red"}]')), /record 0 has no SenML label/],
    [() => decodeSenmlCbor(encodeCbor([{ n: 'x', v: 1 }])), /record 0 is not a SenML record/],
    [() => decodeCbor(Buffer.from('21.5')), /not valid cbor/],
    [() => decodePayload(Buffer.from('{'), 'json'), /not valid json/],
  ];
  for (const [run, pattern] of cases) {
    try {
      run();
      assert.unreachable(`expected ${pattern}`);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'PAYLOAD_INVALID');
      assert.match((error as Error).message, pattern);
    }
  }
});

/** Buffers and Uint8Arrays compare by content. */
function toPlain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (item instanceof Uint8Array ? { bytes: [...item] } : (item as { type?: string; data?: number[] })?.type === 'Buffer' ? { bytes: (item as { data: number[] }).data } : item)));
}

test.run();

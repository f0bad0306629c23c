// Bytes checked by hand against the schemas and the protocol guide: classic and compact
// strings, arrays and nulls, request header v1 and v2, tagged fields (KIP-482).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ApiKey,
  ByteReader,
  ByteWriter,
  DecodeFailure,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  parseRequestHeader,
} from '../../../../shared/kafka/wire/index.ts';
import { readStruct, writeStruct } from '../../../../shared/kafka/protocol/codec.ts';
import { array, int32, string, struct } from '../../../../shared/kafka/protocol/schema.ts';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** Compares bytes as hex text, which uvu can diff. */
const sameBytes = (actual: Buffer, expected: Buffer) => assert.is(actual.toString('hex'), expected.toString('hex'));

test('Heartbeat v3: header v1 and classic strings, null as int16 -1', () => {
  const frame = encodeRequest(ApiKey.Heartbeat, 3, 1, 'c', { groupId: 'g', generationId: 5, memberId: 'm', groupInstanceId: null });
  sameBytes(frame, hex(`
    00000017
    000c 0003 00000001 0001 63
    0001 67  00000005  0001 6d  ffff`));
  const request = decodeRequest(frame.subarray(4));
  assert.equal(request.body, { groupId: 'g', generationId: 5, memberId: 'm', groupInstanceId: null });
  assert.is(request.header.headerVersion, 1);
});

test('Heartbeat v4: header v2 with its tagged fields, compact strings, null as 0', () => {
  const frame = encodeRequest(ApiKey.Heartbeat, 4, 1, 'c', { groupId: 'g', generationId: 5, memberId: 'm', groupInstanceId: null });
  sameBytes(frame, hex(`
    00000016
    000c 0004 00000001 0001 63 00
    02 67  00000005  02 6d  00  00`));
  const header = parseRequestHeader(frame.subarray(4));
  assert.equal(header, { apiKey: 12, apiVersion: 4, correlationId: 1, clientId: 'c', headerVersion: 2, size: 12 });
});

test('header v2 skips tagged fields it does not know', () => {
  const frame = hex(`
    000c 0004 00000001 ffff 01 05 02 aaaa
    02 67  00000005  02 6d  00  00`);
  const request = decodeRequest(frame);
  assert.is(request.header.clientId, null);
  assert.is(request.header.size, 15);
  assert.equal(request.body, { groupId: 'g', generationId: 5, memberId: 'm', groupInstanceId: null });
});

test('Metadata: null topics are int32 -1 in v1 and compact 0 in v9; arrays count + 1 when compact', () => {
  sameBytes(
    encodeRequest(ApiKey.Metadata, 1, 7, null, { topics: null, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }).subarray(4),
    hex('0003 0001 00000007 ffff  ffffffff'),
  );
  sameBytes(
    encodeRequest(ApiKey.Metadata, 9, 7, null, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'ab' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }).subarray(4),
    hex('0003 0009 00000007 ffff 00  02 03 6162 00  01  00  00  00'),
  );
  const v0 = decodeRequest(hex('0003 0000 00000007 ffff  00000000'));
  assert.equal(v0.body, {
    topics: [],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
});

test('ApiVersions v3 response: header v0 (KIP-511) and tagged fields in tag order', () => {
  const frame = encodeResponse(ApiKey.ApiVersions, 3, 9, {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }],
    throttleTimeMs: 0,
    finalizedFeaturesEpoch: 7n,
    supportedFeatures: [{ name: 'f', minVersion: 1, maxVersion: 2 }],
  });
  sameBytes(frame, hex(`
    00000027
    00000009
    0000
    02 0000 0000 000b 00
    00000000
    02
      00 08  02 02 66 0001 0002 00
      01 08  0000000000000007`));
  const decoded = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4));
  assert.equal(decoded.body.supportedFeatures, [{ name: 'f', minVersion: 1, maxVersion: 2 }]);
  assert.is(decoded.body.finalizedFeaturesEpoch, 7n);
  assert.equal(decoded.body.finalizedFeatures, []);
  assert.is(decoded.body.zkMigrationReady, false);
});

test('tagged fields at their defaults are not written', () => {
  const frame = encodeResponse(ApiKey.ApiVersions, 3, 9, { errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: -1n });
  sameBytes(frame.subarray(4), hex('00000009 0000 01 00000000 00'));
});

test('unknown tags are skipped; tags out of order are refused', () => {
  const known = hex('00000009 0000 01 00000000 02  01 08 0000000000000007  09 03 aabbcc');
  assert.is(decodeResponse(ApiKey.ApiVersions, 3, known).body.finalizedFeaturesEpoch, 7n);
  assert.throws(
    () => decodeResponse(ApiKey.ApiVersions, 3, hex('00000009 0000 01 00000000 02  09 00  01 08 0000000000000007')),
    /tagged field 1 is out of order or repeated after tag 9/,
  );
  assert.throws(
    () => decodeResponse(ApiKey.ApiVersions, 3, hex('00000009 0000 01 00000000 01  01 09 0000000000000007 00')),
    /in field finalizedFeaturesEpoch: tagged field 1 is 9 bytes long but its value took 8/,
  );
});

test('a tagged struct inside an array entry: Fetch v12 current leader', () => {
  const frame = encodeResponse(ApiKey.Fetch, 12, 3, {
    throttleTimeMs: 0,
    errorCode: 0,
    responses: [{
      topic: 't',
      topicId: '00000000-0000-0000-0000-000000000000',
      partitions: [{
        partitionIndex: 0,
        errorCode: 6,
        highWatermark: -1n,
        abortedTransactions: null,
        records: null,
        currentLeader: { leaderId: 2, leaderEpoch: 3 },
      }],
    }],
  });
  sameBytes(frame.subarray(4), hex(`
    00000003 00
    00000000 0000 00000000
    02 02 74
      02 00000000 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff 00 ffffffff 00
         01 01 09 00000002 00000003 00
      00
    00`));
});

test('the codec walks a definition built from the vocabulary', () => {
  const fields = {
    id: int32('0+'),
    name: string('1+').nullable('2+'),
    items: array('0+', { value: int32('0+') }),
    extra: struct('3+', { flag: int32('3+') }).tagged(0, '3+'),
  };
  const writer = new ByteWriter();
  writeStruct(writer, fields, { id: 1, name: null, items: [{ value: 2 }], extra: { flag: 4 } }, 3, true);
  sameBytes(writer.toBuffer(), hex('00000001 00 02 00000002 00 01 00 05 00000004 00'));
  assert.equal(readStruct(new ByteReader(writer.toBuffer()), fields, 3, true), { id: 1, name: null, items: [{ value: 2 }], extra: { flag: 4 } });
  // Version 1 lacks the nullability of name, and version 0 the field itself.
  assert.throws(() => writeStruct(new ByteWriter(), fields, { id: 1, name: null, items: [] }, 1, false), /not nullable in version 1/);
  assert.equal(readStruct(new ByteReader(hex('00000001 00000000')), fields, 0, false), { id: 1, name: '', items: [], extra: { flag: 0 } });
});

test('decode failures carry the field path and byte offset', () => {
  try {
    readStruct(new ByteReader(hex('00000001 0005 61')), { id: int32('0+'), name: string('0+'), items: array('0+', { value: int32('0+') }) }, 0, false);
    assert.unreachable('the string is cut short');
  } catch (error) {
    assert.instance(error, DecodeFailure);
    const failure = error as DecodeFailure;
    assert.equal(failure.path, ['name']);
    assert.is(failure.byteOffset, 4);
  }
});

test.run();

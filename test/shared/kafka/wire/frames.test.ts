// Frame-level behaviour a server relies on: headers read without the body's schema,
// unsupported APIs and versions, the ApiVersions fallback (KIP-511), and malformed input —
// truncated at every byte, corrupted at random, lengths over their limits — always ending in
// a KafkaProtocolError, never in another exception, a hang or a large allocation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { Reader, apiVersionsV0 } from '@platformatic/kafka';
import {
  ApiKey,
  ARRAY_LENGTH_MAX,
  ErrorCode,
  FRAME_BYTES_MAX,
  KafkaProtocolError,
  STRING_BYTES_MAX,
  SUPPORTED_APIS,
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  parseRequestHeader,
  responseHeaderVersion,
} from '../../../../shared/kafka/wire/index.ts';
import type { KafkaProtocolErrorCode } from '../../../../shared/kafka/wire/index.ts';

const require = createRequire(import.meta.url);

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function protocolError(run: () => unknown): KafkaProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof KafkaProtocolError) return error;
    throw error;
  }
  throw new Error('expected a KafkaProtocolError');
}

function expectCode(run: () => unknown, code: KafkaProtocolErrorCode): KafkaProtocolError {
  const error = protocolError(run);
  assert.is(error.code, code, error.message);
  return error;
}

const UUID = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** Sample request frames (without the length prefix) of several shapes. */
const SAMPLES: Record<string, Buffer> = {
  'Produce v9': encodeRequest(ApiKey.Produce, 9, 11, 'producer', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'sensors', partitionData: [{ index: 0, records: Buffer.alloc(70, 0xab) }, { index: 1, records: null }] }],
  }).subarray(4),
  'Fetch v12': encodeRequest(ApiKey.Fetch, 12, 12, 'consumer', {
    clusterId: 'cluster',
    maxWaitMs: 500,
    minBytes: 1,
    topics: [{ topic: 'sensors', topicId: UUID, partitions: [{ partition: 0, fetchOffset: 42n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [{ topic: 'old', topicId: UUID, partitions: [3, 4] }],
    rackId: 'rack-a',
  }).subarray(4),
  'Metadata v1': encodeRequest(ApiKey.Metadata, 1, 13, 'kafka-python', {
    topics: [{ topicId: UUID, name: 'a' }, { topicId: UUID, name: 'b' }],
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  }).subarray(4),
  'JoinGroup v5': encodeRequest(ApiKey.JoinGroup, 5, 14, 'kafkajs', {
    groupId: 'group',
    sessionTimeoutMs: 30000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('metadata') }],
  }).subarray(4),
  'ApiVersions v3': encodeRequest(ApiKey.ApiVersions, 3, 15, 'rdkafka', { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }).subarray(4),
};

test('every sample decodes whole', () => {
  for (const [name, frame] of Object.entries(SAMPLES)) assert.ok(decodeRequest(frame).body, name);
});

test('a frame truncated at any byte is refused with KAFKA_FRAME_MALFORMED', () => {
  for (const [name, frame] of Object.entries(SAMPLES)) {
    for (let length = 0; length < frame.length; length++) {
      const error = expectCode(() => decodeRequest(frame.subarray(0, length)), 'KAFKA_FRAME_MALFORMED');
      assert.ok(error.byteOffset !== null && error.byteOffset <= length, `${name} cut at ${length}: ${error.message}`);
      assert.match(error.message, /truncated|cut short|runs past the end/, `${name} cut at ${length}: ${error.message}`);
    }
  }
});

test('randomly corrupted frames decode or fail with a KafkaProtocolError, nothing else', () => {
  // A fixed seed keeps the run reproducible; 2,000 mutations per sample keep it fast.
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  for (const [name, frame] of Object.entries(SAMPLES)) {
    for (let round = 0; round < 2000; round++) {
      const mutated = Buffer.from(frame);
      const changes = 1 + Math.floor(random() * 3);
      for (let change = 0; change < changes; change++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      try {
        decodeRequest(mutated);
      } catch (error) {
        assert.instance(error, KafkaProtocolError, `${name} round ${round}: ${(error as Error).message}`);
      }
    }
  }
});

test('errors name the API, version, field and byte offset', () => {
  const frame = SAMPLES['Produce v9']!;
  const error = expectCode(() => decodeRequest(frame.subarray(0, 60)), 'KAFKA_FRAME_MALFORMED');
  assert.is(error.apiName, 'Produce');
  assert.is(error.apiVersion, 9);
  assert.is(error.correlationId, 11);
  assert.is(error.field, 'topicData[0].partitionData[0].records');
  assert.match(error.message, /^Produce v9 request at byte \d+ in field topicData\[0\]\.partitionData\[0\]\.records: truncated: records of 70 bytes but \d+ remain$/);
});

test('bytes after the end of a request are ignored, as Kafka ignores them; a request cut short is still refused', () => {
  // librdkafka 2.3+ sends Metadata v12 with three bytes after the message (librdkafka #5049).
  const metadata = encodeRequest(3, 12, 9, 'rdkafka', { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }).subarray(4);
  const decoded = decodeRequest(Buffer.concat([metadata, hex('000000')]));
  assert.is(decoded.apiKey, 3);
  assert.equal(decoded.body, decodeRequest(metadata).body);
  const apiVersions = Buffer.concat([SAMPLES['ApiVersions v3']!, hex('00')]);
  assert.is(decodeRequest(apiVersions).apiKey, 18);
  assert.match(expectCode(() => decodeRequest(metadata.subarray(0, metadata.length - 1)), 'KAFKA_FRAME_MALFORMED').message, /^Metadata v12 request at byte \d+/);
});

test('bytes after the end of a response are refused', () => {
  const frame = encodeResponse(12, 0, 5, { throttleTimeMs: 0, errorCode: 0 });
  assert.match(expectCode(() => decodeResponse(12, 0, Buffer.concat([frame.subarray(4), hex('00')])), 'KAFKA_FRAME_MALFORMED').message, /1 bytes follow the end of the message/);
});

test('negative lengths and nulls in fields that are not nullable are refused', () => {
  // Heartbeat v3 with group_id length -2, then with member_id null.
  assert.match(protocolError(() => decodeRequest(hex('000c 0003 00000001 ffff fffe'))).message, /in field groupId: string has negative length -2/);
  assert.match(protocolError(() => decodeRequest(hex('000c 0003 00000001 ffff 0001 67 00000005 ffff ffff'))).message, /in field memberId: null string in a field that is not nullable/);
  // SyncGroup v0 with an assignment of -5 bytes.
  assert.match(
    protocolError(() => decodeRequest(hex('000e 0000 00000001 ffff 0001 67 00000001 0001 6d 00000001 0001 6d fffffffb'))).message,
    /in field assignments\[0\]\.assignment: bytes has negative length -5/,
  );
  // Metadata v0 with a topic count of -2.
  assert.match(protocolError(() => decodeRequest(hex('0003 0000 00000001 ffff fffffffe'))).message, /array has negative length -2/);
});

test('lengths over their limits are refused before anything is allocated', () => {
  // A compact string (ListGroups v4 states filter) longer than STRING_BYTES_MAX.
  const longString = Buffer.alloc(STRING_BYTES_MAX + 1, 0x61);
  const frame = Buffer.concat([hex('0010 0004 00000001 ffff 00 02'), hex('818002'), longString, hex('00 00')]);
  assert.match(protocolError(() => decodeRequest(frame)).message, new RegExp(`string length ${STRING_BYTES_MAX + 1} exceeds the limit of ${STRING_BYTES_MAX}`));
  // An array count over ARRAY_LENGTH_MAX, then one that the remaining bytes cannot hold.
  const overLimit = hex(`0003 0001 00000001 ffff ${(ARRAY_LENGTH_MAX + 1).toString(16).padStart(8, '0')}`);
  assert.match(protocolError(() => decodeRequest(overLimit)).message, /array length 1048577 exceeds the limit of 1048576/);
  const overRemaining = hex('0003 0001 00000001 ffff 000f4240 0001 61');
  assert.match(protocolError(() => decodeRequest(overRemaining)).message, /truncated: array of 1000000 entries needs at least 2000000 bytes but 3 remain/);
  // A tagged field that claims more bytes than remain.
  assert.match(protocolError(() => decodeRequest(hex('0012 0003 00000001 ffff 00 01 01 01 05 ff01'))).message, /truncated: tagged field 5 of 255 bytes but 0 remain/);
});

test('a frame larger than FRAME_BYTES_MAX is refused', () => {
  const frame = Buffer.allocUnsafe(FRAME_BYTES_MAX + 1);
  SAMPLES['ApiVersions v3']!.copy(frame);
  assert.match(expectCode(() => parseRequestHeader(frame), 'KAFKA_FRAME_MALFORMED').message, /exceeds the limit of 104857600/);
});

test('the header of an unknown API is read; decoding it reports KAFKA_API_UNSUPPORTED', () => {
  const frame = hex('03e8 0001 0000002a 0003 616263 deadbeef');
  assert.equal(parseRequestHeader(frame), { apiKey: 1000, apiVersion: 1, correlationId: 42, clientId: 'abc', headerVersion: 1, size: 13 });
  const error = expectCode(() => decodeRequest(frame), 'KAFKA_API_UNSUPPORTED');
  assert.is(error.correlationId, 42);
  assert.match(error.message, /API key 1000 v1 request: this broker does not serve this API/);
  // A Kafka API we do not serve is named.
  assert.match(expectCode(() => decodeRequest(hex('001b 0000 00000001 ffff')), 'KAFKA_API_UNSUPPORTED').message, /^WriteTxnMarkers v0 request/);
});

test('versions outside the served ranges report KAFKA_VERSION_UNSUPPORTED', () => {
  const fetchV3 = expectCode(() => decodeRequest(hex('0001 0003 00000007 ffff 00000000')), 'KAFKA_VERSION_UNSUPPORTED');
  assert.match(fetchV3.message, /Fetch v3 request: this broker serves versions 4 to 17/);
  // A newer ApiVersions than ours still has its header read as v2 (open flexible range).
  const apiVersionsV9 = hex('0012 0009 00000063 0001 78 00 04 6e616d65 02 31 00');
  const header = parseRequestHeader(apiVersionsV9);
  assert.is(header.headerVersion, 2);
  assert.is(header.size, 12);
  assert.is(expectCode(() => decodeRequest(apiVersionsV9, header), 'KAFKA_VERSION_UNSUPPORTED').correlationId, 99);
});

test('the ApiVersions fallback is error 35 with every supported range in the v0 layout', async () => {
  const frame = encodeApiVersionsFallback(99);
  const entries = SUPPORTED_APIS.map((api) => [api.apiKey, api.minVersion, api.maxVersion]
    .map((value) => value.toString(16).padStart(4, '0')).join('')).join('');
  assert.is(frame.toString('hex'), [
    (frame.length - 4).toString(16).padStart(8, '0'),
    '00000063', '0023', SUPPORTED_APIS.length.toString(16).padStart(8, '0'), entries,
  ].join(''));
  // Our own v0 decoder, and @platformatic/kafka's, read the ranges to fall back to.
  const expected = SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }));
  const decoded = decodeResponse(ApiKey.ApiVersions, 0, frame.subarray(4));
  assert.equal(decoded.body, { errorCode: 35, apiKeys: expected, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false });
  try {
    apiVersionsV0.parseResponse(99, 18, 0, Reader.from(frame.subarray(8)));
    assert.unreachable('an error code makes the client throw');
  } catch (error) {
    const response = (error as { response?: { errorCode: number; apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }> } }).response;
    assert.is(response?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(response?.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })), expected);
  }
  // kafkajs reads the error code and moves on to an older version, as it does with Kafka.
  const decodeV0 = require('kafkajs/src/protocol/requests/apiVersions/v0/response.js').decode as (payload: Buffer) => Promise<unknown>;
  await decodeV0(frame.subarray(8)).then(
    () => assert.unreachable('kafkajs throws on error 35'),
    (error: { type?: string }) => assert.is(error.type, 'UNSUPPORTED_VERSION'),
  );
});

test('response headers: v1 for flexible versions, v0 for ApiVersions always (KIP-511)', () => {
  assert.is(responseHeaderVersion(ApiKey.Heartbeat, 3), 0);
  assert.is(responseHeaderVersion(ApiKey.Heartbeat, 4), 1);
  assert.is(responseHeaderVersion(ApiKey.ApiVersions, 4), 0);
  const heartbeatV4 = encodeResponse(ApiKey.Heartbeat, 4, 5, { throttleTimeMs: 0, errorCode: 0 });
  assert.is(heartbeatV4.toString('hex'), '0000000c' + '00000005' + '00' + '00000000' + '0000' + '00');
  assert.equal(decodeResponse(ApiKey.Heartbeat, 4, heartbeatV4.subarray(4)), { correlationId: 5, body: { throttleTimeMs: 0, errorCode: 0 } });
});

test('response chunks reference large records instead of copying them', () => {
  const records = Buffer.alloc(256 * 1024, 1);
  const chunks = encodeResponseChunks(ApiKey.Fetch, 4, 8, {
    throttleTimeMs: 0,
    errorCode: 0,
    responses: [{ topic: 't', topicId: UUID, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, abortedTransactions: null, records }] }],
  });
  assert.ok(chunks.includes(records));
  const frame = Buffer.concat(chunks);
  assert.is(frame.readInt32BE(0), frame.length - 4);
  const decoded = decodeResponse(ApiKey.Fetch, 4, frame.subarray(4));
  assert.ok(decoded.body.responses[0]!.partitions[0]!.records!.equals(records));
});

test('records given as a list of batches are written one after another', () => {
  const batches = [Buffer.from('first-'), Buffer.alloc(8 * 1024, 2), Buffer.from('-last')];
  const frame = encodeResponse(ApiKey.Fetch, 12, 8, {
    throttleTimeMs: 0,
    errorCode: 0,
    responses: [{ topic: 't', topicId: UUID, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, abortedTransactions: null, records: batches }] }],
  });
  const decoded = decodeResponse(ApiKey.Fetch, 12, frame.subarray(4));
  assert.ok(decoded.body.responses[0]!.partitions[0]!.records!.equals(Buffer.concat(batches)));
});

test('records decode as views of the frame, other bytes as copies', () => {
  const frame = SAMPLES['Produce v9']!;
  const request = decodeRequest(frame);
  assert.ok(request.apiKey === ApiKey.Produce);
  const records = request.body.topicData[0]!.partitionData[0]!.records!;
  assert.is(records.buffer, frame.buffer, 'records share the frame memory');
  const join = decodeRequest(SAMPLES['JoinGroup v5']!);
  assert.ok(join.apiKey === ApiKey.JoinGroup);
  assert.is.not(join.body.protocols[0]!.metadata.buffer, SAMPLES['JoinGroup v5']!.buffer, 'metadata is a copy');
});

test('values that do not fit their schema are assertion failures naming the field', () => {
  const body = { throttleTimeMs: 0, errorCode: 70000 };
  assert.throws(() => encodeResponse(ApiKey.Heartbeat, 1, 1, body), /cannot encode Heartbeat v1 response field errorCode: int16 must be an integer from -32768 to 32767, got 70000/);
  assert.throws(
    () => encodeResponse(ApiKey.Produce, 3, 1, {
      responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5 as unknown as bigint, recordErrors: [] }] }],
    }),
    /field responses\[0\]\.partitionResponses\[0\]\.baseOffset: int64 must be a bigint/,
  );
  assert.throws(() => encodeResponse(ApiKey.Heartbeat, 9, 1, { throttleTimeMs: 0, errorCode: 0 }), /served versions are 0-4/);
});

test.run();

// Bad input on raw sockets: garbage, an oversized length prefix, truncated frames, unknown
// APIs and versions, corrupt batches, missing topics and partitions. Each gets the right
// Kafka error code or has its own connection closed with the reason logged, while a
// kafkajs client and a raw connection opened before the first bad byte keep being served.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { decodeResponse, encodeRequest, ErrorCode } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch } from '../../../../shared/kafka/record-batch.ts';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { kafkajsClient } from './support/kafkajs.ts';
import { readPartition } from './support/log-reader.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { within } from './support/timeout.ts';

const TOPIC = 'bad-input';
/** Small, so that a frame over the limit is cheap to announce. */
const MAX_REQUEST_BYTES = 64 * 1024;
const WAIT_MS = 10_000;
const API_VERSIONS = 18;

/** Deterministic bytes that look random: the same garbage on every run. */
function garbage(byteCount: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  for (let counter = 0; parts.length * 32 < byteCount; counter++) parts.push(createHash('sha256').update(`${seed}:${counter}`).digest());
  return Buffer.concat(parts).subarray(0, byteCount);
}

/** A frame: size prefix, then the given header fields and body. */
function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, flexibleHeader = false): Buffer {
  const clientId = Buffer.from('bad-input');
  const header = Buffer.alloc(2 + 2 + 4 + 2);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const parts = [header, clientId, ...(flexibleHeader ? [Buffer.from([0])] : []), body];
  const size = Buffer.alloc(4);
  size.writeInt32BE(parts.reduce((total, part) => total + part.length, 0));
  return Buffer.concat([size, ...parts]);
}

let daemon: Daemon;
let bystander: RawKafkaConnection;
const kafka = () => kafkajsClient(daemon.ports.kafka!, 'bystander');
let producer: ReturnType<ReturnType<typeof kafka>['producer']>;

/** Sends bytes on a new connection and expects the broker to close it without answering. */
async function expectClosed(bytes: Buffer | Buffer[], what: string): Promise<void> {
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) connection.write(chunk);
  await within(connection.closed, WAIT_MS, `close of the connection after ${what}`);
  assert.is(connection.framesReceived, 0, `no answer to ${what}`);
}

test.before(async () => {
  daemon = await Daemon.start({ config: { kafka: { maxRequestBytes: MAX_REQUEST_BYTES, autoCreateTopics: false }, topics: { overrides: { [TOPIC]: { partitions: 1, maxMessageBytes: 4096 } } } } });
  bystander = await RawKafkaConnection.connect(daemon.ports.kafka!);
  producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: 'before' }] });
});

test.after(async () => {
  await producer?.disconnect();
  await bystander?.close();
  await daemon?.cleanup();
});

test('random bytes close that connection: a negative size prefix, and a garbage frame of a plausible size', async () => {
  const noise = garbage(1024, 'noise');
  noise[0] = 0xff; // A negative size prefix.
  await expectClosed(noise, 'random bytes');
  const body = garbage(200, 'frame');
  const sized = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  await expectClosed(sized, 'a garbage frame');
});

test('a length prefix over kafka.maxRequestBytes closes the connection before the body is read', async () => {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(MAX_REQUEST_BYTES + 1);
  await expectClosed(prefix, 'an oversized length prefix');
  await daemon.logLine((line) => String(line.reason ?? '').includes('kafka.maxRequestBytes'), 'the log names the limit that was exceeded');
});

test('truncated frames: a body shorter than its fields, and a frame cut off by the client', async () => {
  // Metadata v1 announcing 1000 topics and carrying one byte of them.
  const body = Buffer.alloc(5);
  body.writeInt32BE(1000, 0);
  await expectClosed(frame(3, 1, 1, body), 'a Metadata request whose topic array runs past the frame');

  const whole = encodeRequest(3, 1, 2, 'bad-input', { topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  connection.write(whole.subarray(0, whole.length - 3));
  connection.socket.end();
  await within(connection.closed, WAIT_MS, 'close after a frame cut off by the client');
  assert.is(connection.framesReceived, 0, 'no answer to half a frame');
});

test('bytes after the end of a request are ignored, as Kafka ignores them: librdkafka 2.3+ sends Metadata v12 with three', async () => {
  const request = encodeRequest(3, 12, 5, 'rdkafka', { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const padded = Buffer.concat([request, Buffer.from([0, 0, 0])]);
  padded.writeInt32BE(padded.length - 4, 0);
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const response = decodeResponse(3, 12, await within(connection.replay(padded), WAIT_MS, 'the Metadata response'));
    assert.is(response.correlationId, 5);
    assert.ok(response.body.topics.some((topic) => topic.name === TOPIC), 'every topic, the declared one among them');
    assert.not.ok(connection.isClosed, 'the connection stays open');
  } finally {
    await connection.close();
  }
});

test('an unknown API key and an unknown version of a served API close that connection', async () => {
  await expectClosed(frame(1000, 0, 3, Buffer.alloc(0)), 'API key 1000');
  await expectClosed(frame(3, 99, 4, Buffer.alloc(0), true), 'Metadata v99');
  const closing = (pattern: RegExp) => (line: Record<string, unknown>): boolean => line.msg === 'closing Kafka connection' && pattern.test(String(line.reason));
  await daemon.logLine(closing(/not serve/), 'the log says the API is not served');
  await daemon.logLine(closing(/versions/), 'the log says which versions are served');
});

test('ApiVersions of an unknown version is answered with error 35 and the supported ranges in the v0 layout (KIP-511)', async () => {
  for (const version of [5, 99]) {
    const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
    try {
      // A newer ApiVersions is flexible: header v2 and a compact body the broker cannot know.
      const body = Buffer.concat([Buffer.from([5]), Buffer.from('test'), Buffer.from([4]), Buffer.from('1.0'), Buffer.from([0])]);
      const answer = await within(connection.replay(frame(API_VERSIONS, version, 77, body, true)), WAIT_MS, `answer to ApiVersions v${version}`);
      const response = decodeResponse(API_VERSIONS, 0, answer);
      assert.is(response.correlationId, 77);
      assert.is(response.body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const apiVersions = response.body.apiKeys.find((entry) => entry.apiKey === API_VERSIONS);
      assert.equal(apiVersions && { min: apiVersions.minVersion, max: apiVersions.maxVersion }, { min: 0, max: 4 }, 'its own range is listed');
      assert.ok(response.body.apiKeys.some((entry) => entry.apiKey === 0), 'Produce is listed');
      // The client retries with a version from the list, on the same connection.
      const retried = await connection.request(API_VERSIONS, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
      assert.is(retried.errorCode, ErrorCode.NONE);
    } finally {
      await connection.close();
    }
  }
});

test('missing topics and partitions get UNKNOWN_TOPIC_OR_PARTITION, corrupt and oversized batches their codes; the connection stays open', async () => {
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    const metadata = await connection.request(3, 4, { topics: [{ name: 'no-such-topic', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.is(metadata.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Metadata of a missing topic (auto-creation off)');

    const produce = async (name: string, index: number, records: Buffer) => {
      const response = await connection.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index, records }] }] });
      return response.responses[0]!.partitionResponses[0]!.errorCode;
    };
    const batch = encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] });
    assert.is(await produce('no-such-topic', 0, batch), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Produce to a missing topic');
    assert.is(await produce(TOPIC, 7, batch), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Produce to a missing partition');
    const corrupt = Buffer.from(batch);
    corrupt[corrupt.length - 1]! ^= 0xff;
    assert.is(await produce(TOPIC, 0, corrupt), ErrorCode.CORRUPT_MESSAGE, 'a batch whose CRC does not match');
    const oversized = encodeRecordBatch({ records: [{ key: 'k', value: garbage(8192, 'large') }] });
    assert.is(await produce(TOPIC, 0, oversized), ErrorCode.MESSAGE_TOO_LARGE, 'a batch over the topic\'s maxMessageBytes');

    const fetch = await connection.request(1, 4, { maxWaitMs: 0, minBytes: 0, maxBytes: 65_536, isolationLevel: 0, topics: [{ topic: TOPIC, topicId: '', partitions: [{ partition: 9, fetchOffset: 0n, partitionMaxBytes: 65_536 }] }, { topic: 'no-such-topic', topicId: '', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 65_536 }] }], forgottenTopicsData: [] });
    assert.equal(fetch.responses.map((topic) => topic.partitions[0]!.errorCode), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], 'Fetch of a missing partition and topic');
    const outOfRange = await connection.request(1, 4, { maxWaitMs: 0, minBytes: 0, maxBytes: 65_536, isolationLevel: 0, topics: [{ topic: TOPIC, topicId: '', partitions: [{ partition: 0, fetchOffset: 1000n, partitionMaxBytes: 65_536 }] }], forgottenTopicsData: [] });
    assert.is(outOfRange.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'Fetch past the end of the log');

    const listOffsets = await connection.request(2, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 5, timestamp: -1n }] }], timeoutMs: 0 });
    assert.is(listOffsets.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'ListOffsets of a missing partition');

    const commit = await connection.request(8, 2, { groupId: 'bad-input-group', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 3, committedOffset: 1n, committedMetadata: null }] }] });
    assert.is(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'OffsetCommit for a missing partition');
    assert.ok(!connection.isClosed, 'error codes do not close the connection');
  } finally {
    await connection.close();
  }
});

test('every client connected before the bad input is still served, and the log keeps only good batches', async () => {
  const versions = await bystander.request(API_VERSIONS, 3, { clientSoftwareName: 'bystander', clientSoftwareVersion: '1.0' });
  assert.is(versions.errorCode, ErrorCode.NONE, 'the raw connection opened first still gets answers');
  await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: 'after' }] });
  const stored = await readPartition(daemon.ports.kafka!, TOPIC, 0);
  assert.equal(stored.records.map((record) => record.value!.toString()), ['before', 'after'], 'the kafkajs producer connected throughout still appends; nothing else was stored');
  const metrics = await daemon.metrics();
  assert.ok((metricValue(metrics, 'tributary_kafka_requests_total', { outcome: 'malformed' }) ?? 0) >= 1, 'malformed requests are counted');
  assert.ok((metricValue(metrics, 'tributary_kafka_requests_total', { outcome: 'unsupported' }) ?? 0) >= 1, 'unsupported requests are counted');
  const isClosing = (line: Record<string, unknown>): boolean => line.msg === 'closing Kafka connection';
  await daemon.logLine(() => daemon.logLines.filter(isClosing).length >= 6, 'each closed connection is logged (6)');
  const closings = daemon.logLines.filter(isClosing);
  assert.ok(closings.every((line) => typeof line.reason === 'string' && line.reason.length > 0 && typeof line.client === 'string'), 'with the reason and the client address');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode } from 'cbor-x';
import { isTributaryError } from '../../shared/errors.ts';
import { decodeHeartbeat, encodeHeartbeat, HEARTBEAT_ERROR_CHARACTERS_MAX, HEARTBEAT_TOPICS_MAX, topicBacklogs, type Heartbeat } from '../../shared/heartbeat.ts';

const sample: Heartbeat = {
  edge: 'pump-7',
  sentAtMs: 1_790_000_000_000,
  startedAtMs: 1_789_999_000_000,
  linkState: 'up',
  lagRecords: 1234,
  lagBytes: 567_890,
  lagSeconds: 12.3,
  bytesSent: 98_765_432,
  recordsDelivered: 1_000_000,
  throughputBytesPerSecond: 125_000,
  errors: 3,
  lastError: 'connect ECONNREFUSED 10.0.0.1:9092',
  lastErrorAtMs: 1_789_999_500_000,
  evictedUndeliveredRecords: 0,
  partitions: 6,
};

test('a heartbeat round-trips and stays small', () => {
  const bytes = encodeHeartbeat(sample);
  assert.equal(decodeHeartbeat(bytes), { ...sample, configVersion: null, softwareVersion: null, topics: [] }, 'a heartbeat without the optional fields reads as before');
  assert.ok(bytes.length < 160, `a heartbeat is ${bytes.length} bytes; it crosses a metered link every interval`);
});

test('the configuration and software versions and the backlog per topic travel too, bounded', () => {
  const topics = topicBacklogs([{ topic: 'sensors', backlogRecords: 5 }, { topic: 'alarms', backlogRecords: 0 }, { topic: 'sensors', backlogRecords: 7 }]);
  assert.equal(topics, [{ topic: 'sensors', partitions: 2, backlogRecords: 12 }, { topic: 'alarms', partitions: 1, backlogRecords: 0 }]);
  const full = { ...sample, configVersion: '0a1b2c3d4e5f', softwareVersion: '0.1.0', topics };
  const bytes = encodeHeartbeat(full);
  assert.equal(decodeHeartbeat(bytes), full);
  assert.ok(bytes.length < 240, `${bytes.length} bytes`);
  const many = topicBacklogs(Array.from({ length: 100 }, (_, index) => ({ topic: `t${index}`, backlogRecords: index })));
  assert.is(many.length, HEARTBEAT_TOPICS_MAX);
  assert.is(many[0]!.topic, 't99', 'the largest backlogs are kept');
  assert.ok(encodeHeartbeat({ ...sample, topics: many }).length < 1024);
});

test('the error message is cut, gauges are rounded', () => {
  const decoded = decodeHeartbeat(encodeHeartbeat({ ...sample, lastError: 'x'.repeat(1000), lagSeconds: 1.23456, throughputBytesPerSecond: 10.6 }));
  assert.is(decoded.lastError!.length, HEARTBEAT_ERROR_CHARACTERS_MAX);
  assert.is(decoded.lagSeconds, 1.2);
  assert.is(decoded.throughputBytesPerSecond, 11);
  assert.is(decodeHeartbeat(encodeHeartbeat({ ...sample, lastError: null })).lastError, null);
});

test('anything else is refused with PAYLOAD_INVALID and the reason', () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from([0xff, 0x00]), /not CBOR|not a CBOR map/],
    [Buffer.from(encode([1, 2])), /not a CBOR map/],
    [Buffer.from(encode({ v: 2 })), /version 2/],
    [Buffer.from(encode({ v: 1, e: 'x' })), /field s is not text/],
    [Buffer.from(encode({ ...shortMap(encodeHeartbeat(sample)), s: 'sideways' })), /link state "sideways"/],
    [Buffer.from(encode({ ...shortMap(encodeHeartbeat(sample)), lr: -1 })), /field lr is not a non-negative number/],
    [Buffer.alloc(5000), /larger than a heartbeat/],
  ];
  for (const [bytes, message] of cases) {
    try {
      decodeHeartbeat(bytes);
      assert.unreachable(`${message} should have been refused`);
    } catch (error) {
      assert.ok(isTributaryError(error, 'PAYLOAD_INVALID'), String(error));
      assert.match((error as Error).message, message);
    }
  }
});

/** The map as written, with its short keys. */
function shortMap(bytes: Buffer): Record<string, unknown> {
  return decode(bytes) as Record<string, unknown>;
}

test.run();

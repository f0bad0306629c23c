// Round trip of every served version of every API, request and response, through the frame
// functions a server uses; and golden bytes for each, so that a change in any encoding shows.
// The golden bytes are our own encoder's output, checked in once: they guard against
// regressions, while the client-specific tests beside this file check the encodings against
// codecs written by others. Regenerate after an intended change with
// UPDATE_FIXTURES=1 node test/shared/kafka/apis/index.test.ts
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  API_DEFINITIONS,
  SUPPORTED_APIS,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  parseRequestHeader,
} from '../../../../shared/kafka/wire/index.ts';
import type { ServedApiKey } from '../../../../shared/kafka/wire/index.ts';
import { KAFKA_APIS } from '../../../../shared/kafka/protocol/api-keys.ts';
import { expectedValue, sampleValue, versionsOf } from './samples.ts';

const FIXTURE_URL = new URL('fixtures/round-trip.json', import.meta.url);
const UPDATE = process.env.UPDATE_FIXTURES === '1';
type Fixtures = Record<string, Record<string, string>>;
const fixtures: Fixtures = UPDATE ? {} : JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as Fixtures;
const CORRELATION_ID = 0x01020304;

// The body encoders are typed per API; these tests drive every API from one loop.
type AnyBody = never;

for (const api of API_DEFINITIONS) {
  const apiKey = api.apiKey as ServedApiKey;
  for (const version of versionsOf(api.versions)) {
    for (const nulls of [false, true]) {
      const label = `${api.name} v${version}${nulls ? ' with nulls' : ''}`;

      test(`${label} request round trip`, () => {
        const sample = sampleValue(api.request, version, { nulls });
        const frame = encodeRequest(apiKey, version, CORRELATION_ID, 'client-ü', sample as AnyBody);
        assert.is(frame.readInt32BE(0), frame.length - 4, 'length prefix');
        const header = parseRequestHeader(frame.subarray(4));
        assert.equal(
          { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId },
          { apiKey, apiVersion: version, correlationId: CORRELATION_ID, clientId: 'client-ü' },
        );
        const decoded = decodeRequest(frame.subarray(4), header);
        assert.equal(decoded.body, expectedValue(api.request, sample, version));
        checkFixture(`${label} request`, frame);
      });

      test(`${label} response round trip`, () => {
        const sample = sampleValue(api.response, version, { nulls });
        const frame = encodeResponse(apiKey, version, CORRELATION_ID, sample as AnyBody);
        assert.is(frame.readInt32BE(0), frame.length - 4, 'length prefix');
        const decoded = decodeResponse(apiKey, version, frame.subarray(4));
        assert.is(decoded.correlationId, CORRELATION_ID);
        assert.equal(decoded.body, expectedValue(api.response, sample, version));
        checkFixture(`${label} response`, frame);
      });
    }
  }
}

function checkFixture(label: string, frame: Buffer): void {
  const [name, ...rest] = label.split(' ');
  const key = rest.join(' ');
  if (UPDATE) {
    (fixtures[name!] ??= {})[key] = frame.toString('hex');
    return;
  }
  const expected = fixtures[name!]?.[key];
  assert.ok(expected !== undefined, `no golden bytes for ${label}; run with UPDATE_FIXTURES=1`);
  assert.is(frame.toString('hex'), expected, `${label} bytes changed`);
}

/**
 * Every API this broker advertises, each fully served. An API advertised but not served
 * changes what clients do: franz-go 1.19-1.21 switch to the KIP-848 consumer protocol as soon
 * as ConsumerGroupHeartbeat is advertised, and kafka-python guesses the broker's version from
 * the list.
 */
const ADVERTISED = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator', 'JoinGroup', 'Heartbeat',
  'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'SaslHandshake', 'ApiVersions', 'CreateTopics', 'DeleteTopics',
  'DeleteRecords', 'InitProducerId', 'OffsetForLeaderEpoch', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit',
  'DescribeAcls', 'CreateAcls', 'DeleteAcls', 'DescribeConfigs', 'AlterConfigs', 'DescribeLogDirs', 'SaslAuthenticate', 'CreatePartitions', 'DeleteGroups',
  'IncrementalAlterConfigs', 'OffsetDelete', 'DescribeClientQuotas', 'DescribeUserScramCredentials', 'AlterUserScramCredentials', 'DescribeCluster', 'DescribeProducers',
  'DescribeTransactions', 'ListTransactions', 'DescribeTopicPartitions',
];

test('SUPPORTED_APIS lists each served API once, with its Kafka name', () => {
  const keys = SUPPORTED_APIS.map((api) => api.apiKey);
  assert.equal(keys, [...new Set(keys)].sort((a, b) => a - b));
  assert.equal(SUPPORTED_APIS.map((api) => api.name), ADVERTISED, 'the advertised list changes only on purpose');
  for (const api of SUPPORTED_APIS) {
    assert.is(KAFKA_APIS.find((known) => known.apiKey === api.apiKey)?.name, api.name, `API key ${api.apiKey}`);
    assert.ok(api.minVersion <= api.maxVersion, api.name);
  }
});

test('version ranges cover the clients we serve', () => {
  const range = (name: string) => SUPPORTED_APIS.find((api) => api.name === name)!;
  // librdkafka turns compression off unless Produce is advertised from v0 (librdkafka #4956).
  assert.is(range('Produce').minVersion, 0);
  assert.ok(range('Produce').maxVersion >= 11, 'Produce up to what @platformatic/kafka sends');
  assert.ok(range('Fetch').minVersion <= 4 && range('Fetch').maxVersion >= 17, 'Fetch 4 (kafka-python) to 17 (@platformatic/kafka)');
  assert.ok(range('Metadata').minVersion === 0 && range('Metadata').maxVersion >= 12, 'Metadata 0 (kafka-python) to 12');
  assert.ok(range('ApiVersions').minVersion === 0 && range('ApiVersions').maxVersion >= 4, 'ApiVersions 0 to 4');
  assert.ok(range('ListOffsets').minVersion === 0, 'ListOffsets from 0 (kafka-python)');
  assert.ok(range('OffsetFetch').minVersion <= 1 && range('OffsetCommit').minVersion <= 2, 'kafka-python group offsets');
});

test.after(() => {
  if (UPDATE) writeFileSync(FIXTURE_URL, `${JSON.stringify(fixtures, null, 1)}\n`);
});

test.run();

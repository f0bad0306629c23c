// Our API definitions against Apache Kafka 4.4's own: a small Java program prints the wire
// layout of every version of every API we serve, as Kafka's clients jar defines it
// (field order, types, nullability, compact encodings, tagged fields), and each version we
// serve must read the same from our definition. Versions Kafka 4.4 no longer defines
// (removed by KIP-896, still served here for older clients) are listed, not compared;
// scripts/check-kafka-apis.ts checks them against the schema files of a Kafka checkout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { API_DEFINITIONS } from '../../../shared/kafka/apis/index.ts';
import { inVersions, type AnyFieldSpec, type ApiDefinition, type Fields } from '../../../shared/kafka/protocol/schema.ts';
import { runJava } from '../../helpers/apache-kafka.ts';

const PROGRAM = join(import.meta.dirname, 'java', 'ProtocolSchemas.java');
/** One JVM run prints every layout; compiling the single-file program takes a few seconds. */
const RUN_TIMEOUT_MS = 120_000;

function wireName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function typeOf(field: AnyFieldSpec, version: number, flexible: boolean): string {
  const nullable = inVersions(field.nullableVersions, version);
  switch (field.kind) {
    case 'int8': return 'INT8';
    case 'int16': return 'INT16';
    case 'uint16': return 'UINT16';
    case 'int32': return 'INT32';
    case 'int64': return 'INT64';
    case 'float64': return 'FLOAT64';
    case 'bool': return 'BOOLEAN';
    case 'uuid': return 'UUID';
    case 'string': return `${flexible ? 'COMPACT_' : ''}${nullable ? 'NULLABLE_' : ''}STRING`;
    case 'bytes': return `${flexible ? 'COMPACT_' : ''}${nullable ? 'NULLABLE_' : ''}BYTES`;
    case 'records': return `${flexible ? 'COMPACT_' : ''}${nullable ? 'NULLABLE_' : ''}RECORDS`;
    case 'array': {
      const element = field.element!;
      const inner = element.kind === 'struct' ? layoutOf(element.fields!, version, flexible) : typeOf(element, version, flexible);
      return `${nullable ? '?' : ''}[${inner}]`;
    }
    case 'struct': return `${nullable ? '?' : ''}${layoutOf(field.fields!, version, flexible)}`;
  }
}

/** The layout of a struct in one version, in the form ProtocolSchemas.java prints. */
function layoutOf(fields: Fields, version: number, flexible: boolean): string {
  const inline: string[] = [];
  const tagged: Array<[number, string]> = [];
  for (const [name, field] of Object.entries(fields)) {
    if (!inVersions(field.versions, version)) continue;
    const entry = `${wireName(name)}:${typeOf(field, version, flexible)}`;
    if (flexible && inVersions(field.taggedVersions, version)) tagged.push([field.tag!, `tag${field.tag}.${entry}`]);
    else inline.push(entry);
  }
  tagged.sort(([a], [b]) => a - b);
  return `{${[...inline, ...tagged.map(([, entry]) => entry)].join(' ')}}`;
}

function servedVersions(api: ApiDefinition): number[] {
  const versions: number[] = [];
  for (let version = api.versions.min; version <= api.versions.max; version++) versions.push(version);
  return versions;
}

test('every version we serve has Kafka 4.4\'s wire layout, request and response', async () => {
  const result = await runJava(PROGRAM, API_DEFINITIONS.map((api) => String(api.apiKey)), { timeoutMs: RUN_TIMEOUT_MS });
  assert.is(result.code, 0, `ProtocolSchemas.java failed:\n${result.stderr}`);
  const kafka = new Map<string, string>();
  for (const line of result.stdout.trim().split('\n')) {
    const [key, direction, version, ...layout] = line.split(' ');
    kafka.set(`${key} ${direction} ${version}`, layout.join(' '));
  }
  const compared: string[] = [];
  const notInKafka: string[] = [];
  const differences: string[] = [];
  for (const api of API_DEFINITIONS) {
    for (const version of servedVersions(api)) {
      const flexible = inVersions(api.flexibleVersions, version);
      for (const [direction, fields] of [['Request', api.request], ['Response', api.response]] as const) {
        const theirs = kafka.get(`${api.apiKey} ${direction} v${version}`);
        if (theirs === undefined) {
          notInKafka.push(`${api.name} ${direction} v${version}`);
          continue;
        }
        const ours = layoutOf(fields, version, flexible);
        compared.push(`${api.name} v${version}`);
        if (ours !== theirs) differences.push(`${api.name} ${direction} v${version}\n  ours:  ${ours}\n  Kafka: ${theirs}`);
      }
    }
  }
  assert.equal(differences, [], 'layouts that differ');
  assert.ok(compared.length > 200, `compared ${compared.length} layouts`);
  // The versions Kafka 4.4 dropped (KIP-896) that we keep serving for older clients.
  const dropped = [...new Set(notInKafka.map((entry) => entry.replace(/ (Request|Response) /, ' ')))];
  assert.equal(dropped, [
    'Produce v0', 'Produce v1', 'Produce v2', 'ListOffsets v0', 'OffsetCommit v0', 'OffsetCommit v1', 'OffsetFetch v0',
    'CreateTopics v0', 'CreateTopics v1', 'DeleteTopics v0', 'OffsetForLeaderEpoch v0', 'OffsetForLeaderEpoch v1', 'DescribeConfigs v0',
  ]);
});

test.run();

// `tributary consume` against a real edge daemon. The records are written with kafkajs,
// a client that shares no code with the command, in the payload formats devices send.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { encodeCbor, encodeSenmlCbor, encodeSenmlJson } from '../../../shared/payloads.ts';
import { Daemon } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { lines, runCli } from './run-cli.ts';

const CLI = resolve(import.meta.dirname, '../../../bin/tributary.js');

let daemon: Daemon;
let bootstrap: string;

test.before(async () => {
  daemon = await Daemon.start();
  bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
});

test.after(async () => {
  await daemon.cleanup();
});

async function produce(topic: string, partitions: number, messages: { partition?: number; key?: string; value: Buffer; timestamp?: string; headers?: Record<string, string> }[]): Promise<void> {
  const kafka = kafkajsClient(daemon.ports.kafka!, 'consume-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: messages.map((message) => ({ partition: message.partition ?? 0, ...message })) });
  await producer.disconnect();
}

const readings = [{ t: 21.5, h: 40 }, { t: 21.6, h: 41 }, { t: 21.8, h: 39, ok: true }];

test('CBOR payloads are printed as JSON, one a line', async () => {
  await produce('cbor-readings', 1, readings.map((reading) => ({ key: 'dev-1', value: encodeCbor(reading) })));
  const result = await runCli(['consume', '--topic', 'cbor-readings', '--from-beginning', '--decode', 'cbor', '--max-messages', '3', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(lines(result.stdout).map((line) => JSON.parse(line)), readings);
  assert.is(result.stderr, 'consumed 3 records\n');
});

test('auto decoding tells CBOR, SenML-CBOR, SenML-JSON and text apart; --format json shows the whole record', async () => {
  await produce('mixed', 1, [
    { key: 'a', value: encodeCbor({ v: 1 }), headers: { source: 'mqtt' }, timestamp: '1700000000000' },
    { key: 'b', value: encodeSenmlCbor([{ bn: 'dev-2/', n: 'temp', u: 'Cel', v: 20.25 }]), timestamp: '1700000000001' },
    { value: encodeSenmlJson([{ n: 'hum', v: 55 }]), timestamp: '1700000000002' },
    { value: Buffer.from('plain text'), timestamp: '1700000000003' },
  ]);
  const result = await runCli(['consume', '--topic', 'mixed', '--from-beginning', '--exit-at-end', '--format', 'json', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  const records = lines(result.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(records.map((record) => record.valueFormat), ['cbor', 'senml-cbor', 'senml-json', 'text']);
  assert.equal(records[0], { topic: 'mixed', partition: 0, offset: '0', timestamp: '1700000000000', time: '2023-11-14T22:13:20.000Z', key: 'a', headers: { source: 'mqtt' }, valueFormat: 'cbor', value: { v: 1 } });
  assert.equal(records[1]!.value, [{ bn: 'dev-2/', n: 'temp', u: 'Cel', v: 20.25 }]);
  assert.equal(records[3]!.value, 'plain text');

  const values = await runCli(['consume', '--topic', 'mixed', '--from-beginning', '--exit-at-end', '--bootstrap', bootstrap]);
  assert.equal(lines(values.stdout), ['{"v":1}', '[{"bn":"dev-2/","n":"temp","u":"Cel","v":20.25}]', '[{"n":"hum","v":55}]', 'plain text']);
});

test('start at an offset of one partition, or at a time', async () => {
  await produce('positions', 2, [
    ...[0, 1, 2, 3].map((index) => ({ partition: 0, value: Buffer.from(`p0-${index}`), timestamp: String(1_700_000_000_000 + index * 1000) })),
    ...[0, 1].map((index) => ({ partition: 1, value: Buffer.from(`p1-${index}`), timestamp: String(1_700_000_000_000 + index * 1000) })),
  ]);
  const fromOffset = await runCli(['consume', '--topic', 'positions', '--partition', '0', '--offset', '2', '--exit-at-end', '--bootstrap', bootstrap]);
  assert.equal(lines(fromOffset.stdout), ['p0-2', 'p0-3']);

  const fromTime = await runCli(['consume', '--topic', 'positions', '--from-timestamp', new Date(1_700_000_001_000).toISOString(), '--exit-at-end', '--format', 'json', '--bootstrap', bootstrap]);
  const shown = lines(fromTime.stdout).map((line) => JSON.parse(line) as { value: string }).map((record) => record.value).sort();
  assert.equal(shown, ['p0-1', 'p0-2', 'p0-3', 'p1-1']);
});

test('a payload that is not in the format asked for is reported with its position, and the rest go on', async () => {
  await produce('not-cbor', 1, [{ value: Buffer.from('{') }, { value: encodeCbor({ fine: true }) }]);
  const result = await runCli(['consume', '--topic', 'not-cbor', '--from-beginning', '--decode', 'json', '--exit-at-end', '--bootstrap', bootstrap]);
  assert.is(result.code, 0);
  assert.is(lines(result.stdout).length, 0);
  assert.match(result.stderr, /^partition 0 offset 0: payload is not valid json/);
  assert.match(result.stderr, /consumed 2 records; 2 could not be decoded as json\n$/);
});

test('reading without a group leaves no group behind; --timeout-ms ends an idle read', async () => {
  await produce('quiet', 1, [{ value: Buffer.from('only') }]);
  const result = await runCli(['consume', '--topic', 'quiet', '--timeout-ms', '300', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, '');
  assert.is(result.stderr, 'consumed 0 records\n');
  const groups = await runCli(['groups', 'list', '--json', '--bootstrap', bootstrap]);
  assert.equal(JSON.parse(groups.stdout), []);
});

test('a reader that closes the pipe early ends the read quietly', async () => {
  await produce('many', 1, Array.from({ length: 2000 }, (_, index) => ({ value: Buffer.from(`line ${index} ${'x'.repeat(200)}`) })));
  const child = spawn(process.execPath, [CLI, 'consume', '--topic', 'many', '--from-beginning', '--bootstrap', bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  // Read the first line, then close the pipe as `head -1` does.
  const first = await new Promise<string>((resolveLine) => child.stdout.once('data', (chunk: Buffer) => resolveLine(chunk.toString().split('\n')[0]!)));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  assert.match(first, /^line 0 x+$/);
  assert.is(code, 0, stderr);
  assert.not.match(stderr, 'cannot reach the broker');
});

test('a wrong topic name is named and exits 1', async () => {
  const result = await runCli(['consume', '--topic', 'qiuet', '--bootstrap', bootstrap]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /^tributary: no topic named qiuet; topics: .*quiet/);
});

test('conflicting start options are refused', async () => {
  const result = await runCli(['consume', '--topic', 'quiet', '--group', 'g', '--offset', '3', '--bootstrap', bootstrap]);
  assert.is(result.code, 1);
  assert.match(result.stderr, '--group starts at the group\'s committed offsets');
});

test.run();

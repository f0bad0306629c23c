// `tributary produce` against a real edge daemon; what it wrote is read back with kafkajs,
// a client that shares no code with the command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode } from 'cbor-x';
import { Daemon } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { runCli } from './run-cli.ts';

let daemon: Daemon;
let bootstrap: string;

test.before(async () => {
  daemon = await Daemon.start();
  bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
});

test.after(async () => {
  await daemon.cleanup();
});

interface ReadBack { partition: number; offset: string; key: string | null; value: Buffer; headers: Record<string, string> }

/** Every record of `topic`, read from the beginning by a kafkajs group member. */
async function readAll(topic: string, count: number): Promise<ReadBack[]> {
  const consumer = kafkajsClient(daemon.ports.kafka!, 'produce-test').consumer({ groupId: `read-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: ReadBack[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value!, headers });
        if (records.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

test('lines from standard input become records; a key separator splits key and value', async () => {
  await runCli(['topics', 'create', 'lines', '--partitions', '2', '--bootstrap', bootstrap]);
  const input = 'dev-a:21.5\ndev-b:19.0\ndev-a:21.7\n\ndev-a:21.9\n';
  const result = await runCli(['produce', '--topic', 'lines', '--key-separator', ':', '--bootstrap', bootstrap], { stdin: input });
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^produced 4 records to lines \(partition/);
  const records = await readAll('lines', 4);
  const deviceA = records.filter((record) => record.key === 'dev-a');
  assert.equal(deviceA.map((record) => record.value.toString()), ['21.5', '21.7', '21.9'], 'one key, one partition, in order');
  assert.is(new Set(deviceA.map((record) => record.partition)).size, 1);
  assert.equal(records.find((record) => record.key === 'dev-b')?.value.toString(), '19.0');
});

test('--encode cbor sends JSON values as CBOR, with the key, headers and partition asked for', async () => {
  await runCli(['topics', 'create', 'cbor', '--partitions', '3', '--bootstrap', bootstrap]);
  const result = await runCli(['produce', '--topic', 'cbor', '--encode', 'cbor', '--key', 'dev-7', '--header', 'content-type=application/cbor', '--header', 'site=north=1', '--partition', '2',
    '--value', '{"t":21.5,"h":40}', '--value', '[1,2,3]', '--bootstrap', bootstrap]);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout.trim(), 'produced 2 records to cbor (partition 2)');
  const records = await readAll('cbor', 2);
  assert.equal(records.map((record) => [record.partition, record.offset, record.key]), [[2, '0', 'dev-7'], [2, '1', 'dev-7']]);
  assert.equal(decode(records[0]!.value), { t: 21.5, h: 40 });
  assert.equal(decode(records[1]!.value), [1, 2, 3]);
  assert.equal(records[0]!.headers, { 'content-type': 'application/cbor', site: 'north=1' });
});

test('--encode senml-cbor uses SenML\'s integer labels (RFC 8428 section 6)', async () => {
  await runCli(['topics', 'create', 'senml', '--bootstrap', bootstrap]);
  const result = await runCli(['produce', '--topic', 'senml', '--encode', 'senml-cbor', '--bootstrap', bootstrap], { stdin: '[{"bn":"dev-1/","n":"temp","u":"Cel","v":20.5}]\n' });
  assert.is(result.code, 0, result.stderr);
  const [record] = await readAll('senml', 1);
  const pack = decode(record!.value) as Map<number, unknown>[] | Record<string, unknown>[];
  // bn is -2, n is 0, u is 1, v is 2.
  const first = pack[0]!;
  const entries = first instanceof Map ? Object.fromEntries(first) : first;
  assert.equal(entries, { '-2': 'dev-1/', 0: 'temp', 1: 'Cel', 2: 20.5 });
});

test('bad input names the line; a wrong topic or partition is named; nothing is sent', async () => {
  await runCli(['topics', 'create', 'strict', '--bootstrap', bootstrap]);
  const notJson = await runCli(['produce', '--topic', 'strict', '--encode', 'cbor', '--bootstrap', bootstrap], { stdin: '{"ok":1}\n{broken\n' });
  assert.is(notJson.code, 1);
  assert.match(notJson.stderr, /^tributary: line 2 is not JSON, which --encode cbor needs/);

  const wrongPartition = await runCli(['produce', '--topic', 'strict', '--partition', '5', '--value', 'x', '--bootstrap', bootstrap]);
  assert.is(wrongPartition.code, 1);
  assert.is(wrongPartition.stderr, 'tributary: topic strict has partitions 0–0; there is no partition 5\n');

  const described = JSON.parse((await runCli(['topics', 'describe', 'strict', '--json', '--bootstrap', bootstrap])).stdout) as { partitions: { logEndOffset: string }[] }[];
  // The first line of the bad input went nowhere either: a batch is sent only when whole.
  assert.is(described[0]!.partitions[0]!.logEndOffset, '0');
});

test('a topic that does not exist is created on first use when the broker creates topics, as with Kafka\'s console producer', async () => {
  const produced = await runCli(['produce', '--topic', 'brand-new', '--value', 'first', '--bootstrap', bootstrap]);
  assert.is(produced.code, 0, produced.stderr);
  assert.is(produced.stderr, 'topic brand-new did not exist; the broker created it with its defaults (1 partition)\n');
  assert.is(produced.stdout, 'produced 1 record to brand-new (partition 0)\n');
  assert.equal((await readAll('brand-new', 1)).map((record) => record.value.toString()), ['first']);
  const again = await runCli(['produce', '--topic', 'brand-new', '--value', 'second', '--bootstrap', bootstrap]);
  assert.is(again.stderr, '', 'an existing topic is not announced');
});

test('a broker that does not create topics: the refusal says so and how to create the topic', async () => {
  const strict = await Daemon.start({ config: { kafka: { autoCreateTopics: false } } });
  try {
    const address = `127.0.0.1:${strict.ports.kafka}`;
    await runCli(['topics', 'create', '--topic', 'readings', '--bootstrap', address]);
    const refused = await runCli(['produce', '--topic', 'demo', '--value', 'x', '--bootstrap', address]);
    assert.is(refused.code, 1);
    assert.is(refused.stderr, 'tributary: no topic named demo, and the broker does not create topics on first use (kafka.autoCreateTopics is false); create it with: tributary topics create --topic demo --partitions N; topics: readings\n');
    const listed = await runCli(['topics', 'list', '--bootstrap', address]);
    assert.is(listed.stdout, 'readings\n', 'nothing was created');
  } finally {
    await strict.cleanup();
  }
});

test.run();

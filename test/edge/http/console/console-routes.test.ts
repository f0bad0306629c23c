// The console's JSON API on a real edge daemon, with records written by kafkajs (gzip
// compressed, so the records route reads stored compressed batches).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCbor } from '../../../../shared/payloads.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { CompressionTypes, kafkajsClient } from '../../kafka/clients/support/kafkajs.ts';

let daemon: Daemon;
let base: string;

test.before(async () => {
  daemon = await Daemon.start();
  base = `http://127.0.0.1:${daemon.ports.http}`;
  const kafka = kafkajsClient(daemon.ports.kafka!, 'console-api-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'meters', numPartitions: 2 }] });
  await admin.setOffsets({ groupId: 'billing', topic: 'meters', partitions: [{ partition: 0, offset: '10' }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  // Two batches in partition 0, so that "the latest N" starts inside the first one.
  await producer.send({ topic: 'meters', compression: CompressionTypes.GZIP, messages: Array.from({ length: 20 }, (_, index) => ({ partition: 0, key: `m${index % 3}`, value: encodeCbor({ kwh: index }), headers: { unit: 'kWh' } })) });
  await producer.send({ topic: 'meters', compression: CompressionTypes.GZIP, messages: Array.from({ length: 5 }, (_, index) => ({ partition: 0, value: encodeCbor({ kwh: 20 + index }) })) });
  await producer.send({ topic: 'meters', messages: [{ partition: 1, value: 'text reading' }] });
  await producer.disconnect();
});

test.after(async () => {
  await daemon.cleanup();
});

async function get(path: string): Promise<{ status: number; body: any; type: string | null }> {
  const response = await fetch(`${base}${path}`);
  const type = response.headers.get('content-type');
  return { status: response.status, body: type?.startsWith('application/json') ? await response.json() : await response.text(), type };
}

test('/api/topics: partitions with offsets, records and sizes', async () => {
  const { status, body } = await get('/api/topics');
  assert.is(status, 200);
  const [meters] = body.topics;
  assert.is(meters.name, 'meters');
  assert.is(meters.records, '26');
  assert.equal(meters.partitions.map((partition: any) => [partition.partition, partition.logStartOffset, partition.logEndOffset, partition.records]), [[0, '0', '25', '25'], [1, '0', '1', '1']]);
  assert.ok(meters.sizeBytes > 0 && meters.partitions[0].sizeBytes > 0);
  assert.type(meters.recordsPerSecond, 'number');
});

test('/api/groups: committed offsets and lag per partition', async () => {
  const { body } = await get('/api/groups');
  assert.is(body.configured, true);
  const billing = body.groups.find((group: any) => group.groupId === 'billing');
  assert.equal(billing.partitions, [{ topic: 'meters', partition: 0, committedOffset: '10', logEndOffset: '25', lag: '15' }]);
  assert.is(billing.totalLag, '15');
});

test('/api/records: the newest records, decoded, across batch boundaries', async () => {
  const { status, body } = await get('/api/records?topic=meters&partition=0&limit=7');
  assert.is(status, 200, JSON.stringify(body));
  assert.equal(body.records.map((record: any) => record.offset), ['18', '19', '20', '21', '22', '23', '24']);
  assert.equal(body.records.map((record: any) => record.value.kwh), [18, 19, 20, 21, 22, 23, 24]);
  assert.is(body.records[0].valueFormat, 'cbor');
  assert.equal(body.records[0].headers, { unit: 'kWh' });
  assert.is(body.records[0].key, 'm0');
  const text = await get('/api/records?topic=meters&partition=1');
  assert.equal(text.body.records.map((record: any) => record.value), ['text reading']);
  const raw = await get('/api/records?topic=meters&partition=0&limit=1&decode=none');
  assert.is(raw.body.records[0].valueFormat, 'bytes');
});

test('/api/records: bad parameters and unknown names are answered with what was wrong', async () => {
  assert.equal(await get('/api/records?topic=metres'), { status: 404, body: { error: 'no topic named metres; topics: meters' }, type: 'application/json; charset=utf-8' });
  assert.equal((await get('/api/records?topic=meters&partition=2')).body, { error: 'topic meters has no partition 2' });
  assert.is((await get('/api/records')).status, 400);
  assert.match((await get('/api/records?topic=meters&limit=1000')).body.error, 'limit must be 1 to 100');
  assert.match((await get('/api/records?topic=meters&partition=x')).body.error, 'partition must be a whole number');
  assert.match((await get('/api/records?topic=meters&decode=xml')).body.error, 'decode must be one of');
});

test('/api/mqtt/clients and /api/history answer; the page and its files are served', async () => {
  assert.equal((await get('/api/mqtt/clients')).body, { configured: true, clients: [] });
  const history = await get('/api/history');
  assert.is(history.body.intervalMs, 2000);
  assert.ok(history.body.samples.length >= 1);
  for (const [path, type] of [['/', 'text/html'], ['/console', 'text/html'], ['/console/console.js', 'text/javascript'], ['/console/console.css', 'text/css']] as const) {
    const page = await get(path);
    assert.is(page.status, 200, path);
    assert.ok(page.type?.startsWith(type), `${path}: ${page.type}`);
  }
  assert.match((await get('/')).body, '<script src="/console/console.js" defer></script>');
});

test.run();

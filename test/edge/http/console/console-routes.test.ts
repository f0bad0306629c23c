// The console's JSON API on a real edge daemon, with records written by kafkajs (gzip
// compressed, so the browser reads stored compressed batches), a consumer group, an MQTT
// device with a will and a subscription, a pipeline fed readings that it keeps, filters,
// finds late or cannot decode, and the daemon's own /metrics and admin API to compare with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { encodeCbor } from '../../../../shared/payloads.ts';
import { Daemon, metricValue } from '../../../helpers/daemon.ts';
import { CompressionTypes, kafkajsClient } from '../../kafka/clients/support/kafkajs.ts';
import { pipelineStatus, waitForCommitted } from '../../pipelines/support.ts';
import { BOILER_COUNTS, BOILER_PIPELINE, BOILER_PROBLEM, BOILER_READINGS } from './support/boiler-pipeline.ts';
import sparkplugPayload from 'sparkplug-payload';

/** Checks, 100 ms apart, for clients that disconnected to be listed offline: a bound that catches a hang. */
const OFFLINE_CHECKS_MAX = 100;

/** Eclipse Tahu's Sparkplug B encoder, a library the console's decoder shares no code with. */
const sparkplugB = sparkplugPayload.get('spBv1.0')!;

let daemon: Daemon;
let base: string;
let device: mqtt.MqttClient;
let beforeAppendMs: number;

test.before(async () => {
  daemon = await Daemon.start({ config: { storage: { diskBudgetBytes: 64 * 1024 * 1024 }, pipelines: [BOILER_PIPELINE] } });
  base = `http://127.0.0.1:${daemon.ports.http}`;
  const kafka = kafkajsClient(daemon.ports.kafka!, 'console-api-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'meters', numPartitions: 2 }] });
  await admin.setOffsets({ groupId: 'billing', topic: 'meters', partitions: [{ partition: 0, offset: '10' }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  beforeAppendMs = Date.now();
  // Two batches in partition 0, so that a page starts inside the first one.
  await producer.send({ topic: 'meters', compression: CompressionTypes.GZIP, messages: Array.from({ length: 20 }, (_, index) => ({ partition: 0, key: `m${index % 3}`, value: encodeCbor({ kwh: index }), headers: { unit: 'kWh' } })) });
  await producer.send({ topic: 'meters', compression: CompressionTypes.GZIP, messages: Array.from({ length: 5 }, (_, index) => ({ partition: 0, key: 'late', value: encodeCbor({ kwh: 20 + index }) })) });
  await producer.send({ topic: 'meters', messages: [{ partition: 1, key: 'm1', value: Buffer.from([0, 1, 2, 255]) }] });
  await producer.send({ topic: BOILER_PIPELINE.from, acks: -1, messages: BOILER_READINGS });
  await producer.disconnect();
  device = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'pump-7', clean: false, will: { topic: 'status/pump-7', payload: Buffer.from('gone'), qos: 1, retain: true } });
  await device.subscribeAsync('commands/pump-7', { qos: 1 });
  await device.publishAsync('sensors/pump-7/flow', 'reading', { qos: 1 });
});

test.after(async () => {
  await device?.endAsync();
  await daemon.cleanup();
});

async function get(path: string): Promise<{ status: number; body: any; type: string | null }> {
  const response = await fetch(`${base}${path}`);
  const type = response.headers.get('content-type');
  return { status: response.status, body: type?.startsWith('application/json') ? await response.json() : await response.text(), type };
}

test('/api/topics and /api/topic: sizes, offsets, segments, settings and the groups reading a topic', async () => {
  const { body } = await get('/api/topics');
  const meters = body.topics.find((topic: any) => topic.name === 'meters');
  assert.equal([meters.partitions, meters.records, meters.segments], [2, '26', 2]);
  assert.ok(meters.sizeBytes > 0);
  const detail = (await get('/api/topic?name=meters')).body;
  assert.equal(detail.partitions.map((partition: any) => [partition.partition, partition.logStartOffset, partition.logEndOffset, partition.records, partition.segments]), [[0, '0', '25', '25', 1], [1, '0', '1', '1', 1]]);
  assert.is(detail.cleanupPolicy, 'delete');
  assert.is(detail.config.retentionMs, 7 * 24 * 3600_000);
  assert.equal(detail.consumers, [{ groupId: 'billing', state: 'Empty', mirror: false, lag: '15' }]);
  assert.is((await get('/api/topic?name=nothing')).status, 404);
});

test('/api/groups and /api/group: lag per partition as `tributary groups describe` computes it', async () => {
  const { body } = await get('/api/groups');
  assert.equal(body.groups, [{ groupId: 'billing', state: 'Empty', protocolType: 'consumer', mirror: false, members: 0, partitions: 1, totalLag: '15' }]);
  const group = (await get('/api/group?id=billing')).body;
  assert.equal(group.partitions, [{ topic: 'meters', partition: 0, committedOffset: '10', logEndOffset: '25', lag: '15', memberId: null, clientId: null }]);
  assert.ok(Array.isArray(group.lagHistory));
  assert.equal((await get('/api/group?id=nobody')).body, { error: 'no consumer group named nobody; groups: billing' });
});

test('/api/records: the newest page, from an offset, from a time, filtered by key, decoded, with headers', async () => {
  const newest = (await get('/api/records?topic=meters&partition=0&limit=7')).body;
  assert.equal(newest.records.map((record: any) => record.offset), ['18', '19', '20', '21', '22', '23', '24']);
  assert.equal(newest.records.map((record: any) => record.payload.value.kwh), [18, 19, 20, 21, 22, 23, 24]);
  assert.is(newest.records[0].payload.format, 'cbor');
  assert.equal(newest.records[0].headers, [{ name: 'unit', value: 'kWh', mqtt: false }]);
  const fromOffset = (await get('/api/records?topic=meters&partition=0&from=offset&offset=3&limit=2')).body;
  assert.equal(fromOffset.records.map((record: any) => [record.offset, record.key]), [['3', 'm0'], ['4', 'm1']]);
  const fromTime = (await get(`/api/records?topic=meters&partition=0&from=timestamp&timestamp=${beforeAppendMs - 60_000}&limit=1`)).body;
  assert.equal(fromTime.records.map((record: any) => record.offset), ['0']);
  const byKey = (await get('/api/records?topic=meters&key=late&limit=100')).body;
  assert.equal(byKey.records.map((record: any) => record.offset), ['20', '21', '22', '23', '24'], 'across every partition, only the key asked for');
  const binary = (await get('/api/records?topic=meters&partition=1')).body.records[0];
  assert.equal([binary.payload.format, binary.payload.hex], ['binary', '00 01 02 ff']);
  const mqttRecord = (await get('/api/records?topic=mqtt&limit=1')).body.records[0];
  assert.equal(mqttRecord.headers.filter((header: any) => header.mqtt).map((header: any) => header.name).sort(), ['mqtt.clientId', 'mqtt.qos', 'mqtt.retain', 'mqtt.topic']);
  assert.equal([mqttRecord.payload.format, mqttRecord.payload.value], ['text', 'reading']);
});

test('/api/records: Sparkplug B is recognised by its MQTT topic and decoded', async () => {
  const payload = sparkplugB.encodePayload({ timestamp: 1_700_000_000_000, seq: 2, metrics: [{ name: 'temp', type: 'Double', value: 21.5 }] });
  await device.publishAsync('spBv1.0/plant/NDATA/node-1', Buffer.from(payload), { qos: 1 });
  const record = (await get('/api/records?topic=mqtt&limit=1')).body.records[0];
  assert.equal([record.payload.format, record.payload.value], ['sparkplug-b', { timestamp: 1_700_000_000_000, seq: 2, metrics: [{ name: 'temp', type: 'Double', value: 21.5 }] }]);
});

test('/api/records: bad parameters are answered with what was wrong, and the bounds hold', async () => {
  assert.equal(await get('/api/records?topic=metres'), { status: 404, body: { error: 'no topic named metres; topics: __pipeline.boiler-alerts.state, boiler-alerts, boilers, meters, mqtt' }, type: 'application/json; charset=utf-8' });
  assert.match((await get('/api/records?topic=meters&partition=2')).body.error, 'partition must be a whole number from 0 to 1');
  assert.is((await get('/api/records')).status, 400);
  assert.match((await get('/api/records?topic=meters&limit=1000')).body.error, 'limit must be a whole number from 1 to 100');
  assert.match((await get('/api/records?topic=meters&from=offset')).body.error, 'query parameter offset is required');
  assert.match((await get('/api/records?topic=meters&from=timestamp&timestamp=yesterday')).body.error, 'timestamp must be');
  assert.match((await get('/api/records?topic=meters&decode=xml')).body.error, 'decode must be one of');
  assert.match((await get(`/api/records?topic=meters&key=${'k'.repeat(300)}`)).body.error, 'key may be at most 256 characters');
});

test('/api/mqtt/clients and /api/mqtt/client: search, paging, and one client\'s session', async () => {
  const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'valve-2' });
  try {
    const all = (await get('/api/mqtt/clients')).body;
    assert.equal([all.connected, all.matched, all.clients.map((client: any) => client.clientId)], [2, 2, ['pump-7', 'valve-2']]);
    const searched = (await get('/api/mqtt/clients?search=VALVE')).body;
    assert.equal(searched.clients.map((client: any) => client.clientId), ['valve-2']);
    const paged = (await get('/api/mqtt/clients?pageSize=1&page=2')).body;
    assert.equal([paged.pages, paged.clients.map((client: any) => client.clientId)], [2, ['valve-2']]);
    assert.match((await get('/api/mqtt/clients?pageSize=5000')).body.error, 'pageSize must be a whole number from 1 to 200');
  } finally {
    await other.endAsync();
  }
  const client = (await get('/api/mqtt/client?id=pump-7')).body;
  assert.equal([client.sessionState, client.protocolVersion, client.cleanSession, client.keepAliveSeconds], ['connected', 4, false, 60]);
  assert.equal(client.subscriptions, [{ filter: 'commands/pump-7', qos: 1 }]);
  assert.equal(client.will, { topic: 'status/pump-7', qos: 1, retain: true, payloadBytes: 4 });
  assert.is((await get('/api/mqtt/client?id=nobody')).status, 404);
});

test('/api/mqtt/clients?state=offline|all: the sessions kept for clients that left, with their subscriptions, queued messages and expiry; their own page', async () => {
  const meter = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'meter-9', clean: false });
  await meter.subscribeAsync('commands/meter-9', { qos: 1 });
  await meter.endAsync();
  const valve = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { clientId: 'valve-9', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
  await valve.endAsync();
  // The broker notices a client leave a moment after the client has closed its end.
  for (let check = 0; (await get('/api/mqtt/clients?state=offline')).body.offline < 2; check++) {
    assert.ok(check < OFFLINE_CHECKS_MAX, 'the two clients that left are not listed offline');
    await new Promise((wait) => setTimeout(wait, 100));
  }
  // A command for the meter while it is away waits in its session.
  await device.publishAsync('commands/meter-9', 'close', { qos: 1 });
  const offline = (await get('/api/mqtt/clients?state=offline')).body;
  assert.equal([offline.state, offline.connected, offline.offline, offline.matched], ['offline', 1, 2, 2]);
  assert.is(offline.persistentSessions, metricValue(await daemon.metrics(), 'tributary_mqtt_persistent_sessions'));
  assert.is(offline.persistentSessions, 3, 'the connected pump\'s session and the two kept');
  const [meterRow, valveRow] = offline.clients;
  assert.equal([meterRow.clientId, meterRow.sessionState, meterRow.subscriptionCount, meterRow.queuedMessages, meterRow.sessionExpiresAt, meterRow.cleanSession], ['meter-9', 'offline', 1, 1, null, false]);
  assert.equal([valveRow.clientId, valveRow.subscriptionCount, valveRow.queuedMessages], ['valve-9', 0, 0]);
  assert.is(Date.parse(valveRow.sessionExpiresAt) - Date.parse(valveRow.disconnectedAt), 600_000, 'an MQTT 5 session ends its expiry interval after its client left');
  const all = (await get('/api/mqtt/clients?state=all&search=9')).body;
  assert.equal(all.clients.map((client: any) => [client.clientId, client.sessionState]), [['meter-9', 'offline'], ['valve-9', 'offline']]);
  const everyone = (await get('/api/mqtt/clients?state=all&pageSize=2&page=2')).body;
  assert.equal([everyone.matched, everyone.pages, everyone.clients.map((client: any) => client.clientId)], [3, 2, ['valve-9']]);
  assert.equal((await get('/api/mqtt/clients?state=all&pageSize=2')).body.clients.map((client: any) => [client.clientId, client.sessionState]), [['meter-9', 'offline'], ['pump-7', 'connected']]);
  assert.match((await get('/api/mqtt/clients?state=gone')).body.error, 'state must be one of connected, offline, all');
  const kept = (await get('/api/mqtt/client?id=meter-9')).body;
  assert.equal([kept.sessionState, kept.connected, kept.queuedMessages, kept.subscriptions], ['offline', false, 1, [{ filter: 'commands/meter-9', qos: 1 }]]);
  assert.ok(Date.parse(kept.disconnectedAt) <= Date.now());
});

test('/api/pipeline-list and /api/pipeline: records counted as /metrics counts them, positions and lag as the admin API reports them, steps, limits and the undecodable reading', async () => {
  await waitForCommitted(daemon, BOILER_PIPELINE.name, [BigInt(BOILER_READINGS.length)]);
  const labels = { pipeline: BOILER_PIPELINE.name };
  const metrics = await daemon.metrics();
  const [report] = await pipelineStatus(daemon);
  const list = (await get('/api/pipeline-list')).body;
  assert.is(list.configured, true);
  const { recordsIn, recordsOut, filtered, late, errors } = BOILER_COUNTS;
  assert.equal(list.pipelines, [{
    name: 'boiler-alerts', from: 'boilers', to: 'boiler-alerts', state: 'running', partitions: 1, lagRecords: '0',
    counters: { recordsIn, recordsOut, filtered, late, errors, limitDrops: 0, lost: 0, replayedOutputs: 0, commits: list.pipelines[0].counters.commits },
  }]);
  const counters = list.pipelines[0].counters;
  assert.equal(
    [counters.recordsIn, counters.recordsOut, counters.filtered, counters.late, counters.errors, counters.commits],
    ['records_in', 'records_out', 'records_filtered', 'records_late', 'errors', 'commits'].map((name) => metricValue(metrics, `tributary_pipeline_${name}_total`, labels)),
    'the metrics\' numbers',
  );
  const pipeline = (await get('/api/pipeline?name=boiler-alerts')).body;
  assert.equal(pipeline.steps, BOILER_PIPELINE.steps);
  assert.equal([pipeline.decode, pipeline.encode, pipeline.startFrom, pipeline.commitIntervalMs, pipeline.stateTopic], ['json', 'json', 'earliest', 1000, '__pipeline.boiler-alerts.state']);
  assert.equal(pipeline.limits, { openWindows: 1000, keysPerWindow: 100_000, dedupeEntries: 100_000, throttleKeys: 100_000, recordBytes: 1024 * 1024 });
  assert.equal(pipeline.errorsByKind, { decode: 1 });
  const [partition] = pipeline.partitions;
  const { outputLogEndOffset, ...status } = partition;
  assert.equal(status, report!.partitions[0], 'per partition, the admin API\'s own report');
  const end = String(BOILER_READINGS.length);
  assert.equal([partition.position, partition.committedPosition, partition.highWatermark, partition.lagRecords, partition.openWindows, partition.sequence, outputLogEndOffset], [end, end, end, '0', BOILER_COUNTS.openWindows, String(recordsOut), String(recordsOut)]);
  assert.is(partition.openWindows, metricValue(metrics, 'tributary_pipeline_open_windows', { ...labels, partition: '0' }));
  assert.is(Number(partition.lagRecords), metricValue(metrics, 'tributary_pipeline_lag_records', { ...labels, partition: '0' }));
  assert.equal(pipeline.recentProblems.map((problem: any) => [problem.kind, problem.partition, problem.offset]), [['expression', 0, BOILER_PROBLEM.offset]]);
  assert.match(pipeline.recentProblems[0].message, BOILER_PROBLEM.message);
  assert.equal(await get('/api/pipeline?name=boilers'), { status: 404, body: { error: 'no pipeline named boilers; pipelines: boiler-alerts' }, type: 'application/json; charset=utf-8' });
  assert.is((await get('/api/pipeline')).status, 400);
});

test('/api/overview: the same numbers as /metrics; the pages and their modules are served', async () => {
  const metrics = await daemon.metrics();
  const overview = (await get('/api/overview')).body;
  assert.is(overview.disk.budgetBytes, 64 * 1024 * 1024);
  assert.is(overview.disk.budgetBytes, metricValue(metrics, 'tributary_storage_disk_budget_bytes'));
  assert.is(overview.mqtt.connected, metricValue(metrics, 'tributary_mqtt_connected_clients'));
  assert.is(overview.mirror.configured, false);
  assert.is(metricValue(metrics, 'tributary_kafka_produced_records_total'), 26 + BOILER_READINGS.length);
  const history = (await get('/api/history')).body;
  assert.is(history.intervalMs, 5000);
  assert.ok(history.atMs.length >= 1 && history.rates.mqttIn.length === history.atMs.length);
  for (const [path, type] of [['/', 'text/html'], ['/console', 'text/html'], ['/console/app.js', 'text/javascript'], ['/console/pages/topic.js', 'text/javascript'], ['/console/web/chart.js', 'text/javascript'], ['/console/web/base.css', 'text/css']] as const) {
    const page = await get(path);
    assert.is(page.status, 200, path);
    assert.ok(page.type?.startsWith(type), `${path}: ${page.type}`);
  }
  assert.is((await fetch(`${base}/api/topics`, { method: 'POST' })).status, 405, 'the console is read-only');
});

test.run();

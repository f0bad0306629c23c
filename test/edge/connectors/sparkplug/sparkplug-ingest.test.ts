// The Sparkplug B decoder, birth and death tracking and record shaping, on payloads made
// by Eclipse Tahu's encoder (and, for the array types Tahu's JavaScript library does not
// encode, bytes laid out as the specification's text says).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../../shared/logger.ts';
import { SparkplugIngest } from '../../../../edge/connectors/sparkplug/index.ts';
import { metricValue } from '../../../../edge/connectors/sparkplug/metric-values.ts';
import { parseSparkplugTopic } from '../../../../edge/connectors/sparkplug/sparkplug-topic.ts';
import { encodeSparkplug } from '../support/sparkplug.ts';

const json = (values: Buffer[]): any[] => values.map((value) => JSON.parse(value.toString('utf8')));

test('topics: edge node and device messages, STATE, and anything else', () => {
  assert.equal(parseSparkplugTopic('spBv1.0/plant-a/DDATA/line-3/press-1'), { kind: 'edge', group: 'plant-a', messageType: 'DDATA', edgeNode: 'line-3', device: 'press-1' });
  assert.equal(parseSparkplugTopic('spBv1.0/plant-a/NBIRTH/line-3'), { kind: 'edge', group: 'plant-a', messageType: 'NBIRTH', edgeNode: 'line-3' });
  assert.equal(parseSparkplugTopic('spBv1.0/STATE/scada-1'), { kind: 'state', hostId: 'scada-1' });
  for (const other of ['spBv1.0/plant-a/NBIRTH/line-3/extra', 'spBv1.0/plant-a/DDATA/line-3', 'spBv1.0/plant-a/XDATA/line-3', 'spAv1.0/g/NDATA/n', 'sensors/1']) {
    assert.is(parseSparkplugTopic(other), undefined, other);
  }
});

test('births define names, aliases and types; data by alias is named from them; every Tahu type decodes', () => {
  const ingest = new SparkplugIngest(new Registry(), silentLogger());
  const birth = json(ingest.shape('spBv1.0/plant/NBIRTH/line-3', encodeSparkplug({ timestamp: 1000, seq: 0, metrics: [
    { name: 'bdSeq', type: 'UInt64', value: 7 },
    { name: 'temp', alias: 1, type: 'Double', value: 20.5, timestamp: 900 },
    { name: 'offset', alias: 2, type: 'Int8', value: -5 },
    { name: 'count', alias: 3, type: 'Int64', value: -2 },
    { name: 'big', alias: 4, type: 'UInt64', value: 5 },
    { name: 'ok', alias: 5, type: 'Boolean', value: true },
    { name: 'label', alias: 6, type: 'String', value: 'press' },
    { name: 'raw', alias: 7, type: 'Bytes', value: new Uint8Array([1, 2, 255]) },
    { name: 'table', alias: 8, type: 'DataSet', value: { numOfColumns: 2, columns: ['n', 'who'], types: ['Int32', 'String'], rows: [[-1, 'a'], [2, 'b']] } },
    { name: 'level', alias: 9, type: 'Float', value: 1.5, properties: { engUnit: { type: 'String', value: 'm' } } },
    { name: 'half', alias: 10, type: 'Int16', value: -300 },
  ] }), 'per-payload'));
  assert.is(birth.length, 1);
  assert.equal({ ...birth[0], metrics: undefined }, { group: 'plant', messageType: 'NBIRTH', edgeNode: 'line-3', timestamp: 1000, seq: 0, metrics: undefined });
  assert.equal(birth[0].metrics.map((metric: any) => [metric.name, metric.type, metric.value]), [
    ['bdSeq', 'UInt64', 7], ['temp', 'Double', 20.5], ['offset', 'Int8', -5], ['count', 'Int64', -2], ['big', 'UInt64', 5], ['ok', 'Boolean', true],
    ['label', 'String', 'press'], ['raw', 'Bytes', { base64: 'AQL/' }], ['table', 'DataSet', { columns: ['n', 'who'], types: ['Int32', 'String'], rows: [[-1, 'a'], [2, 'b']] }],
    ['level', 'Float', 1.5], ['half', 'Int16', -300],
  ]);
  assert.equal(birth[0].metrics[1], { name: 'temp', alias: 1, type: 'Double', value: 20.5, timestamp: 900 });
  assert.equal(birth[0].metrics[9].properties, { engUnit: 'm' });

  // NDATA by alias only, without datatypes (as the specification asks): named and typed from the birth.
  const data = json(ingest.shape('spBv1.0/plant/NDATA/line-3', encodeSparkplug({ timestamp: 2000, seq: 1, metrics: [{ alias: 1, value: 21.5, type: 'Double' }, { alias: 2, value: -7, type: 'Int8' }] }), 'per-metric'));
  assert.equal(data, [
    { group: 'plant', messageType: 'NDATA', edgeNode: 'line-3', seq: 1, payloadTimestamp: 2000, name: 'temp', alias: 1, type: 'Double', value: 21.5, timestamp: 2000 },
    { group: 'plant', messageType: 'NDATA', edgeNode: 'line-3', seq: 1, payloadTimestamp: 2000, name: 'offset', alias: 2, type: 'Int8', value: -7, timestamp: 2000 },
  ]);
});

test('devices live and die with their node; a stale NDEATH changes nothing; seq gaps and unknown aliases are counted', async () => {
  const registry = new Registry();
  const ingest = new SparkplugIngest(registry, silentLogger());
  const shape = (topic: string, payload: Parameters<typeof encodeSparkplug>[0]) => json(ingest.shape(topic, encodeSparkplug(payload), 'per-metric'));
  shape('spBv1.0/g/NBIRTH/n1', { seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
  shape('spBv1.0/g/DBIRTH/n1/d1', { seq: 1, metrics: [{ name: 'rpm', alias: 10, type: 'UInt32', value: 0 }] });
  shape('spBv1.0/g/DBIRTH/n1/d2', { seq: 2, metrics: [] });
  assert.equal(ingest.sessions.edgeNode('g', 'n1'), { online: true, bdSeq: '3', devices: { d1: true, d2: true } });
  // A device's death: one record even without metrics.
  assert.equal(shape('spBv1.0/g/DDEATH/n1/d2', { seq: 3 }), [{ group: 'g', messageType: 'DDEATH', edgeNode: 'n1', device: 'd2', seq: 3, payloadTimestamp: null }]);
  assert.equal(ingest.sessions.edgeNode('g', 'n1')!.devices, { d1: true, d2: false });
  // seq 5 after 3: a gap. An alias no birth named: name and type null.
  const unknown = shape('spBv1.0/g/DDATA/n1/d1', { seq: 5, metrics: [{ alias: 99, type: 'UInt32', value: 1 }] });
  assert.equal([unknown[0].name, unknown[0].value], [null, 1]);
  // The will of an older connection (bdSeq 2) arrives late: stale.
  shape('spBv1.0/g/NDEATH/n1', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 2 }] });
  assert.is(ingest.sessions.edgeNode('g', 'n1')!.online, true);
  shape('spBv1.0/g/NDEATH/n1', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
  assert.equal(ingest.sessions.edgeNode('g', 'n1'), { online: false, bdSeq: '3', devices: { d1: false, d2: false } });
  const metrics = await registry.metrics();
  assert.match(metrics, 'tributary_sparkplug_sequence_gaps_total 1');
  assert.match(metrics, 'tributary_sparkplug_stale_deaths_total 1');
  assert.match(metrics, 'tributary_sparkplug_unnamed_metrics_total 1');
  assert.match(metrics, 'tributary_sparkplug_edge_nodes{state="offline"} 1');
  assert.match(metrics, 'tributary_sparkplug_devices{state="offline"} 2');
  assert.match(metrics, 'tributary_sparkplug_messages_total{type="NDEATH"} 2');
});

test('what is not a Sparkplug B payload is kept as it came and counted', async () => {
  const registry = new Registry();
  const ingest = new SparkplugIngest(registry, silentLogger());
  const garbage = Buffer.from([0x0a, 0xff, 0xff]);
  assert.equal(ingest.shape('spBv1.0/g/NDATA/n1', garbage, 'per-payload'), [garbage]);
  const state = Buffer.from('{"online":true,"timestamp":1}');
  assert.equal(ingest.shape('spBv1.0/STATE/scada', state, 'per-payload'), [state]);
  assert.match(await registry.metrics(), 'tributary_sparkplug_invalid_payloads_total 1');
});

test('array types are unpacked little-endian from bytes_value as the specification\'s text says', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  assert.equal(metricValue({ bytesValue: bytes(0xe9, 0x7b) }, 'Int8Array'), [-23, 123]);
  assert.equal(metricValue({ bytesValue: bytes(0xd0, 0x8a, 0x30, 0x75) }, 'Int16Array'), [-30000, 30000]);
  assert.equal(metricValue({ bytesValue: bytes(0x1e, 0x00, 0x88, 0xcc) }, 'UInt16Array'), [30, 52360]);
  assert.equal(metricValue({ bytesValue: bytes(0xff, 0xff, 0xff, 0xff, 0xfa, 0xaf, 0xcb, 0x12) }, 'Int32Array'), [-1, 315338746]);
  assert.equal(metricValue({ bytesValue: bytes(0x34, 0, 0, 0, 0, 0, 0, 0, 0xd9, 0x9e, 0x02, 0xd1, 0xb2, 0x76, 0x37, 0xe4) }, 'UInt64Array'), [52, '16444743074749521625']);
  assert.equal(metricValue({ bytesValue: Buffer.from([0, 0, 0xc0, 0x3f]) }, 'FloatArray'), [1.5]);
  assert.equal(metricValue({ bytesValue: bytes(0x0c, 0, 0, 0, 0x34, 0xd0) }, 'BooleanArray'), [false, false, true, true, false, true, false, false, true, true, false, true]);
  assert.equal(metricValue({ bytesValue: bytes(0x41, 0x42, 0x43, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00) }, 'StringArray'), ['ABC', 'hello']);
  assert.equal(metricValue({ bytesValue: Buffer.from('c7d0907524010000', 'hex') }, 'DateTimeArray'), [1256102875335]);
  assert.is(metricValue({ isNull: true, intValue: 5 }, 'Int32'), null);
});

test.run();

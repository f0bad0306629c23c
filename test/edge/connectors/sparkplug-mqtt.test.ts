// Sparkplug B at the MQTT ingest of `tributary edge`: an edge node (mqtt.js) publishes
// Tahu-encoded births, data by alias and deaths (its will among them) through routes with
// the sparkplug option; the log holds JSON records per metric or per payload, /metrics
// shows the nodes and devices online and offline, and after a SIGKILL of the daemon data
// sent by alias is kept (unnamed) until the node's next birth names it again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';
import { eventually } from './support/records.ts';
import { encodeSparkplug } from './support/sparkplug.ts';

const config = {
  mqtt: {
    routes: [
      { filter: 'spBv1.0/line-a/#', topic: 'line-a', key: '{3}', sparkplug: 'per-metric' },
      { filter: 'spBv1.0/line-b/#', topic: 'line-b', key: '{3}', sparkplug: 'per-payload' },
    ],
  },
};

async function records(daemon: Daemon, topic: string): Promise<{ key: string; value: any; mqttTopic: string }[]> {
  const stored = await readPartition(daemon.ports.kafka!, topic, 0).catch(() => ({ records: [] }));
  return stored.records.map((record) => ({ key: record.key!.toString(), value: JSON.parse(record.value!.toString()), mqttTopic: record.headers.find((header) => header.key === 'mqtt.topic')!.value!.toString() }));
}

async function edgeNode(daemon: Daemon, group: string, bdSeq: number): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, {
    clientId: `node-1-${group}`,
    reconnectPeriod: 0,
    // The death certificate is the will, with the bdSeq of this connection [tck-id-payloads-ndeath-will-message].
    will: { topic: `spBv1.0/${group}/NDEATH/node-1`, payload: encodeSparkplug({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: bdSeq }] }), qos: 1, retain: false },
  });
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject); });
  return client;
}

async function birth(client: mqtt.MqttClient, group: string, bdSeq: number): Promise<void> {
  await client.publishAsync(`spBv1.0/${group}/NBIRTH/node-1`, encodeSparkplug({ timestamp: 1000, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: bdSeq }, { name: 'temp', alias: 1, type: 'Double', value: 20 }] }), { qos: 1 });
  await client.publishAsync(`spBv1.0/${group}/DBIRTH/node-1/press-1`, encodeSparkplug({ timestamp: 1001, seq: 1, metrics: [{ name: 'rpm', alias: 2, type: 'UInt32', value: 0 }] }), { qos: 1 });
}

test('per-metric and per-payload records, births and deaths tracked, the will as NDEATH', async () => {
  const daemon = await Daemon.start({ config });
  try {
    const nodeA = await edgeNode(daemon, 'line-a', 1);
    await birth(nodeA, 'line-a', 1);
    await nodeA.publishAsync('spBv1.0/line-a/DDATA/node-1/press-1', encodeSparkplug({ timestamp: 2000, seq: 2, metrics: [{ alias: 2, type: 'UInt32', value: 1450 }] }), { qos: 1 });
    const nodeB = await edgeNode(daemon, 'line-b', 5);
    await birth(nodeB, 'line-b', 5);
    let metrics = await daemon.metrics();
    assert.is(metricValue(metrics, 'tributary_sparkplug_edge_nodes', { state: 'online' }), 2);
    assert.is(metricValue(metrics, 'tributary_sparkplug_devices', { state: 'online' }), 2);

    // The edge node of line a drops off the network: the broker publishes its will.
    nodeA.stream.destroy();
    await eventually(() => records(daemon, 'line-a'), (found) => found.some((record) => record.value.messageType === 'NDEATH'), 'the will stored as NDEATH');
    metrics = await daemon.metrics();
    assert.is(metricValue(metrics, 'tributary_sparkplug_edge_nodes', { state: 'offline' }), 1);
    assert.is(metricValue(metrics, 'tributary_sparkplug_devices', { state: 'offline' }), 1);

    const lineA = await records(daemon, 'line-a');
    assert.equal(lineA.map((record) => [record.key, record.value.messageType, record.value.name, record.value.value]), [
      ['node-1', 'NBIRTH', 'bdSeq', 1], ['node-1', 'NBIRTH', 'temp', 20],
      ['node-1', 'DBIRTH', 'rpm', 0],
      ['node-1', 'DDATA', 'rpm', 1450],
      ['node-1', 'NDEATH', 'bdSeq', 1],
    ]);
    assert.equal(lineA[3]!.value, { group: 'line-a', messageType: 'DDATA', edgeNode: 'node-1', device: 'press-1', seq: 2, payloadTimestamp: 2000, name: 'rpm', alias: 2, type: 'UInt32', value: 1450, timestamp: 2000 });
    assert.is(lineA[3]!.mqttTopic, 'spBv1.0/line-a/DDATA/node-1/press-1', 'the MQTT headers stay');

    const lineB = await records(daemon, 'line-b');
    assert.equal(lineB.map((record) => [record.value.messageType, record.value.metrics.map((metric: any) => metric.name)]), [['NBIRTH', ['bdSeq', 'temp']], ['DBIRTH', ['rpm']]]);
    await nodeB.endAsync();
  } finally {
    await daemon.cleanup();
  }
});

test('after a SIGKILL of the daemon, data by alias is stored unnamed and counted until the next birth names it', async () => {
  let daemon = await Daemon.start({ config });
  try {
    let node = await edgeNode(daemon, 'line-a', 1);
    await birth(node, 'line-a', 1);
    node.stream.destroy();
    await daemon.kill();
    daemon = await daemon.restart({ config });
    const before = (await records(daemon, 'line-a')).length;
    assert.ok(before >= 3, 'the births acknowledged before the crash are in the log');

    node = await edgeNode(daemon, 'line-a', 2);
    await node.publishAsync('spBv1.0/line-a/DDATA/node-1/press-1', encodeSparkplug({ timestamp: 3000, seq: 2, metrics: [{ alias: 2, type: 'UInt32', value: 7 }] }), { qos: 1 });
    await birth(node, 'line-a', 2);
    await node.publishAsync('spBv1.0/line-a/DDATA/node-1/press-1', encodeSparkplug({ timestamp: 4000, seq: 2, metrics: [{ alias: 2, type: 'UInt32', value: 8 }] }), { qos: 1 });
    const data = (await records(daemon, 'line-a')).filter((record) => record.value.messageType === 'DDATA');
    assert.equal(data.map((record) => [record.value.name, record.value.value]), [[null, 7], ['rpm', 8]]);
    assert.is(metricValue(await daemon.metrics(), 'tributary_sparkplug_unnamed_metrics_total'), 1);
    await node.endAsync();
  } finally {
    await daemon.cleanup();
  }
});

test.run();

// topics.maxTopics and topics.maxPartitions, as a user meets them: confluent-kafka's admin
// client is refused with POLICY_VIOLATION (as Kafka refuses a request over its own partition
// cap) and a message naming the limit, validate-only requests too; an MQTT 5 publisher
// whose route needs a new log topic gets PUBACK 0x97 (Quota exceeded) with the reason and
// keeps its connection; every refusal is counted, each limit logged once per interval; and
// once a topic is deleted, the same publish is stored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Daemon, metricTotal } from '../../helpers/daemon.ts';
import { runKafkaClient as admin } from './support/kafka-client.ts';

const MAX_TOPICS = 3;
const MAX_PARTITIONS = 5;

test('over topics.maxTopics or topics.maxPartitions: POLICY_VIOLATION to Kafka clients, 0x97 to MQTT 5 publishers, counted, logged once per limit; room again after a delete', async () => {
  const daemon = await Daemon.start({ config: {
    topics: { maxTopics: MAX_TOPICS, maxPartitions: MAX_PARTITIONS },
    mqtt: { routes: [{ filter: 'meters/#', topic: 'meters', key: '{topic}' }] },
  } });
  let publisher: mqtt.MqttClient | undefined;
  try {
    const port = daemon.ports.kafka!;
    const outcomes = admin(port, [
      { op: 'create', topic: 'a', partitions: 2 },
      { op: 'create', topic: 'b', partitions: 2 },
      { op: 'create', topic: 'c', partitions: 2 },
      { op: 'create', topic: 'c', partitions: 2, validateOnly: true },
      { op: 'partitions', topic: 'a', partitions: 4 },
      { op: 'create', topic: 'c', partitions: 1 },
      { op: 'create', topic: 'd', partitions: 1 },
    ]);
    assert.equal(outcomes.map((outcome) => `${outcome.op} ${outcome.topic}: ${outcome.error}`), [
      'create a: NONE',
      'create b: NONE',
      'create c: POLICY_VIOLATION',
      'create c: POLICY_VIOLATION',
      'partitions a: POLICY_VIOLATION',
      'create c: NONE',
      'create d: POLICY_VIOLATION',
    ]);
    assert.match(outcomes[2]!.message!, 'topics.maxPartitions allows 5', 'the message names the limit');
    assert.match(outcomes[4]!.message!, 'topics.maxPartitions');
    assert.match(outcomes[6]!.message!, 'topics.maxTopics allows 3');

    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${daemon.ports.mqtt}`, { protocolVersion: 5, clientId: 'meter-7', reconnectPeriod: 0 });
    const reasons: string[] = [];
    publisher.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback' && typeof packet.properties?.reasonString === 'string') reasons.push(packet.properties.reasonString);
    });
    const refused = await publisher.publishAsync('meters/7/power', '42', { qos: 1 }).then(() => undefined, (error: Error & { code?: number }) => error);
    assert.ok(refused !== undefined, 'the publish is refused');
    assert.is(refused.code, 0x97, `PUBACK Quota exceeded, got ${String(refused)}`);
    assert.is(reasons.length, 1);
    assert.match(reasons[0]!, 'topics.maxTopics', 'the reason string says which limit');
    assert.ok(publisher.connected, 'the connection stays');

    const metrics = await daemon.metrics();
    assert.is(metricTotal(metrics, 'tributary_storage_topic_limit_refusals_total', { limit: 'partitions' }), 3);
    assert.is(metricTotal(metrics, 'tributary_storage_topic_limit_refusals_total', { limit: 'topics' }), 2);
    assert.is(metricTotal(metrics, 'tributary_mqtt_refused_publishes_total', { reason: 'topic-limit' }), 1);
    assert.is(metricTotal(metrics, 'tributary_storage_topics'), MAX_TOPICS);
    assert.is(metricTotal(metrics, 'tributary_storage_partitions'), MAX_PARTITIONS);
    const limitLines = daemon.logLines.filter((line) => line.event === 'topic-limit');
    assert.equal(limitLines.map((line) => line.limit).sort(), ['partitions', 'topics'], 'one line per limit within the interval, not one per refusal');

    assert.equal(admin(port, [{ op: 'delete', topic: 'c' }]).map((outcome) => outcome.error), ['NONE']);
    await publisher.publishAsync('meters/7/power', '43', { qos: 1 });
    assert.is(metricTotal(await daemon.metrics(), 'tributary_storage_topics'), MAX_TOPICS, 'the route created its topic in the room the delete made');
  } finally {
    await publisher?.endAsync().catch(() => undefined);
    await daemon.cleanup();
  }
});

test.run();

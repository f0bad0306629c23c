// A daemon with a 96 MB heap (--max-old-space-size=96) under load from many MQTT clients
// and a Kafka producer, with node.memoryGuard's marks set low so that the load reaches
// them in seconds and not only on a slow day: the clients' subscriptions hold the heap
// up, and while it is above the upper mark every protocol refuses new work with its own
// code (CONNACK 0x97 and 3.1.1 return code 3, PUBACK 0x97, an unacknowledged 3.1.1
// publish closed, Kafka REQUEST_TIMED_OUT), the metric counts each refusal, and the
// process stays up. Once the clients leave, the heap falls below the lower mark and new
// clients are served again; every acknowledged record is then read back with a Kafka
// consumer, byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { Daemon, metricTotal } from '../../helpers/daemon.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';

/** Clients added per step while the heap climbs; each holds SUBSCRIPTIONS_PER_CLIENT filters. */
const CLIENTS_PER_STEP = 25;
/** Enough to pass the upper mark several times over (about 0.05% of this heap per client measured); a bound, so a guard that never sheds fails the test. */
const CLIENTS_MAX = 2000;
const SUBSCRIPTIONS_PER_CLIENT = 100;
const MQTT_LOG_TOPIC = 'mqtt';
const KAFKA_TOPIC = 'readings';
const SHED_ABOVE_PERCENT = 25;
const RESUME_BELOW_PERCENT = 15;
const MQTT_QUOTA_EXCEEDED = 0x97;
const MQTT_311_SERVER_UNAVAILABLE = 3;
const KAFKA_REQUEST_TIMED_OUT = 'REQUEST_TIMED_OUT';

type Refusal = Error & { code?: number };

function connect(port: number, clientId: string, protocolVersion: 4 | 5): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, protocolVersion, reconnectPeriod: 0, connectTimeout: 30_000 });
}

/** The connection refused, or undefined when it was let in (and is closed again). */
async function connectRefusal(port: number, clientId: string, protocolVersion: 4 | 5): Promise<Refusal | undefined> {
  try {
    const client = await connect(port, clientId, protocolVersion);
    await client.endAsync();
    return undefined;
  } catch (error) {
    return error as Refusal;
  }
}

/** The Kafka error type kafkajs reports for a failed send, looking through its retry wrappers. */
function kafkaErrorType(error: unknown): string {
  let current = error as { type?: string; originalError?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (current.type !== undefined && current.type !== 'UNKNOWN') return current.type;
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return String(error);
}

test('near the heap limit: each protocol refuses with its code, counted; the process stays up; new clients are served after the load; every acknowledged record is in the log', async () => {
  const daemon = await Daemon.start({
    nodeArguments: ['--max-old-space-size=96'],
    config: {
      node: { memoryGuard: { shedAbovePercent: SHED_ABOVE_PERCENT, resumeBelowPercent: RESUME_BELOW_PERCENT, sampleIntervalMs: 100 } },
      mqtt: { limits: { maxConnections: CLIENTS_MAX + 100 } },
      log: { level: 'info' },
    },
  });
  const port = daemon.ports.mqtt!;
  const kafka = kafkajsClient(daemon.ports.kafka!, 'memory-pressure', { retry: { retries: 0 } });
  const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 0 } });
  const load: mqtt.MqttClient[] = [];
  const acknowledged = { mqtt: new Map<string, string>(), kafka: new Set<string>() };
  const observed = { connect: 0, publish: 0, produce: 0 };
  try {
    await producer.connect();
    const shedLine = (line: Record<string, unknown>) => String(line.msg).startsWith('memory pressure: the heap is near its limit');
    // Clients join with their subscriptions and each publishes one QoS 1 reading, until the guard sheds.
    for (let index = 0; !daemon.logLines.some(shedLine); index += 1) {
      assert.ok(load.length < CLIENTS_MAX, `the guard shed before ${CLIENTS_MAX} clients (${SUBSCRIPTIONS_PER_CLIENT} subscriptions each) were connected`);
      const step = await Promise.all(Array.from({ length: CLIENTS_PER_STEP }, async (_, offset) => {
        const clientId = `sensor-${index}-${offset}`;
        const client = await connect(port, clientId, 5).catch((error: Refusal) => error);
        if (client instanceof Error) {
          assert.is(client.code, MQTT_QUOTA_EXCEEDED, `a refused CONNECT gets 0x97: ${client.message}`);
          observed.connect += 1;
          return undefined;
        }
        await client.subscribeAsync(Array.from({ length: SUBSCRIPTIONS_PER_CLIENT }, (_, filter) => `site/${clientId}/device-${filter}/+/temperature`));
        const topic = `sensors/${clientId}`;
        const payload = `reading of ${clientId}`;
        const outcome = await client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined, (error: Refusal) => error);
        if (outcome === undefined) acknowledged.mqtt.set(topic, payload);
        else {
          assert.is(outcome.code, MQTT_QUOTA_EXCEEDED, `a refused publish gets PUBACK 0x97: ${outcome.message}`);
          observed.publish += 1;
        }
        return client;
      }));
      load.push(...step.filter((client) => client !== undefined));
      const value = `produced in step ${index}`;
      await producer.send({ topic: KAFKA_TOPIC, acks: -1, messages: [{ key: 'step', value }] }).then(
        () => acknowledged.kafka.add(value),
        (error: unknown) => {
          assert.is(kafkaErrorType(error), KAFKA_REQUEST_TIMED_OUT, `a refused produce is REQUEST_TIMED_OUT: ${String(error)}`);
          observed.produce += 1;
        },
      );
    }
    // The guard sheds until the heap is below the lower mark; the clients hold it up meanwhile.
    const v5Refusal = await connectRefusal(port, 'late-v5', 5);
    assert.is(v5Refusal?.code, MQTT_QUOTA_EXCEEDED, `a new MQTT 5 client gets CONNACK 0x97: ${String(v5Refusal)}`);
    const v311Refusal = await connectRefusal(port, 'late-311', 4);
    assert.is(v311Refusal?.code, MQTT_311_SERVER_UNAVAILABLE, `a new 3.1.1 client gets CONNACK 3 (server unavailable): ${String(v311Refusal)}`);
    observed.connect += 2;

    const publisher = load[0]!;
    const refusedPublish = await publisher.publishAsync('sensors/refused', 'not taken', { qos: 1 }).then(() => undefined, (error: Refusal) => error);
    assert.is(refusedPublish?.code, MQTT_QUOTA_EXCEEDED, 'a QoS 1 publish gets PUBACK 0x97 with the connection kept');
    assert.ok(publisher.connected, 'an MQTT 5 publisher keeps its connection');
    observed.publish += 1;

    const produceError = await producer.send({ topic: KAFKA_TOPIC, acks: -1, messages: [{ key: 'step', value: 'refused' }] }).then(() => undefined, (error: unknown) => error);
    assert.is(kafkaErrorType(produceError), KAFKA_REQUEST_TIMED_OUT, 'a produce is refused with a retriable REQUEST_TIMED_OUT');
    observed.produce += 1;
    assert.is(daemon.process.exitCode, null, 'the daemon is still running');

    const metrics = await daemon.metrics();
    assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'mqtt', request: 'connect' }), observed.connect);
    assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'mqtt', request: 'publish' }), observed.publish);
    assert.is(metricTotal(metrics, 'tributary_memory_pressure_refusals_total', { protocol: 'kafka', request: 'produce' }), observed.produce);
    assert.is(metricTotal(metrics, 'tributary_memory_pressure'), 1);
    assert.ok(metricTotal(metrics, 'tributary_memory_heap_used_ratio') >= RESUME_BELOW_PERCENT / 100, 'the gauge shows the heap above the lower mark');

    // The load leaves; the heap falls and the guard says so.
    await Promise.all(load.splice(0).map((client) => client.endAsync()));
    await daemon.logLine((line) => String(line.msg).startsWith('memory pressure over'), 'the guard to stop shedding once the clients are gone', 60_000);
    const welcome = await connect(port, 'after-the-load', 5);
    await welcome.publishAsync('sensors/after', 'after the load', { qos: 1 });
    acknowledged.mqtt.set('sensors/after', 'after the load');
    await welcome.endAsync();
    assert.is(await connectRefusal(port, 'after-the-load-311', 4), undefined, 'a 3.1.1 client is served again');
    await producer.send({ topic: KAFKA_TOPIC, acks: -1, messages: [{ key: 'step', value: 'after the load' }] });
    acknowledged.kafka.add('after the load');
    assert.ok(acknowledged.mqtt.size > 1 && acknowledged.kafka.size > 1, 'records were acknowledged under load');

    // Every acknowledged record, read back from the log.
    const stored = { mqtt: new Map<string, string>(), kafka: new Set<string>() };
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, number>();
    for (const topic of [MQTT_LOG_TOPIC, KAFKA_TOPIC]) {
      for (const partition of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${partition.partition}`, Number(partition.high));
    }
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: 'memory-pressure-check' });
    await consumer.connect();
    await consumer.subscribe({ topics: [MQTT_LOG_TOPIC, KAFKA_TOPIC], fromBeginning: true });
    const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([key]) => key));
    await new Promise<void>((resolve, reject) => {
      if (remaining.size === 0) resolve();
      consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (topic === MQTT_LOG_TOPIC) stored.mqtt.set(message.key!.toString(), message.value!.toString());
          else stored.kafka.add(message.value!.toString());
          if (Number(message.offset) + 1 >= ends.get(`${topic}/${partition}`)!) remaining.delete(`${topic}/${partition}`);
          if (remaining.size === 0) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    const missingMqtt = [...acknowledged.mqtt].filter(([topic, payload]) => stored.mqtt.get(topic) !== payload);
    const missingKafka = [...acknowledged.kafka].filter((value) => !stored.kafka.has(value));
    assert.equal(missingMqtt, [], 'every acknowledged MQTT publish is in the log with its payload');
    assert.equal(missingKafka, [], 'every acknowledged Kafka record is in the log');
    assert.not.ok(stored.mqtt.has('sensors/refused'), 'the refused publish was not stored');
    assert.not.ok(stored.kafka.has('refused'), 'the refused produce was not stored');
    assert.is(daemon.process.exitCode, null);
  } finally {
    await Promise.all(load.map((client) => client.endAsync(true)));
    await producer.disconnect().catch(() => undefined);
    await daemon.cleanup();
  }
});

test.run();

// Connection floods on every listener, one after the other: Kafka plain and TLS, MQTT,
// MQTTS, MQTT over WebSocket and the HTTP admin port each get far more connections than
// their limit at once. Past the limit each one is closed as it is accepted, counted in
// tributary_listener_refused_connections_total{listener,reason="limit"} and named in one
// log line with the setting; clients connected before the flood keep being served, the
// other listeners too, nothing acknowledged is lost, and once the flood is gone new clients
// connect again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { KafkaClient } from '../../../shared/kafka/client/kafka-client.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { REFUSAL_HEADROOM_CONNECTIONS } from '../../../edge/mqtt/broker/broker.ts';
import { BROKER_CERTIFICATE } from '../../helpers/certificates.ts';
import type { Daemon } from '../../helpers/daemon.ts';
import { readPartition, waitFor } from '../../mirror/cluster.ts';
import { RawClient } from '../mqtt/raw-client.ts';
import { within } from '../kafka/clients/support/timeout.ts';
import { closeSockets, listenerCount, openSockets, portOf, startDaemonWithEveryListener, WAIT_MS, waitForMetric, type ListenerName } from './support.ts';

const KAFKA_MAX_CONNECTIONS = 8;
const MQTT_MAX_CONNECTIONS = 8;
/** What each MQTT listener accepts: the limit and the headroom in which refusals are answered with a CONNACK. */
const MQTT_ACCEPTED = MQTT_MAX_CONNECTIONS + REFUSAL_HEADROOM_CONNECTIONS;
/** The admin port's fixed limit (edge/http/admin-server.ts). */
const HTTP_MAX_CONNECTIONS = 64;
/** Connections a flood opens beyond what its listener accepts. */
const FLOOD_EXCESS = 20;
/** Clients connected before the floods: three MQTT devices share the MQTT listeners' limit, two Kafka clients hold one connection each. */
const CONNECTED_BEFORE_FLOOD = 3;
const ca = [readFileSync(BROKER_CERTIFICATE)];

function kafkaClientOf(port: number, clientId: string, tls: boolean): KafkaClient {
  return new KafkaClient({ bootstrap: [`127.0.0.1:${port}`], clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 15_000, ...(tls ? { tls: { ca, servername: 'localhost' } } : {}) });
}

function mqttUrl(daemon: Daemon, listener: 'mqtt' | 'mqtts' | 'mqttWs'): string {
  const scheme = { mqtt: 'mqtt', mqtts: 'mqtts', mqttWs: 'ws' }[listener];
  return `${scheme}://127.0.0.1:${portOf(daemon, listener)}`;
}

function mqttClientOf(daemon: Daemon, listener: 'mqtt' | 'mqtts' | 'mqttWs', clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl(daemon, listener), { clientId, reconnectPeriod: 0, connectTimeout: 10_000, ca, servername: 'localhost' });
}

/** What the test saw acknowledged, to look for in the log at the end. */
const acknowledged = { kafka: [] as string[], mqtt: [] as string[] };

async function produce(client: KafkaClient, value: string): Promise<void> {
  const outcome = await client.produce('flooded', 0, encodeRecordBatch({ records: [{ value: Buffer.from(value) }] }));
  assert.is(outcome.errorCode, 0, `"${value}" acknowledged`);
  acknowledged.kafka.push(value);
}

async function publish(client: MqttClient, value: string): Promise<void> {
  await client.publishAsync('sensors/flooded/temp', value, { qos: 1 });
  acknowledged.mqtt.push(value);
}

/**
 * Floods `listener` with `accepted + FLOOD_EXCESS` idle connections; checks that those past
 * the limit were refused, counted and logged while `duringFlood` runs, then that the
 * listener takes `afterFlood`'s client once the flood is gone.
 */
async function flood(daemon: Daemon, listener: ListenerName, accepted: number, setting: RegExp, duringFlood: () => Promise<void>, afterFlood: () => Promise<void>): Promise<void> {
  const before = await listenerCount(daemon, 'refused', listener, 'limit');
  const sockets = await openSockets(portOf(daemon, listener), accepted + FLOOD_EXCESS);
  const refused = await waitForMetric(daemon, 'tributary_listener_refused_connections_total', { listener, reason: 'limit' }, (value) => value - before >= FLOOD_EXCESS, `${listener}: at least ${FLOOD_EXCESS} connections refused`) - before;
  assert.ok(refused <= FLOOD_EXCESS + CONNECTED_BEFORE_FLOOD, `${listener}: ${refused} refused; the listener took its limit (the clients connected before the flood hold slots of it)`);
  // The count read above may still be short of a refusal under way (on the admin port the
  // test's own /metrics requests take a slot too): the sockets closed are compared with the
  // count once both agree, and a connection closed that was not refused never lets them.
  const settled = await waitFor(`${listener}: the refused connections closed, and only those`, async () => {
    const closed = sockets.filter(({ socket }) => socket.destroyed).length;
    const refusedNow = await listenerCount(daemon, 'refused', listener, 'limit') - before;
    return closed >= refused && closed === refusedNow ? { closed, refusedNow } : undefined;
  }, WAIT_MS);
  assert.is(settled.closed, settled.refusedNow, `${listener}: every refused connection was closed, and only those`);
  assert.ok(settled.refusedNow <= FLOOD_EXCESS + CONNECTED_BEFORE_FLOOD, `${listener}: ${settled.refusedNow} refused in all`);
  const isRefusal = (line: Record<string, unknown>): boolean => line.listener === `listeners.${listener}` && line.reason === 'limit';
  await daemon.logLine((line) => isRefusal(line) && setting.test(String(line.msg)), `${listener}: the refusal is logged with the limit`);
  const lines = daemon.logLines.filter(isRefusal).length;
  assert.ok(lines < refused, `${listener}: ${refused} refusals are ${lines} log lines (one per interval, with the count of the rest)`);
  await duringFlood();
  await closeSockets(sockets);
  await afterFlood();
}

test('a flood on each listener is refused past the limit, counted and logged; connected clients and the other listeners keep being served; new clients get in once it is gone', async () => {
  const daemon = await startDaemonWithEveryListener({
    kafka: { maxConnections: KAFKA_MAX_CONNECTIONS },
    mqtt: { limits: { maxConnections: MQTT_MAX_CONNECTIONS } },
    topics: { overrides: { flooded: { partitions: 1 } } },
  });
  const kafka = kafkaClientOf(portOf(daemon, 'kafka'), 'before-the-flood', false);
  const kafkaTls = kafkaClientOf(portOf(daemon, 'kafkaTls'), 'before-the-flood-tls', true);
  const devices = await Promise.all((['mqtt', 'mqtts', 'mqttWs'] as const).map((listener) => mqttClientOf(daemon, listener, `device-${listener}`)));
  const [device, tlsDevice, wsDevice] = devices as [MqttClient, MqttClient, MqttClient];
  try {
    await produce(kafka, 'before');
    await produce(kafkaTls, 'before-tls');
    await publish(device, 'before');

    const kafkaSetting = new RegExp(`^listeners\\.kafka(Tls)?: connection refused: ${KAFKA_MAX_CONNECTIONS} connections are open \\(kafka\\.maxConnections\\)$`);
    await flood(daemon, 'kafka', KAFKA_MAX_CONNECTIONS, kafkaSetting,
      async () => { await produce(kafka, 'during-kafka-flood'); await publish(device, 'during-kafka-flood'); },
      async () => { const fresh = kafkaClientOf(portOf(daemon, 'kafka'), 'after-kafka-flood', false); await produce(fresh, 'after-kafka-flood'); await fresh.close(); });
    await flood(daemon, 'kafkaTls', KAFKA_MAX_CONNECTIONS, kafkaSetting,
      async () => { await produce(kafkaTls, 'during-tls-flood'); await produce(kafka, 'during-tls-flood-plain'); },
      async () => { const fresh = kafkaClientOf(portOf(daemon, 'kafkaTls'), 'after-tls-flood', true); await produce(fresh, 'after-tls-flood'); await fresh.close(); });

    // Refused by the listener itself, or by the broker, which holds the MQTT listeners together to the same limit.
    const mqttSetting = new RegExp(`^listeners\\.mqtt(s|Ws)?: (connection refused: ${MQTT_ACCEPTED} connections are open \\(mqtt\\.limits\\.maxConnections and ${REFUSAL_HEADROOM_CONNECTIONS} to answer refusals in\\)`
      + `|MQTT connection closed on accept: \\d+ connections are open, ${REFUSAL_HEADROOM_CONNECTIONS} past mqtt\\.limits\\.maxConnections \\(${MQTT_MAX_CONNECTIONS}\\))$`);
    for (const [listener, connected] of [['mqtt', device], ['mqtts', tlsDevice], ['mqttWs', wsDevice]] as const) {
      await flood(daemon, listener, MQTT_ACCEPTED, mqttSetting,
        async () => { await publish(connected, `during-${listener}-flood`); await produce(kafka, `during-${listener}-flood`); },
        async () => {
          // The flood's connections are gone from the broker's count before a new client can be admitted.
          await waitForMetric(daemon, 'tributary_listener_connections', { listener }, (open) => open <= 1, `${listener}: the flood's connections closed`);
          const fresh = await mqttClientOf(daemon, listener, `after-${listener}-flood`);
          await publish(fresh, `after-${listener}-flood`);
          await fresh.endAsync();
        });
    }

    await flood(daemon, 'http', HTTP_MAX_CONNECTIONS, /^listeners\.http: connection refused: 64 connections are open \(64, the admin port's limit\)$/,
      async () => { await produce(kafka, 'during-http-flood'); await publish(device, 'during-http-flood'); },
      async () => { assert.is((await fetch(`http://127.0.0.1:${daemon.ports.http}/health`)).status, 200, 'the admin port answers again'); });

    // Every flood was refused at its own listener only, and nothing acknowledged was lost.
    for (const listener of ['kafka', 'kafkaTls', 'mqtt', 'mqtts', 'mqttWs', 'http'] as const) {
      assert.ok(await listenerCount(daemon, 'refused', listener, 'limit') >= FLOOD_EXCESS, `${listener} counted its refusals`);
    }
    const stored = await readPartition(kafka, 'flooded', 0);
    assert.equal(stored.map((record) => Buffer.from(record.value!).toString()), acknowledged.kafka, 'every acknowledged Kafka record, in order');
    const readings = await readPartition(kafka, 'mqtt', 0);
    assert.equal(readings.map((record) => Buffer.from(record.value!).toString()), acknowledged.mqtt, 'every acknowledged MQTT publish, in order');
    assert.is(daemon.process.exitCode, null, 'the daemon is running');
  } finally {
    for (const client of devices) await client.endAsync(true);
    await kafka.close();
    await kafkaTls.close();
    await daemon.cleanup();
  }
});

/** Devices of a fleet reconnecting at once, past the MQTT limit. */
const RECONNECT_STORM_DEVICES = 40;

test('a fleet reconnecting past mqtt.limits.maxConnections is told CONNACK 0x03 each, counted each, logged in one line; connected devices keep publishing and a device gets in once a slot is free', async () => {
  const daemon = await startDaemonWithEveryListener({ mqtt: { limits: { maxConnections: 2 } } });
  const port = portOf(daemon, 'mqtt');
  const connected = await Promise.all(['storm-1', 'storm-2'].map((clientId) => mqttClientOf(daemon, 'mqtt', clientId)));
  try {
    const storm = await within(Promise.all(Array.from({ length: RECONNECT_STORM_DEVICES }, async (_, index) => {
      const device = await RawClient.connect(port);
      const [, code] = await device.handshake({ clientId: `storming-${index}` });
      await device.close();
      return code;
    })), WAIT_MS, 'every storming device answered');
    assert.equal(storm, storm.map(() => 3), 'every device past the limit is told the server is unavailable');
    await waitForMetric(daemon, 'tributary_mqtt_refused_connections_total', { reason: 'max-connections' }, (value) => value === RECONNECT_STORM_DEVICES, 'every refusal counted');
    const isRefusal = (line: Record<string, unknown>): boolean => line.msg === 'MQTT connection refused: 2 connections are open (mqtt.limits.maxConnections)';
    await daemon.logLine(isRefusal, 'the refusal is logged with the limit');
    const lines = daemon.logLines.filter(isRefusal).length;
    assert.ok(lines < RECONNECT_STORM_DEVICES, `${RECONNECT_STORM_DEVICES} refusals are ${lines} log lines`);
    for (const device of connected) await device.publishAsync('sensors/storm/temp', '1', { qos: 1 });
    await connected.pop()!.endAsync();
    await waitForMetric(daemon, 'tributary_listener_connections', { listener: 'mqtt' }, (open) => open <= 1, 'a slot freed');
    const late = await mqttClientOf(daemon, 'mqtt', 'after-the-storm');
    connected.push(late);
    await late.publishAsync('sensors/storm/temp', '2', { qos: 1 });
  } finally {
    for (const device of connected) await device.endAsync(true);
    await daemon.cleanup();
  }
});

test.run();

// The mirror against Apache Kafka 4.4 as the central, one node shared by the scenarios of
// this file, set up as a platform team would: no automatic topic creation, and beside the
// plain listener a SASL_SSL listener that requires SCRAM-SHA-512 (PEM keystore; the user
// written into the cluster's metadata when its storage is formatted).
//
// - SCRAM-SHA-512 over TLS with the right password (from a passwordFile), and with a wrong
//   one, which the mirror reports once, clearly, and keeps retrying;
// - a replication factor the cluster cannot meet: each refused topic reported with Kafka's
//   error, retried with a growing pause, and mirrored as soon as it exists;
// - records stamped hours ahead by a wrong clock at the edge, which Kafka 4 refuses
//   (message.timestamp.after.max.ms): reported once, held in order, delivered once allowed;
// - commands produced with Kafka's own console producer reach an MQTT device at the edge,
//   and `tributary fleet` reads the edges' heartbeats from the cluster.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from '@platformatic/kafka';
import mqtt from 'mqtt';
import { ApacheKafka, runKafkaTool } from '../helpers/apache-kafka.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../helpers/certificates.ts';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { startFleet, type FleetProcess } from '../cloud/fleet-process.ts';
import { kafkaClient, readPartition, waitFor } from './cluster.ts';

const SECURE_LISTENER = 'SECURE';
const SCRAM_USER = 'mirror-edge-scram';
const SCRAM_PASSWORD = 'scram-secret-512';
const TOPICS = 'org.apache.kafka.tools.TopicCommand';

let kafka: ApacheKafka;
const scratch = mkdtempSync(join(tmpdir(), 'tributary-test-apache-central-'));

test.before(async () => {
  kafka = await ApacheKafka.start({
    config: { 'auto.create.topics.enable': 'false' },
    scramUsers: [{ mechanism: 'SCRAM-SHA-512', username: SCRAM_USER, password: SCRAM_PASSWORD }],
    extraListeners: { [SECURE_LISTENER]: { securityProtocol: 'SASL_SSL', keystorePem: { certificateFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY }, scramMechanisms: ['SCRAM-SHA-512'] } },
  });
});

test.after(async () => {
  await kafka?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

interface MirrorReport {
  state: string;
  lastError: string | null;
  errorsTotal: number;
  refusedTopics: { target: string; kafkaError: string | null; error: string; attempts: number }[];
  reverse: unknown[];
}

async function mirrorReport(edge: Daemon): Promise<MirrorReport> {
  return (await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json()) as MirrorReport;
}

async function produceAtEdge(edge: Daemon, topic: string, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  try {
    await producer.send({ messages: Array.from({ length: count }, (_, index) => ({ topic, partition: 0, value: Buffer.from(`${topic}-${index}`) })) });
  } finally {
    await producer.close();
  }
}

async function highWatermark(topic: string): Promise<bigint | undefined> {
  const reader = kafkaClient(kafka.bootstrap);
  try {
    return (await reader.offsets(topic, 0)).highWatermark;
  } catch {
    return undefined;
  } finally {
    await reader.close();
  }
}

/** An edge mirroring one-partition topics to the plain listener, with no heartbeats. */
function plainEdge(id: string, topics: string[], replicationFactor: number): Promise<Daemon> {
  return Daemon.start({
    config: {
      node: { id },
      topics: { overrides: Object.fromEntries(topics.map((topic) => [topic, { partitions: 1 }])) },
      mirror: { target: { bootstrap: [kafka.bootstrap], replicationFactor }, topics: { include: topics }, heartbeat: { intervalMs: 0 } },
    },
  });
}

function scramEdge(id: string, password: string): Promise<Daemon> {
  const passwordFile = join(scratch, `${id}-password`);
  writeFileSync(passwordFile, `${password}\n`);
  return Daemon.start({
    config: {
      node: { id },
      topics: { overrides: { sensors: { partitions: 1 } } },
      mirror: {
        target: {
          bootstrap: [kafka.bootstrapOf(SECURE_LISTENER)],
          tls: { enabled: true, caFile: BROKER_CERTIFICATE },
          sasl: { mechanism: 'SCRAM-SHA-512', username: 'mirror-{edge}', passwordFile },
          replicationFactor: 1,
          connectTimeoutMs: 2_000,
        },
        topics: { include: ['sensors'] },
        link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 1_000 },
        heartbeat: { intervalMs: 500 },
      },
    },
  });
}

test('SCRAM-SHA-512 over TLS: with its password, read from a passwordFile, the mirror creates its topic and delivers', async () => {
  const edge = await scramEdge('edge-scram', SCRAM_PASSWORD);
  try {
    await produceAtEdge(edge, 'sensors', 40);
    await waitFor('40 records on Apache Kafka', async () => ((await highWatermark('edge-scram.sensors')) === 40n ? true : undefined));
    assert.is((await mirrorReport(edge)).state, 'up');
  } finally {
    await edge.cleanup();
  }
});

test('SCRAM-SHA-512 over TLS: a wrong password is said once, with what Kafka answered, and the mirror keeps trying', async () => {
  const edge = await scramEdge('edge-scram', 'not-the-password');
  try {
    const refused = await edge.logLine((line) => line.event === 'authentication-failed', 'the refusal in the log', 30_000);
    assert.match(String(refused.err), /the cluster refused the credentials \(SASL SCRAM-SHA-512 as user mirror-edge-scram\): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
    const report = await waitFor('the link reported down', async () => {
      const current = await mirrorReport(edge);
      return current.state === 'down' ? current : undefined;
    });
    assert.match(report.lastError ?? '', /refused the credentials/);
    // It keeps trying (the refresh comes back every few seconds), and says it only once.
    await waitFor('a second refused attempt', async () => ((metricValue(await edge.metrics(), 'tributary_mirror_errors_total', { kind: 'authentication' }) ?? 0) >= 2 ? true : undefined), 30_000);
    assert.is(edge.logLines.filter((line) => line.event === 'authentication-failed').length, 1, 'one log line for one refusal');
    assert.match(kafka.nodes[0]!.output, /Failed authentication with \/127\.0\.0\.1.*invalid credentials with SASL mechanism SCRAM-SHA-512/, 'the broker logs it too');
  } finally {
    await edge.cleanup();
  }
});

test('a replication factor the cluster cannot meet: each refused topic is reported with Kafka\'s error, the mirror asks again, and a topic made by hand is mirrored', async () => {
  const edge = await plainEdge('edge-rf', ['sensors', 'alarms'], 2);
  try {
    await produceAtEdge(edge, 'sensors', 10);
    await produceAtEdge(edge, 'alarms', 10);
    for (const topic of ['edge-rf.sensors', 'edge-rf.alarms']) {
      const line = await edge.logLine((entry) => entry.event === 'topic-refused' && entry.topic === topic, `${topic} refused`, 30_000);
      assert.is(line.kafkaError, 'INVALID_REPLICATION_FACTOR');
      assert.match(String(line.err), /replication factor of 2 cannot be reached because only 1 broker/);
    }
    const metrics = await edge.metrics();
    assert.is(metricValue(metrics, 'tributary_mirror_target_topic_refused', { topic: 'edge-rf.alarms', error: 'INVALID_REPLICATION_FACTOR' }), 1);
    assert.equal((await mirrorReport(edge)).refusedTopics.map((refusal) => [refusal.target, refusal.kafkaError]).sort(), [['edge-rf.alarms', 'INVALID_REPLICATION_FACTOR'], ['edge-rf.sensors', 'INVALID_REPLICATION_FACTOR']]);

    // The platform team creates one of them by hand, with a factor the cluster can meet.
    await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'edge-rf.sensors', '--partitions', '1', '--replication-factor', '1']);
    await waitFor('edge-rf.sensors mirrored', async () => ((await highWatermark('edge-rf.sensors')) === 10n ? true : undefined), 60_000);
    await edge.logLine((line) => line.event === 'topic-created' && line.topic === 'edge-rf.sensors', 'the refusal cleared');
    const report = await waitFor('alarms asked for again', async () => {
      const current = await mirrorReport(edge);
      return current.refusedTopics.length === 1 && current.refusedTopics[0]!.attempts >= 2 ? current : undefined;
    }, 60_000);
    assert.is(report.refusedTopics[0]!.target, 'edge-rf.alarms');
    assert.is(edge.logLines.filter((line) => line.event === 'topic-refused' && line.topic === 'edge-rf.alarms').length, 1, 'said once, however often refused');
    assert.is(metricValue(await edge.metrics(), 'tributary_mirror_target_topic_refused', { topic: 'edge-rf.sensors' }), undefined, 'no longer shown as refused');
    assert.is(await highWatermark('edge-rf.alarms'), undefined, 'nothing auto-created');
  } finally {
    await edge.cleanup();
  }
});

test('records stamped two hours ahead (a wrong clock at the edge) are refused by Kafka: said once, held in order, delivered once the topic allows them', async () => {
  const edge = await plainEdge('edge-clock', ['sensors'], 1);
  const producer = new Producer({ clientId: 'clock-gateway', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  try {
    await producer.send({ messages: [{ topic: 'sensors', partition: 0, value: Buffer.from('on-time-1') }] });
    await waitFor('the first record on Kafka', async () => ((await highWatermark('edge-clock.sensors')) === 1n ? true : undefined));
    const aheadMs = BigInt(Date.now() + 2 * 60 * 60 * 1000);
    await producer.send({ messages: [{ topic: 'sensors', partition: 0, value: Buffer.from('ahead'), timestamp: aheadMs }] });
    await producer.send({ messages: [{ topic: 'sensors', partition: 0, value: Buffer.from('on-time-2') }] });
    const refused = await edge.logLine((line) => line.event === 'batch-refused', 'the refusal in the log', 30_000);
    assert.is(refused.kafkaError, 'INVALID_TIMESTAMP');
    assert.match(String(refused.err), /check the edge's clock/);
    // Asked again (and refused again), but said once; nothing after it overtakes it.
    await waitFor('a second refused attempt', async () => ((await mirrorReport(edge)).errorsTotal >= 2 ? true : undefined), 30_000);
    assert.is(edge.logLines.filter((line) => line.event === 'batch-refused').length, 1, 'one log line for one refusal');
    assert.is(await highWatermark('edge-clock.sensors'), 1n);

    // The platform team allows timestamps up to a day ahead on this topic.
    await runKafkaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', kafka.bootstrap, '--alter', '--entity-type', 'topics', '--entity-name', 'edge-clock.sensors', '--add-config', 'message.timestamp.after.max.ms=86400000']);
    await waitFor('all three records on Kafka', async () => ((await highWatermark('edge-clock.sensors')) === 3n ? true : undefined), 60_000);
    const reader = kafkaClient(kafka.bootstrap);
    try {
      const records = await readPartition(reader, 'edge-clock.sensors', 0);
      assert.equal(records.map((record) => String(record.value)), ['on-time-1', 'ahead', 'on-time-2'], 'once each, in order');
      assert.is(records[1]!.timestamp, aheadMs, 'the record keeps its own timestamp');
    } finally {
      await reader.close();
    }
  } finally {
    await producer.close();
    await edge.cleanup();
  }
});

test('commands from Kafka\'s console producer reach the MQTT device at the edge, once and in order; `tributary fleet` reads the edge\'s heartbeats from Kafka', async () => {
  // The platform team makes the edge's command topic (nothing is created automatically here).
  await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'commands.edge-cmd', '--partitions', '2', '--replication-factor', '1']);
  const edge = await Daemon.start({
    config: {
      node: { id: 'edge-cmd' },
      // Declared with the central topic's partition count, so that the MQTT reverse route follows every partition from the start.
      topics: { overrides: { commands: { partitions: 2 } } },
      mqtt: { reverseRoutes: [{ topic: 'commands', mqttTopic: 'devices/{key}/commands', qos: 1 }] },
      mirror: { target: { bootstrap: [kafka.bootstrap], replicationFactor: 1 }, topics: { include: [] }, reverse: [{ from: 'commands.{edge}', to: 'commands' }], heartbeat: { intervalMs: 500 } },
    },
  });
  let fleet: FleetProcess | undefined;
  let device: mqtt.MqttClient | undefined;
  try {
    await waitFor('both command partitions followed', async () => ((await mirrorReport(edge)).reverse.length === 2 ? true : undefined));
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: 'pump-7', clean: true, reconnectPeriod: 0 });
    const received: string[] = [];
    device.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await device.subscribeAsync('devices/pump-7/commands', { qos: 1 });
    await runKafkaTool('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', kafka.bootstrap, '--topic', 'commands.edge-cmd', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'], { input: 'pump-7:open-valve\npump-7:set-rate 5\npump-7:close-valve\n' });
    await waitFor('three commands at the device', () => (received.length >= 3 ? true : undefined));
    assert.equal(received, ['devices/pump-7/commands open-valve', 'devices/pump-7/commands set-rate 5', 'devices/pump-7/commands close-valve']);

    fleet = await startFleet(kafka.bootstrap);
    const row = await waitFor('edge-cmd in the fleet view', () => fleet!.edge('edge-cmd'));
    assert.is(row.linkState, 'up');
    assert.is(row.health, 'ok');
    assert.is(received.length, 3, 'no command twice');
  } finally {
    await device?.endAsync();
    await fleet?.stop();
    await edge.cleanup();
  }
});

test.run();

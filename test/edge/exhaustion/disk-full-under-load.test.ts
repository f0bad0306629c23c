// The disk filling up while MQTT devices publish at QoS 1 and a Kafka producer produces
// with acks=all, at once, through the daemon as a user runs it. The data directory is on a
// small tmpfs (mounting needs root) that a filler file leaves almost full. Each protocol
// gets its own error: the Kafka producer KAFKA_STORAGE_ERROR, the MQTT 5 device a
// DISCONNECT 0x80 saying the log cannot store the message (its publish is not acknowledged,
// so it sends it again later). Both are counted in
// tributary_storage_append_errors_total{code="STORAGE_DISK_FULL"}. Once the filler is
// removed both are served again, and every record acknowledged before, during and after is
// in the log, also after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Daemon, metricValue } from '../../helpers/daemon.ts';
import { kafkaClient, readPartition } from '../../mirror/cluster.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { within } from '../kafka/clients/support/timeout.ts';
import { WAIT_MS } from './support.ts';

/** Small enough to fill in a moment, large enough for the daemon's metadata and first segments. */
const TMPFS_SIZE = '16m';
/** Room left beside the filler once the daemon is up: a few hundred records of each protocol. */
const ROOM_LEFT_BYTES = 1536 * 1024;
const RECORD_BYTES = 4 * 1024;
/** Records per Kafka produce request, and MQTT publishes in flight at once. */
const KAFKA_BATCH = 5;
const MQTT_IN_FLIGHT = 10;
/** Both stop here at the latest; the disk fills long before (ROOM_LEFT_BYTES / RECORD_BYTES is a few hundred). */
const ROUNDS_MAX = 2_000;
/** MQTT 5 DISCONNECT: Unspecified error (section 3.14.2.1). */
const UNSPECIFIED_ERROR = 0x80;

function mountTmpfs(path: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`this test mounts a ${TMPFS_SIZE} tmpfs to fill a real disk, which needs root: ${String(error)}`);
  }
}

/** The kafkajs error type of a failed send, looked for through the retrier's wrapping. */
function kafkajsErrorType(error: unknown): string | undefined {
  for (let cause = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; cause !== undefined && cause !== null; cause = (cause.cause ?? cause.originalError) as typeof cause) {
    if (cause.type !== undefined && cause.type !== 'UNKNOWN') return cause.type;
  }
  return undefined;
}

function value(prefix: string, index: number): Buffer {
  const tag = `${prefix}-${index}|`;
  return Buffer.concat([Buffer.from(tag), Buffer.alloc(RECORD_BYTES - tag.length, 0x2e)]);
}

const tagOf = (body: Buffer | null | undefined): string => String(body).split('|')[0]!;

test('a disk filling under MQTT QoS 1 and Kafka acks=all load: each gets its protocol\'s error, nothing acknowledged is lost, both recover when space returns', async () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'tributary-full-disk-'));
  mountTmpfs(mountPoint);
  const dataDir = join(mountPoint, 'edge');
  mkdirSync(dataDir);
  const filler = join(mountPoint, 'filler');
  let daemon: Daemon | undefined;
  let device: MqttClient | undefined;
  const kafka = { acknowledged: [] as string[], error: undefined as unknown };
  const devices = { acknowledged: [] as string[], disconnect: undefined as { reasonCode?: number; properties?: { reasonString?: string } } | undefined };
  try {
    daemon = await Daemon.start({ dataDir, config: {
      storage: { groupCommitMaxWaitMs: 0 },
      topics: { defaults: { segmentBytes: 256 * 1024 }, overrides: { orders: { partitions: 1 } } },
      mqtt: { routes: [{ filter: 'sensors/#', topic: 'readings' }] },
    } });
    const port = { kafka: daemon.ports.kafka!, mqtt: daemon.ports.mqtt! };
    const producer = kafkajsClient(port.kafka, 'orders-producer', { retry: { retries: 0 } }).producer({ retry: { retries: 0 } });
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: [{ value: value('kafka-first', 0) }] });
    kafka.acknowledged.push('kafka-first-0');
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port.mqtt}`, { clientId: 'device-1', protocolVersion: 5, reconnectPeriod: 0 });
    await device.publishAsync('sensors/device-1/temp', value('mqtt-first', 0), { qos: 1 });
    devices.acknowledged.push('mqtt-first-0');

    const { bavail, bsize } = statfsSync(mountPoint);
    writeFileSync(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - ROOM_LEFT_BYTES), 1));

    const kafkaLoad = async (): Promise<void> => {
      for (let round = 0; round < ROUNDS_MAX; round++) {
        const tags = Array.from({ length: KAFKA_BATCH }, (_, index) => `kafka-${round * KAFKA_BATCH + index}`);
        try {
          await producer.send({ topic: 'orders', acks: -1, messages: tags.map((tag) => ({ value: value(tag, 0) })) });
        } catch (error) {
          kafka.error = error;
          return;
        }
        kafka.acknowledged.push(...tags.map((tag) => `${tag}-0`));
      }
    };
    const mqttLoad = async (client: MqttClient): Promise<void> => {
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.once('disconnect', (packet) => { devices.disconnect = packet; });
      for (let round = 0; round < ROUNDS_MAX; round++) {
        let open = true;
        const publishes = Array.from({ length: MQTT_IN_FLIGHT }, (_, index) => {
          const tag = `mqtt-${round * MQTT_IN_FLIGHT + index}`;
          return client.publishAsync('sensors/device-1/temp', value(tag, 0), { qos: 1 }).then(() => {
            // An acknowledgement counts only if it came before the connection closed.
            if (open) devices.acknowledged.push(`${tag}-0`);
          }, () => undefined);
        });
        const ended = await Promise.race([Promise.all(publishes).then(() => false), closed.then(() => true)]);
        if (ended) {
          open = false;
          return;
        }
      }
    };
    await within(Promise.all([kafkaLoad(), mqttLoad(device)]), WAIT_MS, 'both loads stopped by the full disk');

    assert.is(kafkajsErrorType(kafka.error), 'KAFKA_STORAGE_ERROR', `the producer is told the broker cannot store the records (${String(kafka.error)})`);
    assert.is(devices.disconnect?.reasonCode, UNSPECIFIED_ERROR, 'the device is disconnected with 0x80, its publish unacknowledged');
    assert.is(devices.disconnect?.properties?.reasonString, 'the log cannot store the message now');
    const metrics = await daemon.metrics();
    for (const topic of ['orders', 'readings']) {
      assert.ok((metricValue(metrics, 'tributary_storage_append_errors_total', { topic, code: 'STORAGE_DISK_FULL' }) ?? 0) >= 1, `${topic}: the full disk is counted`);
    }
    assert.ok((metricValue(metrics, 'tributary_mqtt_refused_publishes_total', { reason: 'append-failed' }) ?? 0) >= 1, 'the refused publish is counted');
    // A failing disk is logged once per interval store-wide, whichever topic met it first; the
    // metrics above count each topic's failures.
    await daemon.logLine((line) => (line.topic === 'orders' || line.topic === 'readings') && (line.err as { code?: string } | undefined)?.code === 'STORAGE_DISK_FULL'
      && String((line.err as { message?: string }).message).includes(`${dataDir}/data/log/${String(line.topic)}-0/`), 'the log says the disk is full and names the segment');
    assert.ok(kafka.acknowledged.length > 1 && devices.acknowledged.length > 1, `both were acknowledged until the disk filled (Kafka ${kafka.acknowledged.length}, MQTT ${devices.acknowledged.length})`);
    await device.endAsync(true);

    // Space returns: both are served again at once.
    unlinkSync(filler);
    await producer.send({ topic: 'orders', acks: -1, messages: [{ value: value('kafka-after', 0) }] });
    kafka.acknowledged.push('kafka-after-0');
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port.mqtt}`, { clientId: 'device-1', protocolVersion: 5, reconnectPeriod: 0, connectTimeout: WAIT_MS });
    await device.publishAsync('sensors/device-1/temp', value('mqtt-after', 0), { qos: 1 });
    devices.acknowledged.push('mqtt-after-0');
    await device.endAsync();
    device = undefined;
    await producer.disconnect();

    // Every acknowledged record is in the log, in the order acknowledged, and after a restart too.
    const check = async (running: Daemon, when: string): Promise<void> => {
      const reader = kafkaClient(`127.0.0.1:${running.ports.kafka}`, 'checker');
      try {
        for (const [topic, acknowledged] of [['orders', kafka.acknowledged], ['readings', devices.acknowledged]] as const) {
          const stored = (await readPartition(reader, topic, 0)).map((record) => tagOf(Buffer.from(record.value!)));
          const storedSet = new Set(stored);
          const missing = acknowledged.filter((tag) => !storedSet.has(tag));
          assert.equal(missing, [], `${topic} ${when}: every acknowledged record is stored`);
          assert.equal(stored.filter((tag) => acknowledged.includes(tag)), acknowledged, `${topic} ${when}: in the order acknowledged`);
        }
      } finally {
        await reader.close();
      }
    };
    await check(daemon, 'once space returned');
    await daemon.stop();
    daemon = await daemon.restart();
    await check(daemon, 'after a restart');
  } finally {
    await device?.endAsync(true);
    await daemon?.cleanup();
    try { unlinkSync(filler); } catch { /* removed above */ }
    execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  }
});

test.run();

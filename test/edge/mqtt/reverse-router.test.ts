import { once } from 'node:events';
// Reverse routes: records appended to a log topic (as a Kafka client or the mirror does)
// reach MQTT subscribers, also persistent sessions that were away, also across restarts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { Harness } from './harness.ts';
import { encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { LogStore } from '../../../edge/storage/index.ts';
import { defaultConfig } from '../../../shared/config/load.ts';
import { silentLogger } from '../../../shared/logger.ts';

/** Generous for a loaded machine; a partition noticed only by a periodic rescan would take a minute. */
const NEW_PARTITION_NOTICE_BOUND_MS = 15_000;
/** Reconnections in the race test; without the fix about half of them saw a command twice. */
const RECONNECT_ROUNDS = 25;
const commandsRoute = { reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 as const }] };

/** Appends records the way a Kafka producer's batch arrives: keyed, without mqtt.* headers. */
async function appendCommands(store: Pick<LogStore, 'partition'>, commands: Array<[string, string]>): Promise<void> {
  await store.partition('commands', 0).append(encodeRecordBatch({ records: commands.map(([key, value]) => ({ key, value })) }));
}

/** Collects messages; `until(n)` resolves once n have arrived. */
function collect(client: MqttClient): { messages: Array<{ topic: string; payload: string; qos: number }>; until(count: number): Promise<void> } {
  const messages: Array<{ topic: string; payload: string; qos: number }> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), qos: packet.qos });
    for (const waiter of waiters.splice(0)) {
      if (messages.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    messages,
    until: (count) => (messages.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
  };
}

test('a record appended to "commands" with key dev-17 reaches subscribers of commands/dev-17 at the route\'s QoS', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const device = await h.client({ clientId: 'dev-17' });
    await device.subscribeAsync('commands/dev-17', { qos: 1 });
    const other = await h.client({ clientId: 'dev-18' });
    await other.subscribeAsync('commands/dev-18', { qos: 1 });
    const received = collect(device);
    const receivedOther = collect(other);
    await appendCommands(h.store, [['dev-17', 'reboot'], ['dev-18', 'blink'], ['dev-17', 'update']]);
    await received.until(2);
    await receivedOther.until(1);
    assert.equal(received.messages, [{ topic: 'commands/dev-17', payload: 'reboot', qos: 1 }, { topic: 'commands/dev-17', payload: 'update', qos: 1 }]);
    assert.equal(receivedOther.messages.map((m) => m.payload), ['blink']);
    await h.waitForMetric('tributary_mqtt_reverse_published_total', { topic: 'commands' }, 3);
    assert.is(await h.metric('tributary_mqtt_reverse_published_total', { topic: 'commands' }), 3);
  } finally {
    await h.cleanup();
  }
});

test('transactions (KIP-98): only committed records reach MQTT, none of an aborted transaction, and nothing past an open one until it commits', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const device = await h.client({ clientId: 'dev-tx' });
    await device.subscribeAsync('commands/dev-tx', { qos: 1 });
    const received = collect(device);
    const log = h.store.partition('commands', 0);
    const transactional = (producerId: bigint, value: string): Buffer => encodeRecordBatch({ producerId, producerEpoch: 0, baseSequence: 0, isTransactional: true, records: [{ key: 'dev-tx', value }] });
    await log.append(transactional(41n, 'committed'));
    await log.appendMarker({ producerId: 41n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
    await log.append(transactional(42n, 'aborted'));
    await log.appendMarker({ producerId: 42n, producerEpoch: 0, marker: 'abort', coordinatorEpoch: 0 });
    await log.append(transactional(43n, 'open until later'));
    await appendCommands(h.store, [['dev-tx', 'after the open transaction']]);
    await received.until(1);
    await log.appendMarker({ producerId: 43n, producerEpoch: 0, marker: 'commit', coordinatorEpoch: 0 });
    await received.until(3);
    assert.equal(received.messages.map((message) => message.payload), ['committed', 'open until later', 'after the open transaction']);
  } finally {
    await h.cleanup();
  }
});

test('a partition added to the topic later is followed from its first record', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const device = await h.client({ clientId: 'dev-3' });
    await device.subscribeAsync('commands/dev-3', { qos: 1 });
    const received = collect(device);
    await h.store.createPartitions('commands', 2);
    await h.store.partition('commands', 1).append(encodeRecordBatch({ records: [{ key: 'dev-3', value: 'on the new partition' }] }));
    // Far below any periodic rescan: the tailer starts at the partition's first durable record.
    const bound = new Promise<'timeout'>((resolve) => setTimeout(resolve, NEW_PARTITION_NOTICE_BOUND_MS, 'timeout').unref());
    assert.is(await Promise.race([received.until(1), bound]), undefined, `delivered within ${NEW_PARTITION_NOTICE_BOUND_MS} ms`);
    assert.equal(received.messages, [{ topic: 'commands/dev-3', payload: 'on the new partition', qos: 1 }]);
  } finally {
    await h.cleanup();
  }
});

test('records that came from MQTT are not published a second time', async () => {
  const h = await Harness.start({ mqtt: { ...commandsRoute, routes: [{ filter: 'commands/+', topic: 'commands', key: '{1}' }] } });
  try {
    const device = await h.client({ clientId: 'dev-1' });
    await device.subscribeAsync('commands/dev-1', { qos: 1 });
    const received = collect(device);
    const operator = await h.client({ clientId: 'operator' });
    await operator.publishAsync('commands/dev-1', 'from-mqtt', { qos: 1 });
    // A record from the Kafka side after it: once it arrives, the tailer has read past the MQTT one.
    await appendCommands(h.store, [['dev-1', 'from-kafka']]);
    await received.until(2);
    assert.equal(received.messages.map((m) => m.payload), ['from-mqtt', 'from-kafka']);
    assert.is(await h.metric('tributary_mqtt_reverse_skipped_total', { reason: 'from-mqtt' }), 1);
    // Both records are in the log, in order.
    assert.equal((await h.records('commands')).map((r) => r.value!.toString()), ['from-mqtt', 'from-kafka']);
  } finally {
    await h.cleanup();
  }
});

test('records without a usable key are skipped, counted and logged', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const watcher = await h.client({ clientId: 'watcher' });
    await watcher.subscribeAsync('commands/#', { qos: 1 });
    const received = collect(watcher);
    await h.store.partition('commands', 0).append(encodeRecordBatch({ records: [{ key: null, value: 'no key' }, { key: 'a/+', value: 'wildcard' }, { key: 'ok', value: 'fine' }] }));
    await received.until(1);
    assert.equal(received.messages.map((m) => m.topic), ['commands/ok']);
    assert.is(await h.metric('tributary_mqtt_reverse_skipped_total', { reason: 'invalid-topic' }), 2);
    assert.ok(h.logLines.some((line) => /record not published to MQTT/.test(line.msg)));
  } finally {
    await h.cleanup();
  }
});

/** Messages queued or in flight for a client's session. */
function outgoingCount(h: Harness, clientId: string): number {
  return h.frontEnd.broker.heldCount(clientId);
}

test('an offline persistent session gets its QoS 1 commands on reconnect, across a broker restart, and a restart does not redeliver', async () => {
  let h = await Harness.start({ mqtt: commandsRoute });
  const directory = h.directory;
  try {
    // The device subscribes with a persistent session, then goes away.
    const device = await h.client({ clientId: 'dev-42', clean: false });
    await device.subscribeAsync('commands/dev-42', { qos: 1 });
    await device.endAsync();
    // One command arrives while the broker runs (queued in the session store)...
    await appendCommands(h.store, [['dev-42', 'first']]);
    await h.waitForMetric('tributary_mqtt_reverse_published_total', { topic: 'commands' }, 1);
    await h.stop();
    // ...and one while it is down, appended straight to the log (as after a mirror sync).
    const store = await LogStore.open({ dataDir: directory, logger: silentLogger(), storage: defaultConfig().storage, topicDefaults: defaultConfig().topics.defaults });
    await appendCommands(store, [['dev-42', 'second']]);
    await store.close();

    h = await Harness.start({ mqtt: commandsRoute, directory });
    let received!: ReturnType<typeof collect>;
    const back = await h.client({ clientId: 'dev-42', clean: false }, h.url, (client) => { received = collect(client); });
    await received.until(2);
    assert.equal(received.messages.slice(0, 2).map((m) => [m.topic, m.payload, m.qos]), [['commands/dev-42', 'first', 1], ['commands/dev-42', 'second', 1]]);
    // A message whose PUBACK the broker has not processed is rightly sent again after a
    // restart [MQTT-4.3.2]. Stop only once the session's queue is empty: from then on
    // nothing may come back.
    while (outgoingCount(h, 'dev-42') > 0) await once(h.frontEnd.broker, 'acknowledged');
    await back.endAsync();
    await h.stop();

    // Restarted again with nothing new: the device gets no old command a second time.
    h = await Harness.start({ mqtt: commandsRoute, directory });
    let later!: ReturnType<typeof collect>;
    await h.client({ clientId: 'dev-42', clean: false }, h.url, (client) => { later = collect(client); });
    await appendCommands(h.store, [['dev-42', 'third']]);
    await later.until(1);
    assert.equal(later.messages.map((m) => m.payload), ['third']);
  } finally {
    await h.stop().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  }
});

test('commands published while a persistent session reconnects, again and again, reach each connection once and all arrive', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const first = await h.client({ clientId: 'dev-r', clean: false });
    await first.subscribeAsync('commands/dev-r', { qos: 1 });
    await first.endAsync();
    // Commands keep coming, one every millisecond or so, while the device comes and goes.
    let sent = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await h.store.partition('commands', 0).append(encodeRecordBatch({ records: [{ key: 'dev-r', value: `c${sent++}` }] }));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    // What the device's connections got, and what it acknowledged: mqtt.js acknowledges a
    // command that arrives while the connection is being ended without handing it over.
    const received = new Set<string>();
    h.frontEnd.broker.on('acknowledged', (_clientId: string, message: { payload: Buffer }) => received.add(message.payload.toString()));
    const doubled: string[] = [];
    const connect = async (): Promise<MqttClient> => {
      const seen = new Set<string>();
      return h.client({ clientId: 'dev-r', clean: false }, h.url, (client) => client.on('message', (_topic, payload) => {
        const value = payload.toString();
        if (seen.has(value)) doubled.push(value);
        seen.add(value);
        received.add(value);
      }));
    };
    for (let round = 0; round < RECONNECT_ROUNDS; round++) {
      const client = await connect();
      await new Promise((resolve) => setTimeout(resolve, 20 + (round % 4) * 10));
      await client.endAsync();
    }
    sending = false;
    await sender;
    // A command sent but not acknowledged on one connection rightly comes again on the
    // next; within one connection none may come twice.
    assert.equal(doubled, [], 'no connection got a command twice');
    const last = await connect();
    while (received.size < sent) await new Promise((resolve) => last.once('message', resolve));
    assert.is(received.size, sent, 'every command arrived');
  } finally {
    await h.cleanup();
  }
});

test('record headers reach an MQTT 5 subscriber as properties; a command whose Message Expiry Interval ran out in the log is not delivered', async () => {
  const h = await Harness.start({ mqtt: commandsRoute });
  try {
    const device = await h.client({ clientId: 'dev-5', protocolVersion: 5 });
    const received: Array<{ payload: string; properties: Record<string, unknown> | undefined }> = [];
    device.on('message', (_topic, payload, packet) => received.push({ payload: payload.toString(), properties: packet.properties as Record<string, unknown> | undefined }));
    await device.subscribeAsync('commands/dev-5', { qos: 1 });
    const now = Date.now();
    await h.store.partition('commands', 0).append(encodeRecordBatch({ records: [
      { key: 'dev-5', value: 'stale', timestampMs: now - 10_000, headers: [{ key: 'mqtt.messageExpiryInterval', value: '5' }] },
      { key: 'dev-5', value: 'fresh', timestampMs: now, headers: [{ key: 'mqtt.messageExpiryInterval', value: '600' }, { key: 'mqtt.responseTopic', value: 'replies/dev-5' }, { key: 'mqtt.correlationData', value: Buffer.from([9]) }, { key: 'origin', value: 'cloud' }] },
    ] }));
    while (received.length === 0) await new Promise((resolve) => device.once('message', resolve));
    assert.is(received[0]!.payload, 'fresh', 'the expired command was skipped');
    const properties = received[0]!.properties!;
    assert.equal([properties.responseTopic, { ...(properties.userProperties as object) }], ['replies/dev-5', { origin: 'cloud' }]);
    assert.ok(Buffer.from([9]).equals(properties.correlationData as Buffer));
    assert.ok(Number(properties.messageExpiryInterval) > 590 && Number(properties.messageExpiryInterval) <= 600);
    assert.is(await h.metric('tributary_mqtt_reverse_skipped_total', { reason: 'expired' }), 1);
  } finally {
    await h.cleanup();
  }
});

test('a route switched on for an existing topic starts at its end, not its history', async () => {
  let h = await Harness.start();
  const directory = h.directory;
  try {
    await h.store.createTopic('commands');
    await appendCommands(h.store, [['old', 'history']]);
    await h.stop();
    h = await Harness.start({ mqtt: commandsRoute, directory });
    const watcher = await h.client({ clientId: 'watcher' });
    await watcher.subscribeAsync('commands/#', { qos: 1 });
    const received = collect(watcher);
    await appendCommands(h.store, [['new', 'fresh']]);
    await received.until(1);
    assert.equal(received.messages.map((m) => m.payload), ['fresh']);
  } finally {
    await h.stop().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { decodePayloadToJson, decodeReading, PAYLOAD_FORMATS, type Reading } from '../../../firmware-sim/payloads.ts';
import { runFleet, type FleetReport } from '../../../firmware-sim/sim/fleet.ts';
import { SequenceSet } from '../../../firmware-sim/sim/sequence-set.ts';
import { startBroker, type TestBroker } from './broker.ts';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(): Promise<TestBroker> {
  const started = await startBroker();
  cleanups.push(() => started.close());
  return started;
}

/** Readings that reached the broker, by device, decoded from their payloads. */
function arrivals(testBroker: TestBroker): Map<string, Reading[]> {
  const byDevice = new Map<string, Reading[]>();
  for (const packet of testBroker.received) {
    if (!packet.topic.startsWith('sensors/')) continue;
    const reading = decodeReading(packet.payload as Buffer);
    assert.is(packet.topic, `sensors/${reading.deviceId}/${reading.metric}`);
    const list = byDevice.get(reading.deviceId) ?? [];
    list.push(reading);
    byDevice.set(reading.deviceId, list);
  }
  return byDevice;
}

/** Every sequence number the report says was acknowledged reached the broker. */
function assertNothingLost(report: FleetReport, testBroker: TestBroker): void {
  const received = arrivals(testBroker);
  for (const [deviceId, device] of Object.entries(report.perDevice)) {
    const arrived = new SequenceSet();
    for (const reading of received.get(deviceId) ?? []) arrived.add(reading.sequence);
    for (const [first, last] of device.acknowledgedSequences) {
      for (let sequence = first; sequence <= last; sequence += 1) {
        assert.ok(arrived.has(sequence), `${deviceId} #${sequence} was acknowledged but never arrived`);
      }
    }
  }
}

test('every acknowledged reading arrives, in order per device, in every format', async () => {
  for (const format of PAYLOAD_FORMATS) {
    const testBroker = await broker();
    const report = await runFleet({ broker: testBroker.url, devices: 3, ratePerSecond: 500, count: 40, format, seed: 1, metrics: ['temperature', 'humidity', 'pressure'] });
    assert.is(report.totals.published, 120, format);
    assert.is(report.totals.acknowledged, 120, format);
    assert.is(report.totals.unconfirmed, 0, format);
    for (const device of Object.values(report.perDevice)) assert.equal(device.acknowledgedSequences, [[1, 40]]);
    assertNothingLost(report, testBroker);
    for (const readings of arrivals(testBroker).values()) {
      assert.equal(readings.map((reading) => reading.sequence), Array.from({ length: 40 }, (_, index) => index + 1), `${format}: in order`);
      assert.equal([...new Set(readings.map((reading) => reading.metric))].sort(), ['humidity', 'pressure', 'temperature']);
    }
    // Persistent sessions by default: the broker saw clean=false.
    assert.is(testBroker.received[0]!.qos, 1);
  }
});

test('devices reconnect after the broker drops them, and nothing acknowledged is lost', async () => {
  const testBroker = await broker();
  let drops = 0;
  const fleet = runFleet({ broker: testBroker.url, devices: 3, ratePerSecond: 400, count: 200, reconnectPeriodMs: 20, seed: 2 });
  // Drop every connection twice while the devices are publishing.
  for (const after of [100, 300]) {
    await testBroker.nextPublish(() => testBroker.received.length >= after);
    testBroker.dropConnections();
    drops += 1;
  }
  const report = await fleet;
  assert.is(drops, 2);
  assert.is(report.totals.published, 600);
  assert.is(report.totals.acknowledged, 600, 'the outgoing store resends what was in flight');
  assert.is(report.totals.failed, 0);
  for (const device of Object.values(report.perDevice)) {
    assert.ok(device.reconnects >= 2, `reconnects: ${device.reconnects}`);
    assert.equal(device.acknowledgedSequences, [[1, 200]]);
  }
  assertNothingLost(report, testBroker);
});

test('commands are answered on the reply topic, also when sent while the device sleeps', async () => {
  const testBroker = await broker();
  const cloud = await mqtt.connectAsync(testBroker.url, { clientId: 'cloud', reconnectPeriod: 0 });
  cleanups.push(() => cloud.endAsync(true));
  await cloud.subscribeAsync('replies/#', { qos: 1 });
  const replies: { topic: string; body: Record<string, unknown> }[] = [];
  const replyArrived = (commandId: string): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (replies.some((reply) => reply.body.command === commandId)) {
          cloud.off('message', check);
          resolve();
        }
      };
      cloud.on('message', check);
      check();
    });
  cloud.on('message', (topic, payload) => replies.push({ topic, body: decodePayloadToJson(payload) as Record<string, unknown> }));

  const stop = new AbortController();
  const subscribed = new Promise<void>((resolve) => testBroker.aedes.on('subscribe', (subscriptions, client) => {
    if (client.id === 'dev-00001' && subscriptions.some((subscription) => subscription.topic === 'commands/dev-00001')) resolve();
  }));
  // Device 1 sleeps (disconnected) for 300 ms at a time, soon after it starts.
  const fleet = runFleet({
    broker: testBroker.url, devices: 1, ratePerSecond: 50, format: 'cbor', seed: 3, signal: stop.signal, reconnectPeriodMs: 20,
    silence: { meanIntervalMs: 150, durationMs: 300, disconnect: true },
  });
  await subscribed;
  await cloud.publishAsync('commands/dev-00001', JSON.stringify({ id: 'c1', action: 'blink' }), { qos: 1 });
  await replyArrived('c1');

  // Wait for the device to go to sleep, then send a command; the persistent session keeps it.
  const [client] = await once(testBroker.aedes, 'clientDisconnect') as [{ id: string }];
  assert.is(client.id, 'dev-00001');
  await cloud.publishAsync('commands/dev-00001', JSON.stringify({ id: 'c2' }), { qos: 1 });
  await replyArrived('c2');
  stop.abort();
  const report = await fleet;

  const reply = replies.find((candidate) => candidate.body.command === 'c2')!;
  assert.is(reply.topic, 'replies/dev-00001');
  assert.is(reply.body.device, 'dev-00001');
  assert.is(reply.body.status, 'ok');
  const device = report.perDevice['dev-00001']!;
  assert.ok(device.commandsAnswered >= 2);
  assert.ok(device.silences >= 1);
  assertNothingLost(report, testBroker);
});

test('bursts and clock skew show in what the devices send', async () => {
  const testBroker = await broker();
  const skewMs = 3_600_000;
  const report = await runFleet({ broker: testBroker.url, devices: 4, ratePerSecond: 200, count: 30, format: 'json', seed: 4, clockSkewMaxMs: skewMs, burst: { probability: 0.3, size: 4 } });
  assert.is(report.totals.acknowledged, 120);
  assert.ok(report.totals.bursts > 0);
  const received = arrivals(testBroker);
  const nowMs = Date.now();
  for (const [deviceId, device] of Object.entries(report.perDevice)) {
    assert.ok(Math.abs(device.clockSkewMs) <= skewMs);
    for (const reading of received.get(deviceId)!) {
      // The reading's time is the device's clock: off from ours by the device's skew.
      assert.ok(Math.abs(reading.timeMs - device.clockSkewMs - nowMs) < 60_000, `${deviceId} time ${reading.timeMs}`);
    }
  }
  const skews = new Set(Object.values(report.perDevice).map((device) => device.clockSkewMs));
  assert.ok(skews.size > 1, 'devices disagree about the time');
});

test('a duration stops the fleet, and QoS 0 counts what was written', async () => {
  const testBroker = await broker();
  const progress: number[] = [];
  const report = await runFleet({ broker: testBroker.url, devices: 2, ratePerSecond: 100, durationMs: 300, qos: 0, seed: 5, progressIntervalMs: 50, onProgress: (line) => progress.push(line.published) });
  assert.ok(report.totals.published > 0);
  assert.is(report.totals.acknowledged, report.totals.published);
  assert.ok(progress.length >= 2, 'progress was reported along the way');
  assert.is(progress[progress.length - 1], report.totals.published);
  assert.is(testBroker.received.filter((packet) => packet.topic.startsWith('sensors/')).length, report.totals.published);
});

test('a stop while the fleet is still coming up ends the run', async () => {
  const testBroker = await broker();
  const stop = new AbortController();
  let connected = 0;
  testBroker.aedes.on('client', () => {
    connected += 1;
    if (connected === 3) stop.abort();
  });
  // One CONNECT at a time, so the stop falls in the middle of bringing the fleet up.
  const report = await runFleet({ broker: testBroker.url, devices: 20, ratePerSecond: 10, connectsInFlight: 1, seed: 6, signal: stop.signal });
  assert.is(Object.keys(report.perDevice).length, 20);
  const started = Object.values(report.perDevice).filter((device) => device.connects > 0).length;
  assert.ok(started >= 3 && started < 20, `${started} devices connected`);
  assert.is(report.totals.unconfirmed, 0);

  const before = new AbortController();
  before.abort();
  const nothing = await runFleet({ broker: testBroker.url, devices: 5, ratePerSecond: 10, signal: before.signal });
  assert.is(nothing.totals.published, 0);
});

test('bad options name the option and the reason', async () => {
  const cases: [Parameters<typeof runFleet>[0], RegExp][] = [
    [{ broker: 'http://x', devices: 1, ratePerSecond: 1 }, /--broker: "http:\/\/x" must start with mqtt:\/\//],
    [{ broker: 'mqtt://127.0.0.1:1', devices: 0, ratePerSecond: 1 }, /--devices: 0 must be an integer/],
    [{ broker: 'mqtt://127.0.0.1:1', devices: 1, ratePerSecond: 1, metrics: ['smell'] }, /--metrics: "smell" is not a known metric/],
    [{ broker: 'mqtt://127.0.0.1:1', devices: 1, ratePerSecond: 1, idPrefix: 'a/b' }, /--id-prefix/],
    [{ broker: 'mqtt://127.0.0.1:1', devices: 1, ratePerSecond: 1, qos: 3 as 1 }, /--qos/],
  ];
  for (const [options, pattern] of cases) {
    let message = 'no error';
    try {
      await runFleet(options);
    } catch (error) {
      message = (error as Error).message;
    }
    assert.match(message, pattern);
  }
});

test.run();

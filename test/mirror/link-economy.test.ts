// Link economy with real processes: outside the sync windows only "anytime" topics cross
// the link; and the bandwidth cap holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Producer } from '@platformatic/kafka';
import { Daemon, metricValue } from '../helpers/daemon.ts';
import { freePort, kafkaClient, waitFor } from './cluster.ts';

async function produce(port: number, topic: string, values: Buffer[], perSend = 50): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [`127.0.0.1:${port}`], acks: -1 });
  try {
    for (let index = 0; index < values.length; index += perSend) {
      await producer.send({ messages: values.slice(index, index + perSend).map((value) => ({ topic, partition: 0, value })) });
    }
  } finally {
    await producer.close();
  }
}

async function startCentral(): Promise<{ central: Daemon; port: number }> {
  const port = await freePort();
  return { central: await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port } } } }), port };
}

test('outside the sync windows alarms still go and sensor readings wait', async () => {
  const { central, port } = await startCentral();
  // A window two hours from now: closed while the test runs.
  const closedWindow = { cron: `0 ${(new Date().getHours() + 2) % 24} * * *`, durationMinutes: 1 };
  const edge = await Daemon.start({
    config: {
      node: { id: 'edge-w' },
      topics: { overrides: { sensors: { partitions: 1 }, alarms: { partitions: 1 } } },
      mirror: {
        target: { bootstrap: [`127.0.0.1:${port}`] },
        topics: { include: ['sensors', 'alarms'], priorities: [{ match: 'alarms', priority: 9, anytime: true }] },
        link: { syncWindows: [closedWindow] },
      },
    },
  });
  const reader = kafkaClient(`127.0.0.1:${port}`);
  try {
    await produce(edge.ports.kafka!, 'sensors', Array.from({ length: 100 }, (_, index) => Buffer.from(`reading-${index}`)));
    await produce(edge.ports.kafka!, 'alarms', Array.from({ length: 10 }, (_, index) => Buffer.from(`alarm-${index}`)));
    await waitFor('the alarms on the central', async () => ((await reader.offsets('edge-w.alarms', 0)).highWatermark === 10n ? true : undefined));
    assert.is((await reader.offsets('edge-w.sensors', 0)).highWatermark, 0n, 'readings produced before the alarms are still at the edge');
    const report = await (await fetch(`http://127.0.0.1:${edge.ports.http}/api/mirror`)).json() as { state: string; backlogRecords: number };
    assert.is(report.state, 'closed-window');
    assert.is(report.backlogRecords, 100);
    assert.is(metricValue(await edge.metrics(), 'tributary_mirror_link_state', { state: 'closed-window' }), 1);
  } finally {
    await reader.close();
    await edge.cleanup();
    await central.cleanup();
  }
});

test('the bandwidth cap holds: bytes sent never exceed the cap times the time taken, plus a burst and the batches in flight', async () => {
  const { central, port } = await startCentral();
  const capBytesPerSecond = 60_000;
  const batchBytesMax = 16 * 1024;
  const edge = await Daemon.start({
    config: {
      node: { id: 'edge-c' },
      topics: { overrides: { sensors: { partitions: 1 } } },
      mirror: { target: { bootstrap: [`127.0.0.1:${port}`] }, topics: { include: ['sensors'] }, link: { bandwidthBytesPerSecond: capBytesPerSecond, batchBytesMax }, heartbeat: { intervalMs: 0 } },
    },
  });
  const reader = kafkaClient(`127.0.0.1:${port}`);
  try {
    // Random values: compression cannot shrink them below the cap's reach. Sent ten to a
    // batch, so that every batch the mirror sends is below batchBytesMax.
    const values = Array.from({ length: 200 }, () => randomBytes(1000));
    await waitFor('the target topic', async () => ((await reader.offsets('edge-c.sensors', 0)).highWatermark === 0n ? true : undefined));
    const startedMs = performance.now();
    await produce(edge.ports.kafka!, 'sensors', values, 10);
    await waitFor('every record on the central', async () => ((await reader.offsets('edge-c.sensors', 0)).highWatermark === 200n ? true : undefined));
    const elapsedSeconds = (performance.now() - startedMs) / 1000;
    const sent = metricValue(await edge.metrics(), 'tributary_mirror_bytes_sent_total')!;
    assert.ok(sent >= 200_000, `${sent} bytes sent for 200 kB of random values`);
    const allowed = capBytesPerSecond * elapsedSeconds + capBytesPerSecond * 0.1 + 2 * batchBytesMax;
    assert.ok(sent <= allowed, `${sent} bytes in ${elapsedSeconds.toFixed(2)} s is above the cap of ${capBytesPerSecond} B/s (allowed ${Math.round(allowed)})`);
  } finally {
    await reader.close();
    await edge.cleanup();
    await central.cleanup();
  }
});

test.run();

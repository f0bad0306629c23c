// Exactly once across crashes: readings are produced while the daemon is killed with
// SIGKILL at random moments (each restart recovers and carries on), then every input kept
// in the log must be reflected exactly once in the outputs: the windows the daemon wrote
// equal the windows computed independently from the input log, none missing, none twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { Daemon } from '../../helpers/daemon.ts';
import { expectedTumblingWindows, pipelineStatus, produceReadings, readTopic, waitForCommitted, type Reading } from './support.ts';

const WINDOW_MS = 1000;
const GRACE_MS = 200;
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
/** Rounds of produce-and-kill; each kill lands at a random moment while readings flow. */
const ROUNDS = 6;
const BATCHES_PER_ROUND = 40;
const READINGS_PER_BATCH = 30;
/** Event time between readings: 20 ms, so a 1 s window holds about 50 readings over all keys. */
const STEP_MS = 20;
const T0 = 1_700_000_000_000;

const PIPELINE = {
  name: 'summaries',
  from: 'sensors',
  to: 'summaries',
  // Commits often, so that kills land inside them as well as between them.
  commitIntervalMs: 10,
  steps: [
    { filter: 'temp < 90' },
    { window: { size: WINDOW_MS, grace: GRACE_MS, aggregate: { n: 'count()', sum: 'sum(temp)', max: 'max(temp)' } } },
  ],
};

let daemon: Daemon | undefined;

test.after(async () => {
  await daemon?.cleanup();
});

test('SIGKILL at random moments under load: each input is reflected exactly once in the windows written', async () => {
  const config = { topics: { overrides: { sensors: { partitions: 2 } } }, pipelines: [PIPELINE] };
  let running = await Daemon.start({ config });
  daemon = running;
  let sequence = 0;
  const nextBatch = (): Reading[] => Array.from({ length: READINGS_PER_BATCH }, () => {
    const index = sequence++;
    // Mostly in order, with some readings a little out of order (some of them late).
    const jitter = index % 11 === 0 ? -150 - (index % 300) : 0;
    return { key: KEYS[index % KEYS.length]!, value: { temp: index % 97 }, timestamp: T0 + index * STEP_MS + jitter };
  });
  for (let round = 0; round < ROUNDS; round++) {
    const killAfterMs = 100 + Math.floor(Math.random() * 1500);
    const current: Daemon = running;
    const killed = delay(killAfterMs).then(() => current.kill());
    for (let batch = 0; batch < BATCHES_PER_ROUND; batch++) {
      // A batch sent as the daemon dies may or may not be in the log; the log decides what counts.
      const sent = await produceReadings(current.ports.kafka!, 'sensors', nextBatch()).then(() => true, () => false);
      if (!sent) break;
    }
    await killed;
    running = await current.restart({ config });
    daemon = running;
  }
  // A reading far ahead in event time closes every window on both partitions.
  await produceReadings(running.ports.kafka!, 'sensors', [0, 1, 2, 3, 4, 5].map((index) => ({ key: KEYS[index]!, value: { temp: 0 }, timestamp: T0 + 10_000_000 })));
  const statuses = await pipelineStatus(running);
  const highWatermarks = statuses[0]!.partitions.map((partition) => BigInt(partition.highWatermark));
  await waitForCommitted(running, 'summaries', highWatermarks);
  await running.stop();

  const inputs = await readTopic(running, 'sensors');
  const outputs = await readTopic(running, 'summaries');
  const expected = expectedTumblingWindows(inputs, WINDOW_MS, GRACE_MS, (value) => value.temp < 90);
  const written = outputs.map((record) => {
    const value = record.value as { windowStart: number; windowEnd: number; n: number; sum: number; max: number };
    return { key: record.key, windowStart: value.windowStart, windowEnd: value.windowEnd, n: value.n, sum: value.sum, max: value.max };
  });
  const order = (a: { key: string; windowStart: number }, b: { key: string; windowStart: number }) => a.windowStart - b.windowStart || a.key.localeCompare(b.key);
  assert.ok(inputs.length > ROUNDS * READINGS_PER_BATCH, `inputs: ${inputs.length}`);
  assert.ok(expected.length > 50, `expected windows: ${expected.length}`);
  const identities = written.map((window) => `${window.key}@${window.windowStart}`);
  assert.is(new Set(identities).size, identities.length, 'no window is written twice');
  assert.equal(written.sort(order), expected.sort(order));
  // Per input partition the sequence numbers of the outputs run 0, 1, 2… with no gap and no repeat.
  for (const partition of ['0', '1']) {
    const sequences = outputs.filter((record) => record.headers['tributary.pipeline.partition'] === partition).map((record) => Number(record.headers['tributary.pipeline.sequence']));
    assert.equal(sequences, sequences.map((_value, index) => index), `sequences of partition ${partition}`);
  }
});

test.run();

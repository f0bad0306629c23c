import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLES_MAX, ThroughputHistory } from '../../../../edge/http/console/throughput-history.ts';
import type { ConsoleProviders, TopicSnapshot } from '../../../../edge/http/console/providers.ts';

function providers(state: { topics: TopicSnapshot[]; mirror?: { deliveredRecordsTotal: number; backlogRecords: number } }): ConsoleProviders {
  return {
    topics: { topics: () => state.topics, latestRecords: async () => [] },
    mirror: { report: () => state.mirror },
  };
}

function topic(name: string, endOffsets: number[], sizeBytes: number): TopicSnapshot {
  return { name, config: {}, partitions: endOffsets.map((end, partition) => ({ partition, logStartOffset: 0n, logEndOffset: BigInt(end), sizeBytes: sizeBytes / endOffsets.length })) };
}

test('a topic\'s rate is the change between the last two samples over the time between them', () => {
  const state = { topics: [topic('a', [10, 10], 2000)] };
  const history = new ThroughputHistory(providers(state));
  assert.equal(history.rateOf('a'), { recordsPerSecond: 0, bytesPerSecond: 0 }, 'no rate from one sample');
  history.sample(1_000);
  state.topics = [topic('a', [30, 20], 5000)];
  history.sample(3_000);
  assert.equal(history.rateOf('a'), { recordsPerSecond: 15, bytesPerSecond: 1500 });
  assert.equal(history.rateOf('unknown'), { recordsPerSecond: 0, bytesPerSecond: 0 });
});

test('retention shrinking the log never shows as a negative rate', () => {
  const state = { topics: [topic('a', [10], 9000)] };
  const history = new ThroughputHistory(providers(state));
  history.sample(0);
  state.topics = [topic('a', [10], 1000)];
  history.sample(1000);
  assert.is(history.rateOf('a').bytesPerSecond, 0);
});

test('samples carry the totals and the mirror\'s counters (null without a mirror), and are bounded', () => {
  const state: { topics: TopicSnapshot[]; mirror?: { deliveredRecordsTotal: number; backlogRecords: number } } = { topics: [topic('a', [4], 100), topic('b', [6], 50)] };
  const history = new ThroughputHistory(providers(state));
  history.sample(1);
  state.mirror = { deliveredRecordsTotal: 7, backlogRecords: 3 };
  history.sample(2);
  assert.equal(history.samples(), [
    { atMs: 1, recordsTotal: 10, bytesTotal: 150, mirrorDeliveredTotal: null, mirrorBacklogRecords: null },
    { atMs: 2, recordsTotal: 10, bytesTotal: 150, mirrorDeliveredTotal: 7, mirrorBacklogRecords: 3 },
  ]);
  for (let index = 0; index < SAMPLES_MAX + 10; index += 1) history.sample(10 + index);
  assert.is(history.samples().length, SAMPLES_MAX);
  assert.is(history.samples()[0]!.atMs, 20, 'the oldest samples are dropped first');
});

test.run();

// The benchmark reads Kafka's performance tools by their printed summaries; these are their
// lines as Kafka 4.4's tools print them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConsumerPerformance, parseProducerPerformance } from '../../../bench/kafka/java-perf-tools.ts';

test('ProducerPerformance: the steady-state line wins over the whole run when warm-up records were asked for', () => {
  const figures = parseProducerPerformance([
    'Warmup first 100000 records. Steady state results will print after the complete test summary.',
    '300000 records sent, 143953.934741 records/sec (13.73 MB/sec), 210.69 ms avg latency, 508.00 ms max latency, 257 ms 50th, 288 ms 95th, 297 ms 99th, 300 ms 99.9th.',
    '200000 steady state records sent, 215982.721382 records/sec (20.60 MB/sec), 263.43 ms avg latency, 300.00 ms max latency, 268 ms 50th, 290 ms 95th, 297 ms 99th, 300 ms 99.9th.',
    '',
  ].join('\n'));
  assert.equal(figures, { records: 200_000, recordsPerSecond: 215982.721382, averageMs: 263.43, maxMs: 300, p50Ms: 268, p95Ms: 290, p99Ms: 297, p999Ms: 300 });
});

test('ProducerPerformance: without warm-up, the summary after the progress lines', () => {
  const figures = parseProducerPerformance([
    '24977 records sent, 4992.4 records/sec (0.48 MB/sec), 7.9 ms avg latency, 396.0 ms max latency.',
    '30000 records sent, 4985.044865 records/sec (0.48 MB/sec), 7.57 ms avg latency, 396.00 ms max latency, 6 ms 50th, 12 ms 95th, 44 ms 99th, 62 ms 99.9th.',
  ].join('\n'));
  assert.is(figures.records, 30_000);
  assert.is(figures.p999Ms, 62);
});

test('ProducerPerformance: output with no summary is an error that shows it', () => {
  assert.throws(() => parseProducerPerformance('24977 records sent, 4992.4 records/sec (0.48 MB/sec), 7.9 ms avg latency, 396.0 ms max latency.\n'), /no ProducerPerformance summary/);
});

test('ConsumerPerformance: the figures line below its header', () => {
  const figures = parseConsumerPerformance([
    'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
    '2026-12-06 12:44:55:899, 2026-12-06 12:44:59:445, 95.3674, 26.8944, 1000000, 282007.8962, 1024, 2522, 37.8142, 396510.7058',
  ].join('\n'));
  assert.equal(figures, { records: 1_000_000, overallRecordsPerSecond: 282007.8962, rebalanceMs: 1024, fetchRecordsPerSecond: 396510.7058 });
});

test('ConsumerPerformance: output with no figures is an error', () => {
  assert.throws(() => parseConsumerPerformance('start.time, end.time\n'), /no ConsumerPerformance figures/);
});

test.run();

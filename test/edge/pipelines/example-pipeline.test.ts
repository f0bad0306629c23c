// The example pipeline of the README, as a user runs it: the daemon started with that YAML,
// JSON readings produced to `sensors` over the Kafka protocol, per-minute summaries read
// from `sensors-1m`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon, DaemonStartError, metricValue } from '../../helpers/daemon.ts';
import { pipelineStatus, produceReadings, readTopic, waitForCommitted, type Reading } from './support.ts';

const EXAMPLE = [{
  name: 'greenhouse-1m',
  from: 'sensors',
  decode: 'json',
  steps: [
    { filter: 'temp >= -40 and temp <= 85' },
    { window: { size: '60s', grace: '5s', aggregate: { avg: 'avg(temp)', max: 'max(temp)', n: 'count()' } } },
  ],
  to: 'sensors-1m',
}];

const MINUTE = 60_000;
const T0 = 1_700_000_040_000;
let daemon: Daemon | undefined;

test.after.each(async () => {
  await daemon?.cleanup();
  daemon = undefined;
});

test('the example YAML: one summary per key and minute, at the window end, out-of-range readings filtered, late ones counted', async () => {
  daemon = await Daemon.start({ config: { pipelines: EXAMPLE } });
  const readings: Reading[] = [];
  for (let second = 0; second < 130; second++) {
    readings.push({ key: 'greenhouse-a', value: { temp: 20 + (second % 10) }, timestamp: T0 + second * 1000 });
    readings.push({ key: 'greenhouse-b', value: { temp: second % 7 === 0 ? 120 : 10 }, timestamp: T0 + second * 1000 });
  }
  // Arrives after the first window closed (event time 125 s > 60 s + 5 s grace).
  readings.push({ key: 'greenhouse-a', value: { temp: 0 }, timestamp: T0 + 30_000 });
  await produceReadings(daemon.ports.kafka!, 'sensors', readings);
  await waitForCommitted(daemon, 'greenhouse-1m', [BigInt(readings.length)]);
  const metrics = await daemon.metrics();
  assert.is(metricValue(metrics, 'tributary_pipeline_records_in_total', { pipeline: 'greenhouse-1m' }), readings.length);
  assert.is(metricValue(metrics, 'tributary_pipeline_records_filtered_total', { pipeline: 'greenhouse-1m' }), 19);
  assert.is(metricValue(metrics, 'tributary_pipeline_records_late_total', { pipeline: 'greenhouse-1m' }), 1);
  assert.is(metricValue(metrics, 'tributary_pipeline_records_out_total', { pipeline: 'greenhouse-1m' }), 4);
  assert.is(metricValue(metrics, 'tributary_pipeline_lag_records', { pipeline: 'greenhouse-1m', partition: '0' }), 0);
  const [status] = await pipelineStatus(daemon);
  assert.is(status!.partitions[0]!.state, 'running');
  await daemon.stop();

  const outputs = await readTopic(daemon, 'sensors-1m');
  assert.equal(outputs.map((record) => [record.key, record.value, record.timestamp]), [
    ['greenhouse-a', { windowStart: T0, windowEnd: T0 + MINUTE, avg: 24.5, max: 29, n: 60 }, T0 + MINUTE],
    ['greenhouse-b', { windowStart: T0, windowEnd: T0 + MINUTE, avg: 10, max: 10, n: 51 }, T0 + MINUTE],
    ['greenhouse-a', { windowStart: T0 + MINUTE, windowEnd: T0 + 2 * MINUTE, avg: 24.5, max: 29, n: 60 }, T0 + 2 * MINUTE],
    ['greenhouse-b', { windowStart: T0 + MINUTE, windowEnd: T0 + 2 * MINUTE, avg: 10, max: 10, n: 51 }, T0 + 2 * MINUTE],
  ]);
  assert.equal(outputs.map((record) => record.headers['tributary.pipeline.sequence']), ['0', '1', '2', '3']);
  assert.ok(outputs.every((record) => record.headers['tributary.pipeline'] === 'greenhouse-1m' && record.headers['tributary.pipeline.partition'] === '0'));
});

test('an expression that does not parse is refused at start with its pipeline, step and column', async () => {
  const broken = [{ ...EXAMPLE[0], steps: [{ filter: 'temp >= -40 and temp <=' }] }];
  const error = await Daemon.start({ config: { pipelines: broken } }).then(() => undefined, (failure: unknown) => failure);
  assert.instance(error, DaemonStartError);
  assert.is((error as DaemonStartError).exitCode, 1);
  assert.match((error as DaemonStartError).stderr, /pipelines\[0\] \(greenhouse-1m\), step 1 \(filter\): .*at column \d+/);
});

test('a bad step key is refused by the schema with its file line', async () => {
  const broken = [{ ...EXAMPLE[0], steps: [{ filtr: 'temp > 1' }] }];
  const error = await Daemon.start({ config: { pipelines: broken } }).then(() => undefined, (failure: unknown) => failure);
  assert.instance(error, DaemonStartError);
  assert.match((error as DaemonStartError).stderr, /\.yaml:\d+: pipelines\.0\.steps\.0: must be a mapping of filter or/);
});

test('undecodable values and failing expressions are counted and skipped; the rest keeps flowing', async () => {
  daemon = await Daemon.start({ config: { pipelines: [{ name: 'alerts', from: 'sensors', to: 'alerts', steps: [{ filter: 'temp > 80' }, { map: { device: '$key', temp: 'temp', level: "temp > 100 ? 'critical' : 'high'" } }] }] } });
  const producer = (await import('../kafka/clients/support/kafkajs.ts')).kafkajsClient(daemon.ports.kafka!, 'bad-input').producer();
  await producer.connect();
  await producer.send({ topic: 'sensors', acks: -1, messages: [
    { key: 'd1', value: '{"temp": 90}' },
    { key: 'd2', value: 'not json' },
    { key: 'd3', value: '{"temp": 101}' },
    { key: 'd4', value: '{"temp": 20}' },
  ] });
  await producer.disconnect();
  await waitForCommitted(daemon, 'alerts', [4n]);
  const metrics = await daemon.metrics();
  assert.is(metricValue(metrics, 'tributary_pipeline_errors_total', { pipeline: 'alerts', kind: 'decode' }), 1);
  assert.is(metricValue(metrics, 'tributary_pipeline_records_out_total', { pipeline: 'alerts' }), 2);
  await daemon.logLine((line) => line.event === 'pipeline-expression' && String(line.msg).includes('not json'), 'the undecodable value logged');
  await daemon.stop();
  const outputs = await readTopic(daemon, 'alerts');
  assert.equal(outputs.map((record) => record.value), [{ device: 'd1', temp: 90, level: 'high' }, { device: 'd3', temp: 101, level: 'critical' }]);
});

test.run();

import { test } from 'uvu';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { produceReadings, readTopic, waitForCommitted } from '../pipelines/support.ts';
import { runCli } from './run-cli.ts';

const PIPELINES = [
  { name: 'hot', from: 'sensors', to: 'hot', steps: [{ filter: 'temp > 30' }, { throttle: { interval: '30s' } }] },
  { name: 'per-minute', from: 'sensors', to: 'sensors-1m', steps: [{ window: { size: '1m', aggregate: { n: 'count()' } } }] },
];
const T0 = 1_700_000_040_000;
let daemon: Daemon | undefined;

test.after(async () => {
  await daemon?.cleanup();
});

test('tributary pipelines list, status and reset against a running edge', async () => {
  daemon = await Daemon.start({ config: { pipelines: PIPELINES } });
  const admin = ['--admin', `http://127.0.0.1:${daemon.ports.http}`];
  await produceReadings(daemon.ports.kafka!, 'sensors', [0, 1, 2, 3].map((index) => ({ key: 'd1', value: { temp: 40 + index }, timestamp: T0 + index * 20_000 })));
  await waitForCommitted(daemon, 'hot', [4n]);
  await waitForCommitted(daemon, 'per-minute', [4n]);

  const list = await runCli(['pipelines', 'list', ...admin]);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME\s+FROM\s+TO\s+STEPS\s+PARTITIONS\s+LAG$/m);
  assert.match(list.stdout, /^hot\s+sensors\s+hot\s+filter → throttle\s+1\s+0$/m);
  assert.match(list.stdout, /^per-minute\s+sensors\s+sensors-1m\s+window\s+1\s+0$/m);

  const status = await runCli(['pipelines', 'status', 'per-minute', ...admin, '--json']);
  assert.is(status.code, 0, status.stderr);
  const [partition] = (JSON.parse(status.stdout) as { pipelines: { partitions: { committedPosition: string; openWindows: number; sequence: string }[] }[] }).pipelines[0]!.partitions;
  assert.equal([partition!.committedPosition, partition!.openWindows, partition!.sequence], ['4', 1, '1']);

  const unknown = await runCli(['pipelines', 'reset', 'nope', ...admin]);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /no pipeline is named nope; configured: hot, per-minute/);

  const reset = await runCli(['pipelines', 'reset', 'hot', '--from', 'earliest', ...admin]);
  assert.is(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /pipeline hot reset/);
  await waitForCommitted(daemon, 'hot', [4n]);
  await daemon.stop();
  // The reset pipeline read the input again: its two outputs (40 at 0 s, 42 at 40 s) are written a second time.
  const outputs = await readTopic(daemon, 'hot');
  assert.equal(outputs.map((record) => (record.value as { temp: number }).temp), [40, 42, 40, 42]);
  assert.equal(outputs.map((record) => record.headers['tributary.pipeline.sequence']), ['0', '1', '0', '1']);
});

test('tributary pipelines against an edge that is not there says so', async () => {
  // A port that was free a moment ago: nothing listens there.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  const result = await runCli(['pipelines', 'list', '--admin', `http://127.0.0.1:${port}`]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /cannot reach the edge's admin API at http:\/\/127\.0\.0\.1:\d+: connection refused/);
});

test.run();

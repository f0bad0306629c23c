// The fleet view against a real central: heartbeats of several edges in, one row per edge
// out, as JSON and as a page; and `tributary fleet` following a running edge's mirror.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Admin, Producer } from '@platformatic/kafka';
import { silentLogger } from '../../shared/logger.ts';
import { FleetView, type EdgeSummary } from '../../cloud/fleet.ts';
import { DEFAULT_THRESHOLDS } from '../../cloud/fleet-alerts.ts';
import { metricValue } from '../helpers/daemon.ts';
import { encodeHeartbeat, type Heartbeat } from '../../shared/heartbeat.ts';
import { Daemon } from '../helpers/daemon.ts';
import { freePort, waitFor } from '../mirror/cluster.ts';
import { startFleet, type FleetProcess } from './fleet-process.ts';

const CLI = resolve(import.meta.dirname, '../../bin/tributary.js');
const NOW = 1_800_000_000_000;

function heartbeat(edge: string, changes: Partial<Heartbeat> = {}): Heartbeat {
  return {
    edge, sentAtMs: NOW - 1000, startedAtMs: NOW - 3_600_000, linkState: 'up', lagRecords: 0, lagBytes: 0, lagSeconds: 0, bytesSent: 5_000_000,
    recordsDelivered: 100_000, throughputBytesPerSecond: 2000, errors: 0, lastError: null, lastErrorAtMs: 0, evictedUndeliveredRecords: 0, partitions: 3, ...changes,
  };
}

test('one row per edge from its newest heartbeat, with health, as JSON and as a page; other records are skipped', async () => {
  const port = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port } } } });
  let view: FleetView | undefined;
  try {
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [`127.0.0.1:${port}`] });
    await admin.createTopics({ topics: ['tributary.heartbeats'], partitions: 2, replicas: 1 });
    await admin.close();
    const producer = new Producer({ clientId: 'test', bootstrapBrokers: [`127.0.0.1:${port}`], acks: -1 });
    const send = (partition: number, value: Buffer, key = 'x') => producer.send({ messages: [{ topic: 'tributary.heartbeats', partition, key: Buffer.from(key), value }] });
    await send(0, encodeHeartbeat(heartbeat('pump-1', { sentAtMs: NOW - 60_000, lagRecords: 99 })));
    await send(0, encodeHeartbeat(heartbeat('pump-1')));
    await send(1, encodeHeartbeat(heartbeat('pump-2', { linkState: 'down', lagRecords: 5000, lagBytes: 600_000, lagSeconds: 700, errors: 4, lastError: 'connect ECONNREFUSED <script>', lastErrorAtMs: NOW - 5000 })));
    await send(1, encodeHeartbeat(heartbeat('pump-3', { sentAtMs: NOW - 600_000, evictedUndeliveredRecords: 12 })));
    await send(1, Buffer.from('not a heartbeat'));
    await producer.close();

    view = await FleetView.start({ bootstrap: [`127.0.0.1:${port}`], topic: 'tributary.heartbeats', host: '127.0.0.1', port: 0, silentAfterMs: 90_000, laggingAfterSeconds: 300, thresholds: DEFAULT_THRESHOLDS, logger: silentLogger(), now: () => NOW });
    const edges = await waitFor('three edges', async () => {
      const body = await (await fetch(`http://127.0.0.1:${view!.port}/api/edges`)).json() as { edges: EdgeSummary[] };
      return body.edges.length === 3 ? body.edges : undefined;
    });
    assert.equal(edges.map((edge) => [edge.edge, edge.health]), [['pump-1', 'ok'], ['pump-2', 'link-down'], ['pump-3', 'silent']]);
    assert.is(edges[0]!.lagRecords, 0, 'the newest heartbeat counts');
    assert.is(edges[0]!.heartbeatsSeen, 2);
    assert.is(view.invalidRecords, 1, 'the record that is no heartbeat is skipped and counted');
    const one = await fetch(`http://127.0.0.1:${view.port}/api/edges/pump-2`);
    assert.is(((await one.json()) as EdgeSummary).lagBytes, 600_000);
    assert.is((await fetch(`http://127.0.0.1:${view.port}/api/edges/nobody`)).status, 404);
    assert.equal(edges.map((edge) => [edge.edge, edge.alerts]), [['pump-1', []], ['pump-2', []], ['pump-3', ['stale', 'data-loss']]]);
    const detail = await (await fetch(`http://127.0.0.1:${view.port}/api/edges/pump-2`)).json() as { errorsSeen: { message: string; firstSeenMs: number; lastSeenMs: number; count: number }[] };
    assert.equal(detail.errorsSeen, [{ message: 'connect ECONNREFUSED <script>', firstSeenMs: NOW - 5000, lastSeenMs: NOW - 5000, count: 4 }]);
    const alerts = await (await fetch(`http://127.0.0.1:${view.port}/api/alerts`)).json() as { edges: { edge: string; alerts: string[] }[]; thresholds: unknown };
    assert.equal(alerts.edges.map((edge) => edge.edge), ['pump-3']);
    assert.equal(alerts.thresholds, DEFAULT_THRESHOLDS);
    const metrics = await (await fetch(`http://127.0.0.1:${view.port}/metrics`)).text();
    assert.is(metricValue(metrics, 'tributary_fleet_edges'), 3);
    assert.is(metricValue(metrics, 'tributary_fleet_edge_backlog_records', { edge: 'pump-2' }), 5000);
    assert.is(metricValue(metrics, 'tributary_fleet_edge_alert', { edge: 'pump-3', alert: 'data-loss' }), 1);
    assert.is(metricValue(metrics, 'tributary_fleet_edge_alert', { edge: 'pump-1', alert: 'stale' }), 0);
    assert.is(metricValue(metrics, 'tributary_fleet_alert_threshold_seconds', { alert: 'stale' }), 90);
    const page = await (await fetch(`http://127.0.0.1:${view.port}/`)).text();
    assert.match(page, '<script type="module" src="/fleet/fleet.js"></script>');
    assert.is((await fetch(`http://127.0.0.1:${view.port}/fleet/..%2f..%2fpackage.json`)).status, 404, 'no file outside the page\'s folders');
  } finally {
    await view?.close();
    await central.cleanup();
  }
});

test('`tributary fleet` shows a running edge whose mirror sends heartbeats', async () => {
  const port = await freePort();
  const central = await Daemon.start({ subcommand: 'central', config: { node: { id: 'central' }, listeners: { kafka: { port } } } });
  const edge = await Daemon.start({ config: { node: { id: 'pump-9' }, mirror: { target: { bootstrap: [`127.0.0.1:${port}`] }, heartbeat: { intervalMs: 200 } } } });
  let fleet: FleetProcess | undefined;
  try {
    fleet = await startFleet(`127.0.0.1:${port}`);
    const row = await waitFor('pump-9 in the fleet', () => fleet!.edge('pump-9'));
    assert.is(row.linkState, 'up');
    assert.is(row.health, 'ok');
  } finally {
    await fleet?.stop();
    await edge.cleanup();
    await central.cleanup();
  }
});

test('bad options are refused with a message that says which', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolveRun) => {
    const child = spawn(process.execPath, [CLI, 'fleet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => resolveRun({ code, stderr }));
  });
  const missing = await run([]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /--bootstrap is required/);
  assert.match((await run(['--bootstrap', 'nohost'])).stderr, /--bootstrap: "nohost" is not HOST:PORT/);
});

test.run();

// `tributary mirror status` against a real edge daemon (no mirror configured), an address
// where nothing listens, and a stand-in admin server with a mirror report of the shape
// the edge's /api/mirror serves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Daemon } from '../../../helpers/daemon.ts';
import { lines, runCli } from '../run-cli.ts';

async function serve(routes: Record<string, { status: number; body: string }>): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const route = routes[request.url ?? ''] ?? { status: 404, body: '{"error":"no such path"}' };
    response.writeHead(route.status, { 'content-type': 'application/json' });
    response.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

test('an edge without a mirror says so', async () => {
  const daemon = await Daemon.start();
  try {
    const result = await runCli(['mirror', 'status', '--admin', `http://127.0.0.1:${daemon.ports.http}`]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /^no mirror is configured on this edge/);
  } finally {
    await daemon.cleanup();
  }
});

test('a running mirror\'s state, backlog and per-partition offsets are shown', async () => {
  const report = {
    configured: true, state: 'connected', target: 'central:9092', backlogRecords: 120, backlogBytes: 9600, backlogSeconds: 4.5,
    deliveredRecordsTotal: 5000, lostRecordsTotal: 0, errorsTotal: 2, lastError: 'connection reset',
    partitions: [{ topic: 'sensors', partition: 0, target: 'edge-1.sensors', deliveredOffset: '4880', logEndOffset: '5000', backlogRecords: 120 }],
  };
  const { server, url } = await serve({ '/api/mirror': { status: 200, body: JSON.stringify(report) } });
  try {
    const result = await runCli(['mirror', 'status', '--admin', url]);
    assert.is(result.code, 0, result.stderr);
    assert.equal(lines(result.stdout), [
      'state: connected',
      'target: central:9092',
      'backlog: 120 records, 9600 bytes, 4.5 s behind',
      'delivered: 5000 records since start',
      'errors: 2',
      'last error: connection reset',
      'TOPIC\tPARTITION\tDELIVERED\tLOG-END\tBACKLOG',
      'sensors\t0\t4880\t5000\t120',
    ]);
    const json = await runCli(['mirror', 'status', '--json', '--admin', url]);
    assert.equal(JSON.parse(json.stdout), report);
  } finally {
    await close(server);
  }
});

test('an edge without the mirror route: its mirror metrics are shown', async () => {
  const { server, url } = await serve({ '/metrics': { status: 200, body: '# HELP tributary_mirror_lag_records x\ntributary_mirror_lag_records 7\nprocess_cpu_seconds_total 1\n' } });
  try {
    const result = await runCli(['mirror', 'status', '--admin', url]);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout, 'tributary_mirror_lag_records 7\n');
  } finally {
    await close(server);
  }
});

test('an admin address where nothing listens is reported and exits 1', async () => {
  const { server, url } = await serve({});
  await close(server);
  const result = await runCli(['mirror', 'status', '--admin', url]);
  assert.is(result.code, 1);
  assert.is(result.stderr, `tributary: cannot reach the edge's admin API at ${url}: connection refused\n`);
});

test.run();

// The HTTP sink inside `tributary edge`, against a real HTTP receiver: the YAML of the
// README, the JSON body and idempotency key, retries through an outage of the receiver,
// refused batches, and a SIGKILL of the daemon with a request in flight (at least once:
// nothing lost, and the repeats carry coordinates the receiver has seen).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { HttpReceiver } from './support/http-receiver.ts';
import { connectorMetric, connectorStatus, eventually, produce } from './support/records.ts';

function webhook(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { connectors: [{ name: 'webhook', type: 'http-sink', from: 'alerts', url, retryBackoffMinMs: 50, retryBackoffMaxMs: 400, ...extra }] };
}

test('the README\'s YAML delivers a topic as JSON arrays of records with their coordinates and an idempotency key', async () => {
  const receiver = new HttpReceiver();
  await receiver.start(0);
  // Exactly the README's keys; only the URL's port is this test's.
  const daemon = await Daemon.start({ config: { connectors: [{ name: 'webhook', type: 'http-sink', from: 'alerts', url: receiver.url }] } });
  try {
    await produce(daemon, 'alerts', [
      { key: 'pump-7', value: '{"level":"high"}', headers: { source: 'plc' } },
      { key: null, value: Buffer.from([0xff, 0x00, 0xfe]) },
    ]);
    await receiver.until(() => receiver.accepted.size === 2, 'both records delivered');
    const records = receiver.requests.flatMap((request) => request.records);
    assert.equal(records.map(({ timestamp: _timestamp, ...rest }) => rest), [
      { topic: 'alerts', partition: 0, offset: 0, key: 'pump-7', value: '{"level":"high"}', headers: { source: 'plc' } },
      { topic: 'alerts', partition: 0, offset: 1, key: null, value: { base64: '/wD+' }, headers: {} },
    ]);
    assert.ok(records.every((record) => Math.abs(record.timestamp - Date.now()) < 600_000), 'timestamps are the records\' own, in milliseconds');
    const first = receiver.requests[0]!;
    assert.is(first.headers['content-type'], 'application/json');
    assert.is(first.headers['idempotency-key'], `"alerts/0/0-${first.records.length - 1}"`);
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'webhook'), (lag) => lag === 0, 'lag back to 0 once committed');
    assert.is(await connectorMetric(daemon, 'tributary_connector_records_total', 'webhook'), 2);
    assert.is(await connectorMetric(daemon, 'tributary_connector_state', 'webhook', { state: 'running' }), 1);
    const health = await (await fetch(`http://127.0.0.1:${daemon.ports.http}/health`)).json() as { connectors: unknown };
    assert.equal(health.connectors, { configured: 1, running: 1, retrying: [] });
  } finally {
    await daemon.cleanup();
    await receiver.stop();
  }
});

test('while the receiver is away or answers 503 the sink retries with backoff; when it is back every record arrives', async () => {
  const receiver = new HttpReceiver();
  await receiver.start(0);
  const port = receiver.port;
  await receiver.stop();
  const daemon = await Daemon.start({ config: webhook(`http://127.0.0.1:${port}/ingest`, { batchRecords: 20 }) });
  try {
    await produce(daemon, 'alerts', Array.from({ length: 50 }, (_, index) => ({ key: `k${index % 3}`, value: `alert ${index}` })));
    // Nobody listens: connections are refused, the connector says so.
    const refused = await eventually(() => connectorStatus(daemon, 'webhook'), (status) => status.state === 'retrying' && status.lastError?.kind === 'connect', 'the connector reports the refused connection');
    assert.match(refused.lastError!.message, /ECONNREFUSED/);
    // Back, but answering 503 Service Unavailable.
    receiver.status = 503;
    await receiver.start(port);
    await receiver.until(() => receiver.requests.length >= 2, 'two refused attempts');
    assert.is(receiver.accepted.size, 0);
    receiver.status = 200;
    await receiver.until(() => receiver.accepted.size === 50, 'every record delivered once the receiver accepts');
    assert.equal([...receiver.accepted.values()].map((record) => record.value), Array.from({ length: 50 }, (_, index) => `alert ${index}`));
    assert.ok((await connectorMetric(daemon, 'tributary_connector_errors_total', 'webhook', { kind: 'connect' }))! >= 1);
    assert.ok((await connectorMetric(daemon, 'tributary_connector_errors_total', 'webhook', { kind: 'deliver' }))! >= 2);
    assert.ok((await connectorMetric(daemon, 'tributary_connector_reconnects_total', 'webhook'))! >= 3);
    await eventually(() => connectorStatus(daemon, 'webhook'), (status) => status.state === 'running', 'running again');
  } finally {
    await daemon.cleanup();
    await receiver.stop();
  }
});

test('a batch the receiver refuses with 400 is retried by default, and skipped (counted) with onRejected: skip', async () => {
  const receiver = new HttpReceiver();
  await receiver.start(0);
  receiver.status = 400;
  const daemon = await Daemon.start({ config: { connectors: [
    { name: 'strict', type: 'http-sink', from: 'alerts', url: receiver.url, retryBackoffMinMs: 50, retryBackoffMaxMs: 200 },
    { name: 'lenient', type: 'http-sink', from: 'alerts', url: receiver.url, onRejected: 'skip', retryBackoffMinMs: 50, retryBackoffMaxMs: 200 },
  ] } });
  try {
    await produce(daemon, 'alerts', [{ value: 'not wanted' }]);
    await eventually(() => connectorMetric(daemon, 'tributary_connector_errors_total', 'lenient', { kind: 'rejected' }), (count) => count === 1, 'the lenient sink skips the batch');
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'lenient'), (lag) => lag === 0, 'the skipped batch is committed past');
    const strict = await eventually(() => connectorStatus(daemon, 'strict'), (status) => status.lastError?.kind === 'rejected', 'the strict sink keeps the batch');
    assert.match(strict.lastError!.message, /HTTP 400: refused with 400/);
    assert.is(await connectorMetric(daemon, 'tributary_connector_lag_records', 'strict'), 1);
    receiver.status = 200;
    await receiver.until(() => receiver.accepted.size === 1, 'the strict sink delivers once accepted');
    await eventually(() => connectorMetric(daemon, 'tributary_connector_lag_records', 'strict'), (lag) => lag === 0, 'then commits');
  } finally {
    await daemon.cleanup();
    await receiver.stop();
  }
});

test('SIGKILL with a request in flight: after the restart every record is delivered, the repeats are of the uncommitted batch only', async () => {
  const receiver = new HttpReceiver();
  await receiver.start(0);
  const config = webhook(receiver.url, { batchRecords: 10, lingerMs: 0 });
  let daemon = await Daemon.start({ config });
  try {
    const total = 300;
    const killed = new Promise<void>((resolve) => {
      receiver.beforeAnswer = async () => {
        // The fifth request is read by the receiver but never answered: the daemon dies first.
        if (receiver.requests.length !== 5) return;
        receiver.beforeAnswer = undefined;
        await daemon.kill();
        resolve();
      };
    });
    await produce(daemon, 'alerts', Array.from({ length: total }, (_, index) => ({ key: 'k', value: `alert ${index}` })));
    await killed;
    const takenBeforeCrash = receiver.accepted.size;
    assert.is(takenBeforeCrash, 50, 'five batches of ten reached the receiver');
    daemon = await daemon.restart({ config });
    await receiver.until(() => receiver.accepted.size === total, 'every record delivered after the restart');
    assert.equal([...receiver.accepted.keys()].sort(), Array.from({ length: total }, (_, index) => `alerts/0/${index}`).sort());
    // Only the batch whose answer was lost is sent again: the four before it were committed.
    assert.is(receiver.duplicates, 10);
    const repeated = receiver.requests.find((request, index) => index >= 5 && request.headers['idempotency-key'] === receiver.requests[4]!.headers['idempotency-key']);
    assert.ok(repeated, 'the repeated batch carries the same idempotency key');
  } finally {
    await daemon.cleanup();
    await receiver.stop();
  }
});

test.run();

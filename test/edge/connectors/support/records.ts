// Producing records into a test daemon and waiting for what its connectors did, shared by
// the connectors' tests.
import { kafkajsClient } from '../../kafka/clients/support/kafkajs.ts';
import { metricValue, type Daemon } from '../../../helpers/daemon.ts';

export interface ProducedRecord { key?: string | null; value: string | Buffer; headers?: Record<string, string> }

/** Appends records to `topic` with acks=all through the daemon's Kafka listener. */
export async function produce(daemon: Daemon, topic: string, records: ProducedRecord[]): Promise<void> {
  const producer = kafkajsClient(daemon.ports.kafka!, 'connector-test').producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((record) => ({ key: record.key ?? null, value: record.value, headers: record.headers })) });
  } finally {
    await producer.disconnect();
  }
}

/** A connector's sample of `name` in /metrics (labels connector and, optionally, more). */
export async function connectorMetric(daemon: Daemon, name: string, connector: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return metricValue(await daemon.metrics(), name, { connector, ...labels });
}

/** GET /api/connectors: every connector's state and last error. */
export async function connectorStatus(daemon: Daemon, connector: string): Promise<{ state: string; lastError: { kind: string; message: string } | null }> {
  const response = await fetch(`http://127.0.0.1:${daemon.ports.http}/api/connectors`);
  const body = await response.json() as { connectors: { name: string; state: string; lastError: { kind: string; message: string } | null }[] };
  const status = body.connectors.find((entry) => entry.name === connector);
  if (status === undefined) throw new Error(`no connector ${connector} in /api/connectors`);
  return status;
}

/** Polls `read` (a metric, a file) until `done` holds; the daemon offers no event for these. Fails naming `what`. */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item))})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

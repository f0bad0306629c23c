// Helpers for tests that run a central, edges and links as real processes: read back a
// whole target partition, wait for a condition on another process, produce to an edge.
import { decodeRecords, iterateBatchHeaders, type DecodedRecord } from '../../shared/kafka/record-batch.ts';
import { KafkaClient } from '../../shared/kafka/client/kafka-client.ts';
import type { Link } from '../../firmware-sim/link/link.ts';

/** How long a test waits for another process to reach a state before it fails. */
export const WAIT_TIMEOUT_MS = 120_000;
/** Between two looks at another process's state: there is no event to wait on across processes. */
const POLL_INTERVAL_MS = 50;

/** A client of a cluster; `bootstrap` is HOST:PORT, or several of them separated by commas. */
export function kafkaClient(bootstrap: string, clientId = 'test-reader'): KafkaClient {
  return new KafkaClient({ bootstrap: bootstrap.split(','), clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 });
}

/** Every record of a partition, from its start to its high watermark. */
export async function readPartition(client: KafkaClient, topic: string, partition: number): Promise<DecodedRecord[]> {
  const { logStartOffset, highWatermark } = await client.offsets(topic, partition);
  const records: DecodedRecord[] = [];
  let offset = logStartOffset;
  while (offset < highWatermark) {
    const fetched = await client.fetch(topic, partition, offset, 4 * 1024 * 1024, 0);
    if (fetched.errorCode !== 0) throw new Error(`fetch ${topic}/${partition} at ${offset}: Kafka error ${fetched.errorCode}`);
    let advanced = false;
    for (const header of iterateBatchHeaders(fetched.records)) {
      if (header.lastOffset < offset) continue;
      for (const record of decodeRecords(fetched.records, header.position)) if (record.offset >= offset) records.push(record);
      offset = header.lastOffset + 1n;
      advanced = true;
    }
    if (!advanced) throw new Error(`fetch ${topic}/${partition} at ${offset} returned nothing below the high watermark ${highWatermark}`);
  }
  return records;
}

export function header(record: DecodedRecord, key: string): string | undefined {
  let value: string | undefined;
  for (const entry of record.headers) if (entry.key === key && entry.value !== null) value = entry.value.toString('utf8');
  return value;
}

/** Polls `check` until it returns a value other than undefined, or fails after the timeout saying what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** A TCP port free right now on 127.0.0.1, for a process that must come back on the same port after a restart. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The mirror section for an edge whose mirror reaches the central through a link. */
export function mirrorThrough(centralPort: number, linkPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return mirrorThroughRoutes([{ brokerPort: centralPort, linkPort }], extra);
}

/** The mirror section for an edge whose mirror reaches every broker of a cluster through the routes of one link. */
export function mirrorThroughLink(link: Link, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return mirrorThroughRoutes(link.routes.map((route) => ({ brokerPort: route.target.port, linkPort: route.listen.port })), extra);
}

function mirrorThroughRoutes(routes: readonly { brokerPort: number; linkPort: number }[], extra: Record<string, unknown>): Record<string, unknown> {
  const { target, ...rest } = extra as { target?: Record<string, unknown> };
  return {
    target: {
      bootstrap: routes.map((route) => `127.0.0.1:${route.linkPort}`),
      addressMap: Object.fromEntries(routes.map((route) => [`127.0.0.1:${route.brokerPort}`, `127.0.0.1:${route.linkPort}`])),
      requestTimeoutMs: 5_000,
      connectTimeoutMs: 2_000,
      ...target,
    },
    link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 400 },
    heartbeat: { intervalMs: 500 },
    ...rest,
  };
}

/** Checks that a target partition holds exactly the source partition's records, once each, in order. Returns the count. */
export function assertExactCopy(source: DecodedRecord[], target: DecodedRecord[], where: string): number {
  if (target.length !== source.length) throw new Error(`${where}: the central holds ${target.length} records, the edge ${source.length}`);
  for (let index = 0; index < source.length; index += 1) {
    const edgeRecord = source[index]!;
    const centralRecord = target[index]!;
    const offset = header(centralRecord, 'tributary.offset');
    if (offset !== edgeRecord.offset.toString()) throw new Error(`${where}: central record ${index} carries source offset ${offset}, expected ${edgeRecord.offset}`);
    if (!Buffer.from(centralRecord.value ?? []).equals(Buffer.from(edgeRecord.value ?? []))) throw new Error(`${where}: central record ${index} (source offset ${offset}) has another value than the edge's`);
    if (String(centralRecord.key) !== String(edgeRecord.key)) throw new Error(`${where}: central record ${index} has key ${String(centralRecord.key)}, the edge's ${String(edgeRecord.key)}`);
  }
  return source.length;
}

/** The offsets a group has committed on a broker, as "topic/partition" → offset. */
export async function committedOffsets(bootstrap: string, group: string): Promise<Map<string, bigint>> {
  const client = kafkaClient(bootstrap, 'test-groups');
  try {
    return await client.groupOffsets(group);
  } finally {
    await client.close();
  }
}

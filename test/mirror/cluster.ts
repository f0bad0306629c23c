// Helpers for tests that run a central, edges and links as real processes: read back a
// whole target partition, wait for a condition on another process, produce to an edge.
import { decodeRecords, iterateBatchHeaders, type DecodedRecord } from '../../shared/kafka/record-batch.ts';
import { KafkaClient } from '../../mirror/kafka-client.ts';

/** How long a test waits for another process to reach a state before it fails. */
export const WAIT_TIMEOUT_MS = 120_000;
/** Between two looks at another process's state: there is no event to wait on across processes. */
const POLL_INTERVAL_MS = 50;

export function kafkaClient(bootstrap: string, clientId = 'test-reader'): KafkaClient {
  return new KafkaClient({ bootstrap: [bootstrap], clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 });
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

// Shared pieces of the pipeline tests: producing readings with event times, reading a
// topic from a stopped daemon's data directory, waiting for a pipeline to catch up, and
// an independent computation of tumbling windows to check the daemon's results against.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeRecords, iterateBatchHeaders } from '../../../shared/kafka/record-batch.ts';
import { kafkajsClient } from '../kafka/clients/support/kafkajs.ts';
import { openStore } from '../storage/helpers.ts';
import type { Daemon } from '../../helpers/daemon.ts';

export interface Reading {
  key: string;
  value: unknown;
  timestamp: number;
}

export interface StoredRecord extends Reading {
  partition: number;
  offset: bigint;
  headers: Record<string, string>;
}

/** Sends readings with their event times as record timestamps (acks=all). */
export async function produceReadings(port: number, topic: string, readings: readonly Reading[]): Promise<void> {
  const producer = kafkajsClient(port, 'pipeline-test').producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: readings.map((reading) => ({ key: reading.key, value: JSON.stringify(reading.value), timestamp: String(reading.timestamp) })) });
  } finally {
    await producer.disconnect();
  }
}

/** Every record of a topic, partition by partition, read from the data directory of a daemon that has stopped. */
export async function readTopic(daemon: Daemon, topic: string): Promise<StoredRecord[]> {
  const store = await openStore(join(daemon.dataDir, 'data'));
  try {
    const description = store.describeTopic(topic);
    if (description === undefined) return [];
    const records: StoredRecord[] = [];
    for (let partition = 0; partition < description.partitions; partition++) {
      const log = store.partition(topic, partition);
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const { batches } = await log.read(offset, 1024 * 1024);
        for (const header of iterateBatchHeaders(batches)) {
          for (const record of decodeRecords(batches, header.position)) {
            records.push({
              partition,
              offset: record.offset,
              key: record.key?.toString() ?? '',
              value: record.value === null ? null : JSON.parse(record.value.toString()),
              timestamp: Number(record.timestamp),
              headers: Object.fromEntries(record.headers.map((entry) => [entry.key, entry.value?.toString() ?? ''])),
            });
          }
          offset = header.lastOffset + 1n;
        }
      }
    }
    return records;
  } finally {
    await store.close();
  }
}

interface PartitionStatus { partition: number; committedPosition: string; highWatermark: string; state: string }
interface PipelineStatus { name: string; partitions: PartitionStatus[] }

export async function pipelineStatus(daemon: Daemon): Promise<PipelineStatus[]> {
  const response = await fetch(`http://127.0.0.1:${daemon.ports.http}/api/pipelines`);
  return ((await response.json()) as { pipelines: PipelineStatus[] }).pipelines;
}

/** Resolves once every partition of the pipeline has committed up to `highWatermarks` (by partition); polls the admin API, at most `attempts` times. */
export async function waitForCommitted(daemon: Daemon, name: string, highWatermarks: readonly bigint[], attempts = 600): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const pipeline = (await pipelineStatus(daemon)).find((entry) => entry.name === name);
    const done = pipeline !== undefined && highWatermarks.every((mark, index) => {
      const status = pipeline.partitions.find((entry) => entry.partition === index);
      return status !== undefined && BigInt(status.committedPosition) >= mark;
    });
    if (done) return;
    // No event says "committed"; the status is asked again after a short pause.
    await delay(50);
  }
  throw new Error(`pipeline ${name} did not commit up to ${highWatermarks.join(', ')}: ${JSON.stringify(await pipelineStatus(daemon))}`);
}

export interface ExpectedWindow {
  key: string;
  windowStart: number;
  windowEnd: number;
  n: number;
  sum: number;
  max: number;
}

/**
 * Tumbling windows computed the plain way, partition by partition in log order: stream time
 * is the largest timestamp seen, a record whose window has end + grace <= stream time is
 * late, and a window is complete once stream time reaches its end + grace.
 */
export function expectedTumblingWindows(inputs: readonly StoredRecord[], sizeMs: number, graceMs: number, keep: (value: { temp: number }) => boolean): ExpectedWindow[] {
  const windows = new Map<string, ExpectedWindow>();
  const streamTimes = new Map<number, number>();
  const byPartition = [...inputs].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  for (const record of byPartition) {
    const value = record.value as { temp: number };
    if (!keep(value)) continue;
    const streamTime = Math.max(streamTimes.get(record.partition) ?? -Infinity, record.timestamp);
    streamTimes.set(record.partition, streamTime);
    const start = Math.floor(record.timestamp / sizeMs) * sizeMs;
    if (start + sizeMs + graceMs <= streamTime) continue;
    const id = `${record.key}@${start}`;
    const window = windows.get(id) ?? { key: record.key, windowStart: start, windowEnd: start + sizeMs, n: 0, sum: 0, max: -Infinity, partition: record.partition };
    window.n += 1;
    window.sum += value.temp;
    window.max = Math.max(window.max, value.temp);
    windows.set(id, window);
  }
  return [...windows.values()].filter((window) => window.windowEnd + graceMs <= (streamTimes.get((window as ExpectedWindow & { partition: number }).partition) ?? -Infinity))
    .map(({ key, windowStart, windowEnd, n, sum, max }) => ({ key, windowStart, windowEnd, n, sum, max }));
}

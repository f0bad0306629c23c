// Shared pieces of the storage tests: temporary data directories, a store with test
// settings, and record batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Test } from 'uvu';
import type { StorageConfig, TopicConfig } from '../../../shared/config/topic-config.ts';
import { DEFAULT_STORAGE_CONFIG, DEFAULT_TOPIC_CONFIG } from '../../../shared/config/topic-settings.ts';
import { encodeRecordBatch, type EncodeRecordBatchOptions } from '../../../shared/kafka/record-batch.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { LogStore, type LogStoreOptions } from '../../../edge/storage/index.ts';

/** A retention schedule that does not fire during a test (once a year); tests call enforceRetention themselves. */
export const NEVER_CRON = '0 0 1 1 *';

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'tributary-'));
}

export function removeDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export interface PerTestStore {
  /** A data directory of its own for the test running now. */
  dataDir: string;
  /** The store the test opened, closed after it. */
  store: LogStore | undefined;
}

/** Gives each test of `suite` a fresh data directory; after each, the store it left open is closed and the directory removed. */
export function storePerTest(suite: Test): PerTestStore {
  const current: PerTestStore = { dataDir: '', store: undefined };
  suite.before.each(() => {
    current.dataDir = temporaryDirectory();
  });
  suite.after.each(async () => {
    await current.store?.close();
    current.store = undefined;
    removeDirectory(current.dataDir);
  });
  return current;
}

export interface TestStoreOptions {
  storage?: Partial<StorageConfig>;
  topicDefaults?: Partial<TopicConfig>;
  registry?: Registry;
  fileFaults?: LogStoreOptions['fileFaults'];
  fileLayer?: LogStoreOptions['fileLayer'];
  deliveredOffset?: LogStoreOptions['deliveredOffset'];
  cleanerKeyMapBytes?: LogStoreOptions['cleanerKeyMapBytes'];
}

export function openStore(dataDir: string, options: TestStoreOptions = {}): Promise<LogStore> {
  return LogStore.open({
    dataDir,
    logger: silentLogger(),
    registry: options.registry ?? new Registry(),
    storage: { ...DEFAULT_STORAGE_CONFIG, retentionCheckCron: NEVER_CRON, ...options.storage },
    topicDefaults: { ...DEFAULT_TOPIC_CONFIG, ...options.topicDefaults, flush: { ...DEFAULT_TOPIC_CONFIG.flush, ...options.topicDefaults?.flush } },
    fileFaults: options.fileFaults,
    fileLayer: options.fileLayer,
    deliveredOffset: options.deliveredOffset,
    cleanerKeyMapBytes: options.cleanerKeyMapBytes,
  });
}

/** A batch of `count` records whose values name `tag` and their index, so that each can be recognised. */
export function batchOf(tag: string, count = 1, options: Partial<EncodeRecordBatchOptions> = {}): Buffer {
  const records = Array.from({ length: count }, (_, index) => ({ key: `${tag}`, value: `${tag}:${index}`, timestampMs: options.records?.[index]?.timestampMs ?? 1_700_000_000_000n + BigInt(index) }));
  return encodeRecordBatch({ ...options, records });
}

/** Reads a partition from `from` to its high watermark and returns every batch's bytes, keyed by base offset. */
export async function readAll(store: LogStore, topic: string, partition: number, from = 0n): Promise<Map<bigint, Buffer>> {
  const log = store.partition(topic, partition);
  const batches = new Map<bigint, Buffer>();
  let offset = from < log.logStartOffset ? log.logStartOffset : from;
  while (offset < log.highWatermark) {
    const { batches: data } = await log.read(offset, 64 * 1024);
    if (data.length === 0) break;
    for (let position = 0; position < data.length;) {
      const size = data.readInt32BE(position + 8) + 12;
      const base = data.readBigInt64BE(position);
      const last = base + BigInt(data.readInt32BE(position + 23));
      batches.set(base, Buffer.from(data.subarray(position, position + size)));
      offset = last + 1n;
      position += size;
    }
  }
  return batches;
}

// The background cleaner: every so often it looks at each partition of the topics whose
// cleanup policy compacts, and runs a pass (cleaner-pass.ts) over one that is due. One pass
// at a time, store-wide, with one key map of CLEANER_KEY_MAP_BYTES_MAX reused by every pass,
// so that the cleaner's memory does not grow with the number of partitions; the dirtiest
// partition goes first, as in Kafka's LogCleanerManager.
import type { TopicConfig } from '../../../shared/config/topic-config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { StorageMetrics } from '../metrics.ts';
import type { PartitionLog } from '../partition-log.ts';
import type { CleanerPassResult } from './cleaner-pass.ts';
import { KeyOffsetMap } from './key-map.ts';

export interface CleanerTarget {
  partition: PartitionLog;
  config: TopicConfig;
}

export interface LogCleanerOptions {
  targets(): CleanerTarget[];
  /** How far a mirror delivered a partition: compaction stays below it, so that every tombstone and every value reaches the central cluster. */
  deliveredOffset?: (topic: string, partition: number) => bigint | undefined;
  metrics: StorageMetrics;
  logger: Logger;
  /** For tests of a partial pass; CLEANER_KEY_MAP_BYTES_MAX otherwise. */
  keyMapBytes?: number;
}

export interface CleanerRunReport {
  passes: Array<{ topic: string; partition: number } & CleanerPassResult>;
}

export class LogCleaner {
  readonly #options: LogCleanerOptions;
  #map: KeyOffsetMap | undefined;
  #running: Promise<CleanerRunReport> | undefined;
  #stopped = false;

  constructor(options: LogCleanerOptions) {
    this.#options = options;
  }

  /**
   * Cleans every compacted partition that is due (or, with `force`, every one with dirty
   * records), one after another. A run already under way is joined, not doubled.
   */
  run({ force = false, nowMs = Date.now() }: { force?: boolean; nowMs?: number } = {}): Promise<CleanerRunReport> {
    if (this.#running !== undefined) return this.#running;
    const running = this.#run(force, nowMs).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /** No pass starts from now on; resolves once the one under way is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running?.catch(() => undefined);
    this.#map = undefined;
  }

  async #run(force: boolean, nowMs: number): Promise<CleanerRunReport> {
    const { metrics, logger } = this.#options;
    const report: CleanerRunReport = { passes: [] };
    const candidates = [];
    for (const target of this.#options.targets()) {
      if (target.config.cleanupPolicy === 'delete') continue;
      const { partition } = target;
      const delivered = this.#options.deliveredOffset?.(partition.topic, partition.index);
      const share = await partition.measureDirty(nowMs, delivered);
      if (share.dirtyBytes === 0 || !(force || partition.passIsDue(share, nowMs))) continue;
      candidates.push({ target, share, ratio: share.dirtyBytes / (share.dirtyBytes + share.cleanBytes) });
    }
    candidates.sort((a, b) => b.ratio - a.ratio);
    for (const { target, share } of candidates) {
      if (this.#stopped) break;
      const { partition } = target;
      const labels = { topic: partition.topic };
      const started = performance.now();
      try {
        this.#map ??= new KeyOffsetMap(this.#options.keyMapBytes);
        const result = await partition.compact(share, this.#map, nowMs);
        if (!result.cleaned) continue;
        metrics.cleanerPasses.inc(labels);
        metrics.cleanerReadBytes.inc(labels, result.readBytes);
        metrics.cleanerWrittenBytes.inc(labels, result.writtenBytes);
        metrics.cleanerRemovedRecords.inc(labels, result.removedRecords);
        report.passes.push({ topic: partition.topic, partition: partition.index, ...result });
        logger.info({
          event: 'compaction', topic: partition.topic, partition: partition.index, readBytes: result.readBytes, writtenBytes: result.writtenBytes,
          removedRecords: result.removedRecords, removedTransactionRecords: result.removedTransactionRecords, segmentsBefore: result.segmentsBefore, segmentsAfter: result.segmentsAfter,
          firstDirtyOffset: result.firstDirtyOffset.toString(), partial: result.partial, durationMs: Math.round(performance.now() - started),
        }, 'partition compacted');
      } catch (error) {
        metrics.cleanerErrors.inc(labels);
        logger.error({ err: error, topic: partition.topic, partition: partition.index }, 'compaction pass failed; the partition keeps its segments as they were');
      }
    }
    return report;
  }
}

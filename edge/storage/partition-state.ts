// What the parts of one partition share: who it is, its segments (oldest first, the last
// one active), its idempotent-producer state, whether it is open, and the store's
// services. The parts — writer, roller, commit tracker, reader — each hold this, and of
// each other only what their constructors are given.
//
// Three offsets, named as Redpanda names them:
//   logEndOffset   (dirty)      the offset after the last batch written to the file;
//   highWatermark  (committed)  the offset after the last batch that is durable under the
//                               topic's flush policy. Readers never see past it, so a
//                               consumer never sees a record a power cut could take back;
//   logStartOffset              the base offset of the oldest segment kept, or a later
//                               offset inside it up to which DeleteRecords deleted (KIP-107).
import type { TopicConfig } from '../../shared/config/topic-config.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { FileLayer } from './file-io.ts';
import type { StorageMetrics } from './metrics.ts';
import type { ProducerStateManager } from './producer-state.ts';
import type { Segment } from './segment.ts';
import type { SegmentCaches } from './segment-cache.ts';
import type { WriteQueue } from './write-path.ts';

/** What the store lends each partition. */
export interface PartitionContext {
  files: FileLayer;
  caches: SegmentCaches;
  logger: Logger;
  metrics: StorageMetrics;
  /** Where the partition hands its prepared writes: the store's group committer. */
  writes: WriteQueue;
  config(): TopicConfig;
  /** False once the store is closing: appends are refused from then on. */
  accepting(): boolean;
  /** The high watermark moved. */
  onDurable(topic: string, partition: number, highWatermark: bigint): void;
}

/** open: serving; closed: the store shut down cleanly; deleted: its topic was deleted. */
export type PartitionStatus = 'open' | 'closed' | 'deleted';

export class PartitionState {
  readonly topic: string;
  readonly index: number;
  readonly directory: string;
  readonly context: PartitionContext;
  /** Oldest first; the last is active. Never empty. */
  readonly segments: Segment[];
  readonly producers: ProducerStateManager;
  status: PartitionStatus = 'open';
  /** Records below this offset were deleted by DeleteRecords; 0 when none were. */
  deletedBefore: bigint;
  /**
   * A compacted segment being swapped in (compaction/segment-swap.ts); retention, close and
   * deletion wait for it, so that no file of the swap is removed or closed under it.
   */
  segmentSwap: Promise<void> | undefined;

  constructor(context: PartitionContext, topic: string, index: number, directory: string, segments: Segment[], producers: ProducerStateManager, deletedBefore: bigint) {
    this.context = context;
    this.topic = topic;
    this.index = index;
    this.directory = directory;
    this.segments = segments;
    this.producers = producers;
    this.deletedBefore = deletedBefore;
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** topic-partition, for messages. */
  get name(): string {
    return `${this.topic}-${this.index}`;
  }

  get logStartOffset(): bigint {
    const base = this.segments[0]!.baseOffset;
    return this.deletedBefore > base ? this.deletedBefore : base;
  }

  get logEndOffset(): bigint {
    return this.active.nextOffset;
  }

  get highWatermark(): bigint {
    return this.active.committedNextOffset;
  }

  /** A segment left the log (retention, compaction, deletion): forget it in the caches; its file closes after its last reader. */
  retire(segment: Segment): void {
    const { files, caches } = this.context;
    caches.files.delete(segment);
    caches.indexes.delete(segment);
    segment.markRemoved(files);
  }

  /**
   * The last stable offset (KIP-98): below it every transaction has ended, so a
   * read_committed consumer may read up to it. The high watermark, or the first offset of
   * the earliest open transaction when that is lower.
   */
  get lastStableOffset(): bigint {
    const highWatermark = this.highWatermark;
    const firstUnstable = this.producers.firstUnstableOffset();
    return firstUnstable !== undefined && firstUnstable < highWatermark ? firstUnstable : highWatermark;
  }

  /** Why an operation on a partition that is no longer open is refused. */
  closedError(): TributaryError {
    return this.status === 'deleted'
      ? new TributaryError('TOPIC_NOT_FOUND', `topic "${this.topic}" was deleted`, { topic: this.topic })
      : new TributaryError('STORAGE_CLOSED', `the log store is closed; ${this.name} takes no more appends`, { topic: this.topic, partition: this.index });
  }
}

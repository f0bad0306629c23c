// The data types of the log store's public API.
import type { TopicConfig, TopicOverride } from '../../shared/config/topic-config.ts';

export interface TopicDescription {
  name: string;
  /** UUID, for Kafka Metadata v10+ (KIP-516). */
  id: string;
  partitions: number;
  config: TopicConfig;
  /** The settings given for this topic itself (the rest come from the defaults). */
  overrides: TopicOverride;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logStartOffset: bigint;
  /** A retried batch of an idempotent producer: the offsets are those of the original append (KIP-98). */
  duplicate: boolean;
}

export interface ReadResult {
  /** Whole RecordBatch v2 batches as stored, possibly empty. */
  batches: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** A committed-only read: the last stable offset, and the aborted transactions with records among the batches (KIP-98). */
  lastStableOffset?: bigint;
  abortedTransactions?: { producerId: bigint; firstOffset: bigint }[];
}

export interface RecoveryTruncation {
  topic: string;
  partition: number;
  file: string;
  /** Byte position in the file where the log now ends. */
  position: number;
  droppedBytes: number;
  reason: string;
}

export interface RebuiltIndex {
  topic: string;
  partition: number;
  file: string;
  reason: string;
}

export interface PartitionRecovery {
  topic: string;
  partition: number;
  /** Where verification started: the recovery checkpoint, or the start of the log when there was none. */
  verifiedFrom: { file: string; position: number };
  /** True when a clean-shutdown checkpoint covered the whole log, so nothing needed verifying. */
  clean: boolean;
  verifiedBytes: number;
  verifiedBatches: number;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** Where producer state came from: a snapshot at this offset, or a replay of the whole log. */
  producerStateFrom: bigint | 'log-start';
  producers: number;
}

export interface RecoveryReport {
  partitions: PartitionRecovery[];
  truncations: RecoveryTruncation[];
  rebuiltIndexes: RebuiltIndex[];
  /** Directories left behind by deleted topics and removed at start. */
  removedDirectories: string[];
  durationMs: number;
}

/** 'deleted-records': every record of the segment lies below the log start offset DeleteRecords set. */
export type EvictionReason = 'deleted-records' | 'time' | 'size' | 'budget';

export interface EvictedSegment {
  topic: string;
  partition: number;
  file: string;
  baseOffset: bigint;
  nextOffset: bigint;
  bytes: number;
  reason: EvictionReason;
  /** Records at or above the mirror's delivered offset (only the budget evicts those). */
  undeliveredRecords: bigint;
}

export interface EvictionReport {
  evicted: EvictedSegment[];
  bytesFreed: number;
  diskUsageBytes: number;
  /** The budget is still exceeded after evicting everything allowed (only active segments are left). */
  budgetExceeded: boolean;
}

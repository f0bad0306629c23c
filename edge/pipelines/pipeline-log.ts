// The few methods of the log store that pipelines use, so that pipelines depend on no more
// of the storage engine than that (edge/storage/index.ts's LogStore has them all).
import type { TopicOverride } from '../../shared/config/topic-config.ts';

export interface PipelinePartition {
  readonly highWatermark: bigint;
  /** What a read_committed reader can read up to (KIP-98); pipelines read and count their lag to it. */
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  read(offset: bigint, maxBytes: number, options?: { committedOnly?: boolean }): Promise<{ batches: Buffer; highWatermark: bigint; logStartOffset: bigint; abortedTransactions?: { producerId: bigint; firstOffset: bigint }[] }>;
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal, committedOnly?: boolean): Promise<boolean>;
  /** Resolves once the batches are durable under the topic's flush policy. */
  append(batches: Buffer): Promise<{ baseOffset: bigint; lastOffset: bigint }>;
}

export interface PipelineLog {
  describeTopic(name: string): { partitions: number } | undefined;
  createTopic(name: string, overrides?: TopicOverride): Promise<{ partitions: number }>;
  createPartitions(name: string, totalCount: number): Promise<{ partitions: number }>;
  deleteTopic(name: string): Promise<void>;
  partition(topic: string, index: number): PipelinePartition;
  deleteRecords(topic: string, index: number, offset: bigint): Promise<bigint>;
}

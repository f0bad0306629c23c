// The durable edge log: topics of partitioned, segmented RecordBatch v2 logs on flash,
// with group commit, crash recovery, idempotent producers and retention.
export { LogStore, type LogStoreOptions, type DurableEvent } from './log-store.ts';
export { PartitionLog } from './partition-log.ts';
export { PARTITION_LEADER_EPOCH } from './partition-writer.ts';
export { LONG_POLL_WAITERS_MAX } from './commit-tracker.ts';
export { errnoError, type FaultInjector, type FileOperation } from './file-io.ts';
export type {
  AppendResult,
  EvictedSegment,
  EvictionReason,
  EvictionReport,
  PartitionRecovery,
  ReadResult,
  RebuiltIndex,
  RecoveryReport,
  RecoveryTruncation,
  TopicDescription,
} from './types.ts';

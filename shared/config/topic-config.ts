// The settings of one topic. YAML gives defaults under `topics.defaults` and per-topic
// overrides under `topics.overrides.<name>`; a topic created through the Kafka API gets
// the defaults plus whatever the request sets. Both are the same kind of topic.

export type FlushPolicyName = 'always' | 'interval' | 'os';

export interface FlushPolicy {
  /**
   * always: fdatasync before an append is acknowledged (the default);
   * interval: fdatasync at most every `intervalMs`, acknowledging after that sync;
   * os: never fdatasync, acknowledge once written to the page cache.
   */
  policy: FlushPolicyName;
  intervalMs: number;
}

export interface TopicConfig {
  partitions: number;
  /** Segments whose newest record is older than this are deleted; -1 keeps them forever. */
  retentionMs: number;
  /** Per partition: oldest segments are deleted while the partition is larger; -1 for no limit. */
  retentionBytes: number;
  /** A segment rolls when it would grow past this many bytes. */
  segmentBytes: number;
  /** A segment rolls when its first record is older than this. */
  segmentMs: number;
  flush: FlushPolicy;
  /** The largest record batch a producer may append. */
  maxMessageBytes: number;
}

export const DEFAULT_TOPIC_CONFIG: TopicConfig = {
  partitions: 1,
  retentionMs: 7 * 24 * 3600_000,
  retentionBytes: -1,
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600_000,
  flush: { policy: 'always', intervalMs: 100 },
  maxMessageBytes: 1024 * 1024,
};

export interface StorageConfig {
  /** Device-wide budget for all segments; 0 means no budget. */
  diskBudgetBytes: number;
  /** Group commit: a group is written and synced once it holds this many bytes... */
  groupCommitMaxBytes: number;
  /** ...or once its first append has waited this long. */
  groupCommitMaxWaitMs: number;
  /** node-cron expression for the retention check. */
  retentionCheckCron: string;
}

export const DEFAULT_STORAGE_CONFIG: StorageConfig = {
  diskBudgetBytes: 0,
  groupCommitMaxBytes: 1024 * 1024,
  groupCommitMaxWaitMs: 2,
  retentionCheckCron: '* * * * *',
};

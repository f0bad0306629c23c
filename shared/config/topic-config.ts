// The settings of one topic. YAML gives defaults under `topics.defaults` and per-topic
// overrides under `topics.overrides.<name>`; a topic created through the Kafka API gets
// the defaults plus whatever the request sets. Both are the same kind of topic.
//
// The TypeBox schemas below are the single definition: the JSON Schema that validates the
// YAML, the TypeScript types and the defaults all come from them. The daemon does not load
// this file (only its types): topic-settings.ts reads the defaults and bounds from the
// generated validator.
import { Type, type Static } from '@sinclair/typebox';
import { oneOf } from './one-of.ts';

const DAY_MS = 24 * 3600_000;

const FLUSH_POLICIES = ['always', 'interval', 'os'] as const;
const FLUSH_POLICY_DESCRIPTION = 'When an append counts as durable. always: fdatasync before acknowledging. interval: fdatasync at most every intervalMs, acknowledging after that sync. os: never fdatasync; acknowledge once written to the page cache (a power cut can lose the newest records).';

export const FlushPolicySchema = Type.Object({
  policy: oneOf(FLUSH_POLICIES, {
    default: 'always',
    description: FLUSH_POLICY_DESCRIPTION,
  }),
  intervalMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 100, description: 'Sync period for the interval policy, in milliseconds.' }),
}, { additionalProperties: false, default: {}, description: 'Flush policy: what must happen before an append is acknowledged.' });

const COMPRESSION_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const COMPRESSION_TYPE_DESCRIPTION = 'Codec of the stored record batches (Kafka compression.type). producer: each batch is kept as its producer compressed it. uncompressed, gzip, snappy, lz4 or zstd: a batch that arrives in another codec is recompressed before it is appended, at the cost of CPU on the device.';

const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete'] as const;
const CLEANUP_POLICY_DESCRIPTION = 'How old records go (Kafka cleanup.policy). delete: whole segments by retentionMs and retentionBytes. compact: the cleaner keeps the newest record of every key in closed segments (records need a key). compact,delete: both.';
/** Kafka's Long.MAX_VALUE stands for "never" in max.compaction.lag.ms; the largest safe integer stands for it here. */
const NEVER_MS = Number.MAX_SAFE_INTEGER;

const topicFields = {
  partitions: Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: 'Number of partitions of a new topic. Records with the same key stay in order in one partition.' }),
  retentionMs: Type.Integer({ minimum: -1, default: 7 * DAY_MS, description: 'Segments whose newest record is older than this are deleted; -1 keeps them forever.' }),
  retentionBytes: Type.Integer({ minimum: -1, default: -1, description: 'Per partition: the oldest segments are deleted while the partition is larger than this; -1 for no limit.' }),
  segmentBytes: Type.Integer({ minimum: 1024, maximum: 1024 ** 3, default: 64 * 1024 * 1024, description: 'A segment file rolls when it would grow past this many bytes.' }),
  segmentMs: Type.Integer({ minimum: 1000, default: 7 * DAY_MS, description: 'A segment rolls when its first record is older than this.' }),
  cleanupPolicy: oneOf(CLEANUP_POLICIES, { default: 'delete', description: CLEANUP_POLICY_DESCRIPTION }),
  minCleanableDirtyRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'A compacted partition is cleaned once the share of its closed-segment bytes written since the last cleaning reaches this (Kafka min.cleanable.dirty.ratio).' }),
  minCompactionLagMs: Type.Integer({ minimum: 0, default: 0, description: 'A record stays uncompacted at least this long after it was appended (Kafka min.compaction.lag.ms).' }),
  maxCompactionLagMs: Type.Integer({ minimum: 1, default: NEVER_MS, description: 'A closed segment is cleaned at the latest this long after its newest record, whatever the dirty ratio (Kafka max.compaction.lag.ms; the default means never).' }),
  deleteRetentionMs: Type.Integer({ minimum: 0, default: 24 * 3600_000, description: 'A tombstone (a record with a null value) of a compacted topic is kept at least this long after it was appended, so consumers that read behind see the deletion (Kafka delete.retention.ms).' }),
  flush: FlushPolicySchema,
  maxMessageBytes: Type.Integer({ minimum: 64, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'The largest record batch a producer may append (Kafka max.message.bytes).' }),
  compressionType: oneOf(COMPRESSION_TYPES, { default: 'producer', description: COMPRESSION_TYPE_DESCRIPTION }),
};

export const TopicConfigSchema = Type.Object(topicFields, { additionalProperties: false, default: {}, description: 'Settings every topic gets unless overridden.' });

/** An override names only what differs from the defaults; no defaults are filled in here. */
export const TopicOverrideSchema = Type.Object({
  partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: topicFields.partitions.description })),
  retentionMs: Type.Optional(Type.Integer({ minimum: -1, description: topicFields.retentionMs.description })),
  retentionBytes: Type.Optional(Type.Integer({ minimum: -1, description: topicFields.retentionBytes.description })),
  segmentBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1024 ** 3, description: topicFields.segmentBytes.description })),
  segmentMs: Type.Optional(Type.Integer({ minimum: 1000, description: topicFields.segmentMs.description })),
  cleanupPolicy: Type.Optional(oneOf(CLEANUP_POLICIES, { description: CLEANUP_POLICY_DESCRIPTION })),
  minCleanableDirtyRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: topicFields.minCleanableDirtyRatio.description })),
  minCompactionLagMs: Type.Optional(Type.Integer({ minimum: 0, description: topicFields.minCompactionLagMs.description })),
  maxCompactionLagMs: Type.Optional(Type.Integer({ minimum: 1, description: topicFields.maxCompactionLagMs.description })),
  deleteRetentionMs: Type.Optional(Type.Integer({ minimum: 0, description: topicFields.deleteRetentionMs.description })),
  flush: Type.Optional(Type.Object({
    policy: Type.Optional(oneOf(FLUSH_POLICIES, { description: FLUSH_POLICY_DESCRIPTION })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: FlushPolicySchema.properties.intervalMs.description })),
  }, { additionalProperties: false })),
  maxMessageBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: 64 * 1024 * 1024, description: topicFields.maxMessageBytes.description })),
  compressionType: Type.Optional(oneOf(COMPRESSION_TYPES, { description: COMPRESSION_TYPE_DESCRIPTION })),
}, { additionalProperties: false });

export const StorageConfigSchema = Type.Object({
  diskBudgetBytes: Type.Integer({ minimum: 0, default: 0, description: 'Device-wide budget for all segments, in bytes; when exceeded the oldest segments are evicted (and counted). 0 means no budget.' }),
  groupCommitMaxBytes: Type.Integer({ minimum: 4096, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Group commit: the most bytes of appends one group writes and syncs together (flash wants large sequential writes).' }),
  groupCommitStartBytes: Type.Integer({ minimum: 512, maximum: 64 * 1024 * 1024, default: 16 * 1024, description: 'While the disk is idle, a group starts as soon as it holds this many bytes (at most groupCommitMaxBytes): a flash page, 16 KiB on most NAND, gains nothing from a longer wait while its producers wait for their acknowledgements...' }),
  groupCommitMaxWaitMs: Type.Number({ minimum: 0, maximum: 1000, default: 2, description: '...or once its first append has waited this long, in milliseconds (bounds the latency added by coalescing a trickle of appends).' }),
  cleanerCheckIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 15_000, description: 'How often the cleaner looks for compacted topics whose partitions are due for compaction, in milliseconds.' }),
  retentionCheckCron: Type.String({ default: '* * * * *', description: 'When retention runs (a node-cron expression; seconds may be given as a sixth leading field).' }),
  maxOpenSegmentFiles: Type.Integer({ minimum: 16, maximum: 1_000_000, default: 512, description: 'Segment files kept open at once, store-wide, active ones included; the least recently used idle one is closed and opened again when needed. A device\'s open-file limit is often 1024 to 65536, and client connections, SQLite and the mirror need descriptors too. Files being written and not yet synced stay open beyond it.' }),
}, { additionalProperties: false, default: {}, description: 'The durable log on flash.' });

export type FlushPolicy = Static<typeof FlushPolicySchema>;
export type FlushPolicyName = FlushPolicy['policy'];
export type TopicConfig = Static<typeof TopicConfigSchema>;
export type TopicOverride = Static<typeof TopicOverrideSchema>;
export type CompressionType = TopicConfig['compressionType'];
export type CleanupPolicy = TopicConfig['cleanupPolicy'];
export type StorageConfig = Static<typeof StorageConfigSchema>;

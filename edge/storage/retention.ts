// Retention: whole segments are deleted, oldest first, never the active one.
//
//   deleted-records  a segment whose every record lies below the log start offset that
//                    DeleteRecords set (the records are already gone to readers);
//   time    a segment whose newest batch (maxTimestamp) is older than retentionMs;
//   size    the oldest segments while the partition would still hold retentionBytes without them;
//           Time and size apply under the cleanup policies delete and compact,delete; a
//           topic that is only compacted keeps its segments until the cleaner empties them.
//   budget  device-wide: while all segments together exceed diskBudgetBytes, the segment
//           with the oldest data anywhere.
//
// A mirror reports how far it has delivered each partition (deliveredOffset: the next
// offset it will send). Time and size retention keep any segment holding records at or
// above it; only the disk budget may evict those, and each such eviction is counted as
// undelivered data loss. A partition without a delivered offset is not mirrored and has
// no such constraint.
//
// The active segment is never deleted, even when the budget stays exceeded: deleting it
// would discard the newest acknowledged records, and a budget smaller than one active
// segment per partition cannot be met anyway. The report says when the budget could not
// be met, and every eviction is logged and counted.
import type { Logger } from '../../shared/logger.ts';
import type { StorageMetrics } from './metrics.ts';
import type { PartitionLog } from './partition-log.ts';
import type { Segment } from './segment.ts';
import type { EvictedSegment, EvictionReason, EvictionReport } from './types.ts';
import type { TopicConfig } from '../../shared/config/topic-config.ts';

export interface RetentionTarget {
  partition: PartitionLog;
  config: TopicConfig;
}

export interface RetentionOptions {
  nowMs: number;
  diskBudgetBytes: number;
  diskUsageBytes(): number;
  deliveredOffset?: (topic: string, partition: number) => bigint | undefined;
  metrics: StorageMetrics;
  logger: Logger;
  onEvicted?(segment: EvictedSegment): void;
}

function segmentBytes(segment: Segment): number {
  return segment.sizeBytes + segment.indexFileBytes;
}

/** Records of the segment at or above the delivered offset: what evicting it would lose. */
function undeliveredRecords(segment: Segment, delivered: bigint | undefined): bigint {
  if (delivered === undefined || segment.nextOffset <= delivered) return 0n;
  return segment.nextOffset - (delivered > segment.baseOffset ? delivered : segment.baseOffset);
}

export async function enforceRetention(targets: RetentionTarget[], options: RetentionOptions): Promise<EvictionReport> {
  const evicted: EvictedSegment[] = [];
  let bytesFreed = 0;

  const evict = async (target: RetentionTarget, reason: EvictionReason, delivered: bigint | undefined): Promise<boolean> => {
    const { partition } = target;
    const segment = await partition.removeOldestSegment();
    if (segment === undefined) return false;
    const bytes = segmentBytes(segment);
    const undelivered = reason === 'budget' ? undeliveredRecords(segment, delivered) : 0n;
    const entry: EvictedSegment = { topic: partition.topic, partition: partition.index, file: segment.path, baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, bytes, reason, undeliveredRecords: undelivered };
    evicted.push(entry);
    bytesFreed += bytes;
    options.onEvicted?.(entry);
    options.metrics.evictedSegments.inc({ topic: partition.topic, reason });
    options.metrics.evictedBytes.inc({ topic: partition.topic, reason }, bytes);
    const fields = { event: 'segment-evicted', topic: partition.topic, partition: partition.index, file: segment.path, baseOffset: segment.baseOffset.toString(), nextOffset: segment.nextOffset.toString(), bytes, reason };
    if (undelivered > 0n) {
      options.metrics.undeliveredEvictedRecords.inc({ topic: partition.topic }, Number(undelivered));
      options.logger.error({ ...fields, undeliveredRecords: undelivered.toString() }, 'disk budget evicted records the mirror has not delivered');
    } else {
      options.logger.info(fields, 'segment evicted by retention');
    }
    return true;
  };

  for (const target of targets) {
    const { partition, config } = target;
    const delivered = options.deliveredOffset?.(partition.topic, partition.index);
    const keptForMirror = (segment: Segment): boolean => delivered !== undefined && segment.nextOffset > delivered;

    // An operator deleted these records on purpose: no mirror keeps them.
    while (partition.segments.length > 1 && partition.segments[0]!.nextOffset <= partition.logStartOffset) {
      if (!(await evict(target, 'deleted-records', delivered))) break;
    }

    const deletes = config.cleanupPolicy !== 'compact';
    if (deletes && config.retentionMs >= 0) {
      const cutoff = BigInt(options.nowMs - config.retentionMs);
      for (;;) {
        const segments = partition.segments;
        const oldest = segments[0]!;
        if (segments.length <= 1 || oldest.maxTimestamp >= cutoff || keptForMirror(oldest)) break;
        if (!(await evict(target, 'time', delivered))) break;
      }
    }
    if (deletes && config.retentionBytes >= 0) {
      for (;;) {
        const segments = partition.segments;
        const oldest = segments[0]!;
        if (segments.length <= 1 || partition.sizeBytes - segmentBytes(oldest) < config.retentionBytes || keptForMirror(oldest)) break;
        if (!(await evict(target, 'size', delivered))) break;
      }
    }
  }

  let budgetExceeded = false;
  if (options.diskBudgetBytes > 0) {
    while (options.diskUsageBytes() > options.diskBudgetBytes) {
      // The oldest data anywhere goes first.
      let choice: RetentionTarget | undefined;
      let choiceTimestamp = 0n;
      for (const target of targets) {
        const segments = target.partition.segments;
        if (segments.length <= 1) continue;
        const timestamp = segments[0]!.maxTimestamp;
        if (choice === undefined || timestamp < choiceTimestamp) {
          choice = target;
          choiceTimestamp = timestamp;
        }
      }
      if (choice === undefined) {
        budgetExceeded = true;
        options.logger.warn({ event: 'disk-budget-exceeded', diskUsageBytes: options.diskUsageBytes(), diskBudgetBytes: options.diskBudgetBytes }, 'disk budget exceeded by active segments alone; lower segmentBytes or raise the budget');
        break;
      }
      const delivered = options.deliveredOffset?.(choice.partition.topic, choice.partition.index);
      if (!(await evict(choice, 'budget', delivered))) break;
    }
  }
  return { evicted, bytesFreed, diskUsageBytes: options.diskUsageBytes(), budgetExceeded };
}

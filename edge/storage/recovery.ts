// Opening a partition directory after a clean shutdown or a crash.
//
// 1. Segments before the recovery checkpoint were synced and verified before the
//    checkpoint moved past them; they are trusted, and only their index files are
//    checked (and rebuilt from the segment when missing or wrong).
// 2. Every batch from the checkpoint to the end of the log is verified: length, magic,
//    CRC-32C, record count and contiguous offsets. The log is truncated at the first
//    torn or corrupt batch, and any later segment is deleted. Each cut is logged and
//    returned in the recovery report with its file, byte position, size and reason.
// 3. The verified tail is synced, so that what is served from now on survives a power cut.
// 4. Producer state is loaded from the newest usable snapshot and brought up to date by
//    replaying the batch headers after it.
import type { Logger } from '../../shared/logger.ts';
import { readCheckpoint, readLogStartOffset, writeCheckpoint, writeLogStartOffset, type RecoveryCheckpoint } from './checkpoint.ts';
import { completeInterruptedSwaps } from './compaction/segment-swap.ts';
import { TEMPORARY_SUFFIX, type FileLayer } from './file-io.ts';
import type { StorageMetrics } from './metrics.ts';
import { ProducerStateManager } from './producer-state.ts';
import { SegmentIndex } from './segment-index.ts';
import type { RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import {
  LOG_SUFFIX,
  OFFSET_INDEX_SUFFIX,
  SNAPSHOT_SUFFIX,
  Segment,
  TIME_INDEX_SUFFIX,
  offsetFileName,
  parseOffsetFileName,
} from './segment.ts';
import { loadSegmentIndex, writeSegmentIndex } from './segment-index-files.ts';
import { scanSegment, type ScanProblem } from './segment-scan.ts';
import type { PartitionRecovery, RecoveryReport } from './types.ts';
import { join } from 'node:path';

export interface RecoveryContext {
  files: FileLayer;
  logger: Logger;
  metrics: StorageMetrics;
  report: RecoveryReport;
}

export interface RecoveredPartition {
  segments: Segment[];
  producers: ProducerStateManager;
  snapshotOffsets: bigint[];
  /** Records below this offset were deleted by DeleteRecords; 0 when none were. */
  deletedBefore: bigint;
  recovery: PartitionRecovery;
}

function compareOffsets(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function recoverPartition(context: RecoveryContext, topic: string, partition: number, directory: string): Promise<RecoveredPartition> {
  const { files, logger, metrics, report } = context;
  const log = logger.child({ topic, partition });
  await files.mkdir(directory);
  let names = await files.readdir(directory);
  // A compaction interrupted by a stop is finished or dropped before the segments are listed.
  if (await completeInterruptedSwaps(files, directory, names, log)) names = await files.readdir(directory);

  for (const name of names) {
    if (name.endsWith(TEMPORARY_SUFFIX)) await files.unlink(join(directory, name));
  }
  const bases = names.map((name) => parseOffsetFileName(name, LOG_SUFFIX)).filter((base) => base !== undefined).sort(compareOffsets);
  let snapshotOffsets = names.map((name) => parseOffsetFileName(name, SNAPSHOT_SUFFIX)).filter((offset) => offset !== undefined).sort(compareOffsets);
  // Index files without a segment are leftovers of a deletion interrupted by a crash.
  const baseSet = new Set(bases);
  for (const name of names) {
    const indexBase = parseOffsetFileName(name, OFFSET_INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX);
    if (indexBase !== undefined && !baseSet.has(indexBase)) await files.unlink(join(directory, name));
  }

  let checkpoint: RecoveryCheckpoint | undefined;
  const storedCheckpoint = await readCheckpoint(files, directory);
  if (storedCheckpoint !== undefined && 'problem' in storedCheckpoint) {
    log.warn({ problem: storedCheckpoint.problem }, 'recovery checkpoint is unusable; verifying the whole log');
  } else {
    checkpoint = storedCheckpoint;
  }

  if (bases.length === 0) {
    // A new partition, or one whose every segment is gone: start where the checkpoint says.
    const segment = new Segment(directory, checkpoint?.nextOffset ?? 0n);
    await segment.openForAppend(files, true);
    await files.syncDirectory(directory);
    segment.index = new SegmentIndex();
    segment.active = true;
    return {
      segments: [segment],
      producers: new ProducerStateManager(`${topic}-${partition}`),
      snapshotOffsets,
      deletedBefore: await recoverDeletedBefore(context, log, directory, segment.baseOffset),
      recovery: { topic, partition, verifiedFrom: { file: segment.path, position: 0 }, clean: true, verifiedBytes: 0, verifiedBatches: 0, logStartOffset: segment.baseOffset, logEndOffset: segment.baseOffset, producerStateFrom: segment.baseOffset, producers: 0 },
    };
  }

  const segments = bases.map((base) => new Segment(directory, base));
  const sizes: number[] = [];
  for (const segment of segments) sizes.push((await files.stat(segment.path))?.size ?? 0);

  // Where verification starts.
  let startIndex = 0;
  let startPosition = 0;
  if (checkpoint !== undefined) {
    const found = segments.findIndex((segment) => segment.baseOffset === checkpoint.segmentBaseOffset);
    if (found >= 0 && checkpoint.position <= sizes[found]! && checkpoint.nextOffset >= checkpoint.segmentBaseOffset) {
      startIndex = found;
      startPosition = checkpoint.position;
    } else if (found < 0 && checkpoint.segmentBaseOffset < segments[0]!.baseOffset) {
      // The checkpoint's segment was deleted by retention before the checkpoint moved: everything left is after it.
      startIndex = 0;
    } else {
      log.warn({ checkpoint: { segment: checkpoint.segmentBaseOffset.toString(), position: checkpoint.position } }, 'recovery checkpoint does not match the segments on disk; verifying the whole log');
    }
  }

  const truncate = async (segmentIndex: number, position: number, reason: string): Promise<void> => {
    const segment = segments[segmentIndex]!;
    const dropped = sizes[segmentIndex]! - position;
    const fd = await files.open(segment.path, 'r+');
    try {
      await files.truncate(fd, segment.path, position);
      await files.datasync(fd, segment.path);
    } finally {
      await files.close(fd, segment.path);
    }
    sizes[segmentIndex] = position;
    report.truncations.push({ topic, partition, file: segment.path, position, droppedBytes: dropped, reason });
    metrics.recoveryTruncations.inc({ topic });
    metrics.recoveryTruncatedBytes.inc({ topic }, dropped);
    log.warn({ event: 'recovery-truncation', file: segment.path, position, droppedBytes: dropped, reason }, 'recovery truncated the log');
    const laterSizes = sizes.splice(segmentIndex + 1);
    const laterSegments = segments.splice(segmentIndex + 1);
    for (const [k, later] of laterSegments.entries()) {
      const laterSize = laterSizes[k] ?? 0;
      await files.unlink(later.path);
      await files.unlink(later.indexPath);
      await files.unlink(later.timeIndexPath);
      report.truncations.push({ topic, partition, file: later.path, position: 0, droppedBytes: laterSize, reason: `follows the truncation in ${segment.path}` });
      metrics.recoveryTruncations.inc({ topic });
      metrics.recoveryTruncatedBytes.inc({ topic }, laterSize);
      log.warn({ event: 'recovery-truncation', file: later.path, position: 0, droppedBytes: laterSize }, 'recovery deleted a segment after a truncation');
    }
    await files.syncDirectory(directory);
  };

  const rebuilt = (segment: Segment, reason: string): void => {
    report.rebuiltIndexes.push({ topic, partition, file: segment.indexPath, reason });
    metrics.rebuiltIndexes.inc({ topic });
    log.warn({ event: 'index-rebuilt', file: segment.indexPath, reason }, 'segment index was missing or wrong; rebuilt from the log');
  };

  const corruptInTrusted = (problem: ScanProblem): void => {
    log.error({ event: 'corrupt-batch', problem }, 'a batch before the recovery checkpoint fails its CRC check; it will not be served');
  };

  // 1. Trusted segments: check their indexes (rebuild when wrong) and learn their extent.
  let expected = segments[0]!.baseOffset;
  for (let i = 0; i < startIndex && i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.baseOffset < expected) {
      await truncate(i - 1, sizes[i - 1]!, `segment ${segment.path} overlaps the one before it`);
      startIndex = segments.length;
      break;
    }
    if (segment.baseOffset > expected) log.warn({ file: segment.path, expected: expected.toString() }, 'gap in offsets between segments');
    segment.sizeBytes = sizes[i]!;
    const loaded = await loadSegmentIndex(files, segment, sizes[i]!);
    if ('index' in loaded) {
      segment.nextOffset = loaded.nextOffset;
      segment.maxTimestamp = loaded.maxTimestamp;
      segment.indexFileBytes = loaded.fileBytes;
    } else {
      const fd = await files.open(segment.path, 'r');
      const index = new SegmentIndex();
      let scan;
      try {
        scan = await scanSegment(files, segment, fd, { fromPosition: 0, expectedOffset: segment.baseOffset, fileSize: sizes[i]!, index, tolerateCrc: true, allowOffsetGaps: true, onCorrupt: corruptInTrusted });
      } finally {
        await files.close(fd, segment.path);
      }
      segment.index = index;
      segment.nextOffset = scan.nextOffset;
      segment.maxTimestamp = scan.maxTimestamp;
      rebuilt(segment, loaded.problem);
      if (scan.problem) {
        await truncate(i, scan.problem.position, scan.problem.message);
        segment.sizeBytes = scan.problem.position;
        startIndex = segments.length;
      }
      await writeSegmentIndex(files, segment, log);
      segment.index = undefined;
    }
    segment.committedBytes = segment.syncedBytes = segment.sizeBytes;
    segment.committedNextOffset = segment.nextOffset;
    segment.committedMaxTimestamp = segment.maxTimestamp;
    expected = segment.nextOffset;
  }

  // 2. Producer state: the newest snapshot at or before the verification start.
  const verifyStartOffset = startIndex < segments.length ? (startPosition > 0 ? checkpoint!.nextOffset : segments[startIndex]!.baseOffset) : expected;
  let producers = new ProducerStateManager(`${topic}-${partition}`);
  let producerStateFrom: bigint | 'log-start' = 'log-start';
  for (const offset of [...snapshotOffsets].reverse()) {
    if (offset > verifyStartOffset) continue;
    const file = await files.readWhole(join(directory, offsetFileName(offset, SNAPSHOT_SUFFIX)));
    if (file === undefined) continue;
    const restored = ProducerStateManager.restore(`${topic}-${partition}`, file);
    if ('problem' in restored) {
      log.warn({ offset: offset.toString(), problem: restored.problem }, 'producer state snapshot is unusable');
      continue;
    }
    producers = restored.state;
    producerStateFrom = restored.offset;
    break;
  }
  // Headers after the snapshot are replayed once each, in offset order.
  let replayCursor = producerStateFrom === 'log-start' ? segments[0]!.baseOffset : producerStateFrom;
  const replay = (header: RecordBatchHeader, _position: number, batch: Buffer): void => {
    if (header.baseOffset < replayCursor) return;
    producers.replay(header, batch);
    replayCursor = header.lastOffset + 1n;
  };
  // Between the snapshot and the verification start the batches are trusted: replay their headers.
  for (let i = 0; i <= Math.min(startIndex, segments.length - 1); i++) {
    const segment = segments[i]!;
    const end = i < startIndex ? segment.sizeBytes : startPosition;
    if (end === 0 || replayCursor >= verifyStartOffset || (i < startIndex && segment.nextOffset <= replayCursor)) continue;
    const fd = await files.open(segment.path, 'r');
    try {
      await scanSegment(files, segment, fd, { fromPosition: 0, expectedOffset: segment.baseOffset, fileSize: end, index: new SegmentIndex(), tolerateCrc: true, allowOffsetGaps: true, onBatch: replay });
    } finally {
      await files.close(fd, segment.path);
    }
  }

  // 3. Verify everything from the checkpoint on.
  let verifiedBytes = 0;
  let verifiedBatches = 0;
  for (let i = startIndex; i < segments.length; i++) {
    const segment = segments[i]!;
    let position = i === startIndex ? startPosition : 0;
    let index = new SegmentIndex();
    let from = segment.baseOffset;
    if (i > 0 && segment.baseOffset !== expected) {
      if (segment.baseOffset < expected) {
        await truncate(i - 1, segments[i - 1]!.sizeBytes, `segment ${segment.path} overlaps the one before it`);
        break;
      }
      log.warn({ file: segment.path, expected: expected.toString() }, 'gap in offsets between segments');
    }
    if (position > 0) {
      // The part before the checkpoint was indexed at the clean shutdown that wrote it.
      const prefix = await loadSegmentIndex(files, segment, position);
      if ('index' in prefix && prefix.nextOffset === checkpoint!.nextOffset) {
        index = prefix.index;
        from = prefix.nextOffset;
        segment.maxTimestamp = prefix.maxTimestamp;
      } else {
        position = 0;
      }
    }
    const fd = await files.open(segment.path, 'r+');
    let keepOpen = false;
    try {
      const scan = await scanSegment(files, segment, fd, {
        fromPosition: position,
        expectedOffset: from,
        fileSize: sizes[i]!,
        index,
        // Closed segments may have been compacted; the last one is the active segment, never compacted.
        allowOffsetGaps: i < segments.length - 1,
        onBatch: replay,
      });
      verifiedBytes += scan.endPosition - position;
      verifiedBatches += scan.batches;
      segment.index = index;
      segment.sizeBytes = scan.endPosition;
      segment.nextOffset = scan.nextOffset;
      if (scan.maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = scan.maxTimestamp;
      if (scan.problem) await truncate(i, scan.problem.position, scan.problem.message);
      if (scan.endPosition > position) await files.datasync(fd, segment.path);
      segment.committedBytes = segment.syncedBytes = segment.sizeBytes;
      segment.committedNextOffset = segment.nextOffset;
      segment.committedMaxTimestamp = segment.maxTimestamp;
      expected = segment.nextOffset;
      if (i === segments.length - 1) {
        // The last segment becomes the active one and keeps this descriptor.
        keepOpen = true;
        segment.adoptDescriptor(fd);
      } else {
        await writeSegmentIndex(files, segment, log);
        segment.index = undefined;
      }
    } finally {
      if (!keepOpen) await files.close(fd, segment.path);
    }
  }

  const active = segments[segments.length - 1]!;
  if (active.fd === undefined) {
    // Every segment was trusted (a clean shutdown at a roll boundary): open the last one for appending.
    await active.openForAppend(files, false);
    const loaded = await loadSegmentIndex(files, active, active.sizeBytes);
    if ('index' in loaded) {
      active.index = loaded.index;
    } else {
      const index = new SegmentIndex();
      await scanSegment(files, active, active.fd!, { fromPosition: 0, expectedOffset: active.baseOffset, fileSize: active.sizeBytes, index, tolerateCrc: true, onCorrupt: corruptInTrusted });
      active.index = index;
      rebuilt(active, loaded.problem);
    }
  }
  active.active = true;
  if (active.sizeBytes > 0) {
    const stat = await files.stat(active.path);
    active.firstAppendWallMs = stat === undefined ? Date.now() : stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
  }

  // Snapshots past the end of the log describe batches that are gone.
  for (const offset of snapshotOffsets) {
    if (offset > active.nextOffset) await files.unlink(join(directory, offsetFileName(offset, SNAPSHOT_SUFFIX)));
  }
  snapshotOffsets = snapshotOffsets.filter((offset) => offset <= active.nextOffset);

  // A checkpoint beyond the end (only after cutting a trusted segment) would skip verification next time.
  if (checkpoint !== undefined && (checkpoint.nextOffset > active.nextOffset || !segments.some((segment) => segment.baseOffset === checkpoint.segmentBaseOffset))) {
    await writeCheckpoint(files, directory, { segmentBaseOffset: segments[0]!.baseOffset, position: 0, nextOffset: segments[0]!.baseOffset });
  }

  const clean = startIndex === segments.length - 1 && startPosition === active.sizeBytes && verifiedBatches === 0;
  const deletedBefore = await recoverDeletedBefore(context, log, directory, active.nextOffset);
  return {
    segments,
    producers,
    snapshotOffsets,
    deletedBefore,
    recovery: {
      topic,
      partition,
      verifiedFrom: { file: segments[Math.min(startIndex, segments.length - 1)]!.path, position: startPosition },
      clean,
      verifiedBytes,
      verifiedBatches,
      logStartOffset: deletedBefore > segments[0]!.baseOffset ? deletedBefore : segments[0]!.baseOffset,
      logEndOffset: active.nextOffset,
      producerStateFrom,
      producers: producers.size,
    },
  };
}

/**
 * The log start offset DeleteRecords set, no later than the log end: a crash may have cut
 * the log below it, and records appended from there on must stay visible, so the file is
 * brought down to the log end. An unreadable file is reported and ignored: the deleted
 * records become readable again until they are deleted anew, which loses nothing.
 */
async function recoverDeletedBefore(context: RecoveryContext, log: Logger, directory: string, logEndOffset: bigint): Promise<bigint> {
  const stored = await readLogStartOffset(context.files, directory);
  if (stored === undefined) return 0n;
  if (typeof stored !== 'bigint') {
    log.warn({ problem: stored.problem }, 'the log start offset set by DeleteRecords is unreadable; records below it are served again');
    return 0n;
  }
  if (stored <= logEndOffset) return stored;
  log.warn({ deletedBefore: stored.toString(), logEndOffset: logEndOffset.toString() }, 'the log ends before the log start offset set by DeleteRecords; it moves back to the log end');
  await writeLogStartOffset(context.files, directory, logEndOffset);
  return logEndOffset;
}

// A segment's index files on disk: read and checked against the log they describe, or
// written whole from the in-memory index (at a roll, a clean shutdown, or after a rebuild).
import type { Logger } from '../../shared/logger.ts';
import type { FileLayer } from './file-io.ts';
import type { Segment } from './segment.ts';
import { SegmentIndex } from './segment-index.ts';

/** Reads a segment's index files and checks them against a log of `segmentBytes` bytes. */
export async function loadSegmentIndex(files: FileLayer, segment: Segment, segmentBytes: number): Promise<{ index: SegmentIndex; nextOffset: bigint; maxTimestamp: bigint; fileBytes: number } | { problem: string }> {
  const [offsetFile, timeFile] = await Promise.all([files.readWhole(segment.indexPath), files.readWhole(segment.timeIndexPath)]);
  const parsed = SegmentIndex.parse(offsetFile, timeFile, segmentBytes);
  if ('problem' in parsed) return parsed;
  if (parsed.summary.nextOffset < segment.baseOffset) return { problem: `index says the segment ends at offset ${parsed.summary.nextOffset}, before its base offset` };
  return { index: parsed.index, nextOffset: parsed.summary.nextOffset, maxTimestamp: parsed.summary.maxTimestamp, fileBytes: offsetFile!.length + timeFile!.length };
}

/** Writes a segment's index files from its in-memory index (best effort: a bad index is rebuilt at the next start). */
export async function writeSegmentIndex(files: FileLayer, segment: Segment, logger: Logger): Promise<void> {
  const index = segment.index;
  // A segment that left the log may share its file names with the compacted one that replaced it.
  if (index === undefined || segment.removed) return;
  const summary = { segmentBytes: segment.sizeBytes, nextOffset: segment.nextOffset, maxTimestamp: segment.maxTimestamp };
  try {
    const offsets = index.serializeOffsets(summary);
    const times = index.serializeTimes(summary);
    await files.replaceDurably(segment.indexPath, offsets, false);
    await files.replaceDurably(segment.timeIndexPath, times, false);
    segment.indexFileBytes = offsets.length + times.length;
  } catch (error) {
    logger.warn({ err: error, file: segment.indexPath }, 'could not write segment index files; they will be rebuilt at the next start');
  }
}

// Reading one partition: whole batches from an offset, and the first record at or after a
// time. Readers see only what is below the high watermark, and never a batch that fails
// its CRC. An inactive segment's index is loaded on demand (and rebuilt from the log when
// its files are missing or wrong); its descriptor is opened on demand and held while read,
// so that retention can delete a segment under a reader.
import { TributaryError, isTributaryError } from '../../shared/errors.ts';
import { decodeRecords, iterateBatchHeaders, type BatchProblem } from '../../shared/kafka/record-batch.ts';
import type { PartitionState } from './partition-state.ts';
import type { Segment } from './segment.ts';
import { SegmentIndex } from './segment-index.ts';
import { loadSegmentIndex, writeSegmentIndex } from './segment-index-files.ts';
import { isSegmentRemoved } from './segment.ts';
import { scanSegment } from './segment-scan.ts';
import type { ReadResult } from './types.ts';

/**
 * A read that starts within this many bytes of the active segment's end is served from the
 * page cache synchronously (FileLayer.pageCache): those bytes were written moments ago.
 * Bounded so that one such read blocks the event loop for well under a millisecond and a
 * consumer catching up on older data still reads through the thread pool.
 */
export const RECENT_TAIL_BYTES = 1024 * 1024;
/**
 * Times a read starts again because a segment it chose left the log meanwhile (retention
 * removed it, or compaction swapped in its cleaned copy). Each retry follows a change to the
 * segment list; a few are plenty, and the bound keeps a read from chasing a busy cleaner forever.
 */
const SEGMENT_CHANGE_RETRIES_MAX = 3;

export class PartitionReader {
  readonly #state: PartitionState;

  constructor(state: PartitionState) {
    this.#state = state;
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to maxBytes (at least
   * one batch, KIP-74, unless `minOneBatch` is false), never past the high watermark (nor
   * past `upTo`, a read_committed consumer's last stable offset) and never from two segments.
   */
  read(offset: bigint, maxBytes: number, minOneBatch: boolean, upTo?: bigint): Promise<ReadResult> {
    return this.#retryOnSegmentChange(() => this.#read(offset, maxBytes, minOneBatch, upTo));
  }

  async #read(offset: bigint, maxBytes: number, minOneBatch: boolean, upTo?: bigint): Promise<ReadResult> {
    const state = this.#state;
    if (state.status !== 'open') throw state.closedError();
    const highWatermark = state.highWatermark;
    const logStartOffset = state.logStartOffset;
    const logEndOffset = state.logEndOffset;
    if (offset < logStartOffset || offset > logEndOffset) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `${state.name}: offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]`, { topic: state.topic, partition: state.index, offset, logStartOffset, highWatermark, logEndOffset });
    }
    const empty = { batches: Buffer.alloc(0), highWatermark, logStartOffset };
    // Written but not yet durable: nothing to serve yet, as Kafka answers between its high watermark and log end.
    if (offset >= highWatermark) return empty;
    const endOffset = upTo !== undefined && upTo < highWatermark ? upTo : highWatermark;
    if (offset >= endOffset) return empty;
    const { files, caches } = state.context;
    // A copy: retention may remove segments from the front while this read waits on I/O.
    const candidates = state.segments.slice(this.#segmentPosition(offset));
    for (const segment of candidates) {
      const limit = segment.committedBytes;
      if (limit === 0) continue;
      const index = await this.#indexOf(segment);
      const fd = await segment.acquire(files, caches.files);
      try {
        const start = offset <= segment.baseOffset ? 0 : index.lookupOffset(Number(offset - segment.baseOffset));
        // A consumer at the tail reads what was just written: from the page cache, off the thread pool.
        const reader = segment === state.active && limit - start <= RECENT_TAIL_BYTES ? files.pageCache : files;
        const found = await segment.findBatch(reader, fd, start, limit, (header) => header.lastOffset >= offset);
        if (found === undefined) continue;
        const batches = await segment.readBatches(reader, fd, found.position, Math.max(minOneBatch ? 1 : 0, maxBytes), limit, this.#onCorrupt, minOneBatch);
        return { batches: endOffset < highWatermark ? batchesBelow(batches, endOffset) : batches, highWatermark, logStartOffset };
      } finally {
        segment.release(files);
      }
    }
    return empty;
  }

  /** The first record (by offset) at or after the log start whose timestamp is >= timestampMs, below the high watermark. */
  offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    return this.#retryOnSegmentChange(() => this.#offsetForTimestamp(timestampMs));
  }

  /**
   * Runs a read again when a segment it used left the log under it: the next attempt sees
   * the segments as they are now, and an offset retention removed is then out of range.
   */
  async #retryOnSegmentChange<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (retry >= SEGMENT_CHANGE_RETRIES_MAX || !isSegmentRemoved(error)) throw error;
      }
    }
  }

  async #offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    const state = this.#state;
    if (state.status !== 'open') throw state.closedError();
    const { files, caches } = state.context;
    const start = state.logStartOffset;
    for (const segment of state.segments.slice()) {
      const limit = segment.committedBytes;
      if (limit === 0 || segment.committedMaxTimestamp < timestampMs) continue;
      const index = await this.#indexOf(segment);
      const fd = await segment.acquire(files, caches.files);
      try {
        // Usually the first batch found holds the record; one that DeleteRecords cut into may not.
        for (let position = index.lookupTimestamp(timestampMs); ;) {
          const found = await segment.findBatch(files, fd, position, limit, (header) => header.maxTimestamp >= timestampMs && header.lastOffset >= start);
          if (found === undefined) break;
          const batch = await segment.readBatches(files, fd, found.position, found.sizeBytes, limit, this.#onCorrupt);
          try {
            const record = decodeRecords(batch).find((candidate) => candidate.timestamp >= timestampMs && candidate.offset >= start);
            if (record !== undefined) return { offset: record.offset, timestamp: record.timestamp };
          } catch (error) {
            // A batch we cannot decode (a codec not registered here) is answered at batch granularity.
            if (!isTributaryError(error, 'INVALID_RECORD_BATCH')) throw error;
            return { offset: found.baseOffset > start ? found.baseOffset : start, timestamp: found.maxTimestamp };
          }
          position = found.position + found.sizeBytes;
        }
      } finally {
        segment.release(files);
      }
    }
    return undefined;
  }

  /** The loaded index of a segment, read from its files or rebuilt from the log when they are wrong. */
  async #indexOf(segment: Segment): Promise<SegmentIndex> {
    const { files, caches, metrics, logger } = this.#state.context;
    if (segment.index !== undefined) {
      if (!segment.active) caches.indexes.touch(segment);
      return segment.index;
    }
    // Its index files may already describe the compacted segment that replaced it.
    if (segment.removed) throw segment.removedError();
    const loaded = await loadSegmentIndex(files, segment, segment.sizeBytes);
    if ('index' in loaded) {
      segment.index = loaded.index;
      caches.indexes.touch(segment);
      return loaded.index;
    }
    metrics.rebuiltIndexes.inc({ topic: this.#state.topic });
    logger.warn({ event: 'index-rebuilt', file: segment.indexPath, reason: loaded.problem }, 'segment index was missing or wrong; rebuilding it from the log');
    const index = new SegmentIndex();
    const fd = await segment.acquire(files, caches.files);
    try {
      await scanSegment(files, segment, fd, { fromPosition: 0, expectedOffset: segment.baseOffset, fileSize: segment.sizeBytes, index, tolerateCrc: true, allowOffsetGaps: true });
    } finally {
      segment.release(files);
    }
    segment.index = index;
    caches.indexes.touch(segment);
    await writeSegmentIndex(files, segment, logger);
    return index;
  }

  /** Where in the segment list the segment holding `offset` is (the first one when the offset is before them all). */
  #segmentPosition(offset: bigint): number {
    const segments = this.#state.segments;
    let low = 0;
    let high = segments.length - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (segments[middle]!.baseOffset <= offset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  #onCorrupt = (problem: BatchProblem): void => {
    const state = this.#state;
    state.context.metrics.corruptBatchesRefused.inc({ topic: state.topic });
    state.context.logger.error({ event: 'corrupt-batch', topic: state.topic, partition: state.index, problem }, 'a stored batch fails its check and is not served');
  };
}

/** The leading whole batches that end below `endOffset`. The last stable offset always falls between batches. */
function batchesBelow(batches: Buffer, endOffset: bigint): Buffer {
  let end = 0;
  for (const header of iterateBatchHeaders(batches)) {
    if (header.lastOffset >= endOffset) break;
    end = header.position + header.sizeBytes;
  }
  return end === batches.length ? batches : batches.subarray(0, end);
}

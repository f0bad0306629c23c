// The verifying walk over a segment file: recovery checks the log's tail with it, and a
// missing or wrong index is rebuilt from it. Each batch is checked (length, magic,
// CRC-32C, record count, contiguous offsets) and indexed, in large sequential reads.
import { RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_LOG_OVERHEAD, checkBatch, readBatchHeader, type BatchProblem, type RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import type { FileLayer } from './file-io.ts';
import type { Segment } from './segment.ts';
import type { SegmentIndex } from './segment-index.ts';

/** Bytes read per step when a segment is scanned (recovery, index rebuild): large sequential reads, bounded memory. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface ScanProblem {
  position: number;
  reason: BatchProblem['reason'] | 'offset-mismatch';
  message: string;
}

export interface ScanOptions {
  fromPosition: number;
  expectedOffset: bigint;
  fileSize: number;
  /** Receives every sound batch, in order. */
  index: SegmentIndex;
  /** Sees every sound batch and its bytes (valid only until it returns, or until its promise settles): transaction markers are read from it. */
  onBatch?: (header: RecordBatchHeader, position: number, bytes: Buffer) => void | Promise<void>;
  /**
   * Offsets only increase rather than follow on: log compaction leaves gaps between the
   * batches it keeps in closed segments, and inside the batches it thinned. The active segment, which is never compacted, is
   * walked without this, so a batch whose base offset (not covered by its CRC) was damaged stops the walk.
   */
  allowOffsetGaps?: boolean;
  /** Index a batch whose CRC fails but whose framing is sound (and report it) instead of stopping there. */
  tolerateCrc?: boolean;
  onCorrupt?: (problem: ScanProblem) => void;
}

export interface ScanResult {
  endPosition: number;
  nextOffset: bigint;
  maxTimestamp: bigint;
  batches: number;
  problem?: ScanProblem;
}

/**
 * Walks the batches from a position, checking each one (length, magic, CRC-32C,
 * record count, contiguous offsets) and indexing it, until the end of the file or the
 * first problem.
 */
export async function scanSegment(files: FileLayer, segment: Pick<Segment, 'path' | 'baseOffset'>, fd: number, options: ScanOptions): Promise<ScanResult> {
  const { path, baseOffset } = segment;
  let position = options.fromPosition;
  let expected = options.expectedOffset;
  let maxTimestamp = -1n;
  let batches = 0;
  let chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  const fileSize = options.fileSize;
  const finish = (problem?: ScanProblem): ScanResult => ({ endPosition: position, nextOffset: expected, maxTimestamp, batches, problem });
  while (position < fileSize) {
    const windowLength = await files.read(fd, path, chunk, Math.min(chunk.length, fileSize - position), position);
    const window = chunk.subarray(0, windowLength);
    let at = 0;
    let advance = false;
    while (!advance) {
      const inFile = fileSize - (position + at);
      if (inFile === 0) break;
      const inWindow = windowLength - at;
      if (inFile < RECORD_BATCH_HEADER_BYTES) {
        position += at;
        return finish({ position, reason: 'truncated', message: `torn batch at byte ${position}: only ${inFile} bytes of a ${RECORD_BATCH_HEADER_BYTES}-byte header` });
      }
      if (inWindow < RECORD_BATCH_HEADER_BYTES) {
        advance = true;
        break;
      }
      const size = window.readInt32BE(at + 8) + RECORD_BATCH_LOG_OVERHEAD;
      if (size < RECORD_BATCH_HEADER_BYTES) {
        position += at;
        const zeros = window.subarray(at, Math.min(windowLength, at + 64)).every((byte) => byte === 0);
        return finish({ position, reason: 'invalid-length', message: `${zeros ? 'zero-filled tail' : 'invalid batch length'} at byte ${position} (length field ${size - RECORD_BATCH_LOG_OVERHEAD})` });
      }
      if (size > inFile) {
        position += at;
        return finish({ position, reason: 'truncated', message: `torn batch at byte ${position}: it declares ${size} bytes but the file ends after ${inFile}` });
      }
      if (size > inWindow) {
        if (at === 0) chunk = Buffer.allocUnsafe(size);
        advance = true;
        break;
      }
      const checked = checkBatch(window, at, { positionBase: position, requireDenseOffsets: !options.allowOffsetGaps });
      let header: RecordBatchHeader;
      if ('problem' in checked) {
        const problem: ScanProblem = { position: position + at, reason: checked.problem.reason, message: `${path}: ${checked.problem.message}` };
        if (!(options.tolerateCrc && checked.problem.reason === 'crc-mismatch')) {
          position += at;
          return finish(problem);
        }
        options.onCorrupt?.(problem);
        header = readBatchHeader(window, at);
      } else {
        header = checked.header;
      }
      if (header.baseOffset !== expected && !(options.allowOffsetGaps && header.baseOffset > expected)) {
        position += at;
        return finish({ position, reason: 'offset-mismatch', message: `batch at byte ${position} has base offset ${header.baseOffset} but the log continues at ${expected}` });
      }
      options.index.addBatch(Number(header.baseOffset - baseOffset), position + at, size, header.maxTimestamp);
      const pending = options.onBatch?.(header, position + at, window.subarray(at, at + size));
      if (pending !== undefined) await pending;
      if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
      expected = header.lastOffset + 1n;
      batches += 1;
      at += size;
    }
    position += at;
  }
  return finish();
}

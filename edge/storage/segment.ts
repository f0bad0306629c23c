// One segment: a file of RecordBatch v2 batches back to back, named by the base offset of
// its first batch (20 digits, zero-padded, like Kafka: 00000000000000000000.log), with
// its sparse offset index (.index) and time index (.timeindex) beside it.
//
// Three positions in a segment (after Redpanda's dirty / committed offsets):
//   sizeBytes       what was written (dirty);
//   committedBytes  what readers may see, the high watermark's position;
//   syncedBytes     what fdatasync has covered.
// committed <= size always. Under the `always` and `interval` flush policies committed
// equals synced; under `os` committed runs ahead of synced, which a roll or a clean
// shutdown catches up.
import { join } from 'node:path';
import { TributaryError, isTributaryError } from '../../shared/errors.ts';
import {
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD,
  checkBatch,
  readBatchHeader,
  type BatchProblem,
  type RecordBatchHeader,
} from '../../shared/kafka/record-batch.ts';
import type { FileLayer, PositionalReader } from './file-io.ts';
import type { SegmentIndex } from './segment-index.ts';

export const LOG_SUFFIX = '.log';
export const OFFSET_INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Kafka's file names: the base offset in 20 decimal digits, enough for any int64. */
const OFFSET_DIGITS = 20;

/** Bytes read per step when walking batch headers from an index entry; covers a few index intervals in one read. */
const LOCATE_CHUNK_BYTES = 16 * 1024;
/** The most bytes one read returns (beyond the first batch, which is always whole, KIP-74); bounds memory per fetch. */
export const READ_BYTES_MAX = 16 * 1024 * 1024;

export function offsetFileName(offset: bigint, suffix: string): string {
  return `${offset.toString().padStart(OFFSET_DIGITS, '0')}${suffix}`;
}

export function parseOffsetFileName(name: string, suffix: string): bigint | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const digits = name.slice(0, name.length - suffix.length);
  if (digits.length !== OFFSET_DIGITS || !/^\d+$/.test(digits)) return undefined;
  return BigInt(digits);
}

/** Whether a read failed because its segment left the log under it (retention, compaction): the reader then looks again. */
export function isSegmentRemoved(error: unknown): boolean {
  return isTributaryError(error, 'STORAGE_CLOSED') && error.details.segmentRemoved === true;
}

/** Told each time an inactive segment's descriptor is used, so that a bounded cache can close the least recently used (segment-cache.ts). */
export interface DescriptorCache {
  touch(segment: Segment): void;
}

export class Segment {
  readonly directory: string;
  readonly baseOffset: bigint;
  readonly path: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** Bytes written (dirty). */
  sizeBytes = 0;
  /** Offset after the last written batch. */
  nextOffset: bigint;
  /** Bytes readers may see: the high watermark's position. */
  committedBytes = 0;
  committedNextOffset: bigint;
  /** Bytes covered by fdatasync. */
  syncedBytes = 0;
  /** Largest batch maxTimestamp written / committed; -1 when empty. */
  maxTimestamp = -1n;
  committedMaxTimestamp = -1n;
  /** Wall-clock time of the first append, for rolling by age (segmentMs). */
  firstAppendWallMs: number | undefined;
  /** In memory for the active segment always, for others while in the index cache. */
  index: SegmentIndex | undefined;
  /** Bytes of the index files on disk, for the disk-use figure. */
  indexFileBytes = 0;
  active = false;
  #fd: number | undefined;
  #opening: Promise<number> | undefined;
  #users = 0;
  #removed = false;
  /** Settles once the file at `path` is this segment's (a compacted segment swapped in before its rename). */
  #openable: Promise<void> | undefined;

  constructor(directory: string, baseOffset: bigint) {
    this.directory = directory;
    this.baseOffset = baseOffset;
    this.path = join(directory, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = join(directory, offsetFileName(baseOffset, OFFSET_INDEX_SUFFIX));
    this.timeIndexPath = join(directory, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.nextOffset = baseOffset;
    this.committedNextOffset = baseOffset;
  }

  get removed(): boolean {
    return this.#removed;
  }

  /** Opens the file for appending; the active segment keeps this descriptor. `create` truncates (only ever a file past the log end). */
  async openForAppend(files: FileLayer, create: boolean): Promise<number> {
    const fd = await files.open(this.path, create ? 'w+' : 'r+');
    this.#fd = fd;
    return fd;
  }

  /** Takes over a descriptor opened for appending (during recovery). */
  adoptDescriptor(fd: number): void {
    this.#fd = fd;
  }

  get fd(): number | undefined {
    return this.#fd;
  }

  /**
   * A descriptor for reading, opened on demand; call release() when done. A segment that left
   * the log is not opened again: its path may already name the compacted file that replaced
   * it (`removed` then tells the reader to look at the log's segments again).
   */
  async acquire(files: FileLayer, descriptors: DescriptorCache): Promise<number> {
    this.#users += 1;
    try {
      if (this.#fd === undefined) {
        if (this.#openable !== undefined) await this.#openable;
        if (this.#removed) throw this.removedError();
        this.#opening ??= files.open(this.path, 'r');
        try {
          this.#fd = await this.#opening;
        } catch (error) {
          // Retention unlinked the file while it was opening.
          throw this.#removed ? this.removedError() : error;
        } finally {
          this.#opening = undefined;
        }
        // Removed while the file was opening: the descriptor may be of the replacement.
        if (this.#removed) throw this.removedError();
      }
      if (!this.active) descriptors.touch(this);
      return this.#fd;
    } catch (error) {
      this.release(files);
      throw error;
    }
  }

  /** Reads wait for `ready` before they open the file: the segment is in the log before its file has its final name. */
  openAfter(ready: Promise<void>): void {
    this.#openable = ready;
    ready.then(() => {
      if (this.#openable === ready) this.#openable = undefined;
    }, () => {});
  }

  /** The error of a read that reached a segment after it left the log. */
  removedError(): TributaryError {
    return new TributaryError('STORAGE_CLOSED', `${this.path} left the log while it was being read`, { path: this.path, segmentRemoved: true });
  }

  release(files: FileLayer): void {
    this.#users -= 1;
    if (this.#users === 0 && this.#removed) void this.#closeFd(files);
  }

  /** Closes the descriptor if nobody is reading and the segment is not active; for the open-file cache. */
  closeIfIdle(files: FileLayer): boolean {
    if (this.active || this.#users > 0 || this.#opening !== undefined) return false;
    void this.#closeFd(files);
    return true;
  }

  dropIndex(): boolean {
    if (this.active) return false;
    this.index = undefined;
    return true;
  }

  /** The segment left the log (retention, truncation): close once the last reader is done. */
  markRemoved(files: FileLayer): void {
    this.#removed = true;
    this.active = false;
    if (this.#users === 0) void this.#closeFd(files);
  }

  async close(files: FileLayer): Promise<void> {
    await this.#closeFd(files);
  }

  async #closeFd(files: FileLayer): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      await files.close(fd, this.path);
    } catch {
      // A failed close of a file we only read loses nothing.
    }
  }

  /**
   * Walks batch headers from `start` (an index position) to `limit` and returns the
   * first batch the predicate accepts, reading headers only.
   */
  async findBatch(files: PositionalReader, fd: number, start: number, limit: number, accept: (header: RecordBatchHeader) => boolean): Promise<RecordBatchHeader | undefined> {
    // No larger than what is left: a read at the tail then takes a slice of Node's shared
    // buffer pool instead of a fresh 16 KB allocation, which under a stream of small fetches
    // was enough external memory to set off a full garbage collection every second.
    const buffer = Buffer.allocUnsafe(Math.max(RECORD_BATCH_HEADER_BYTES, Math.min(LOCATE_CHUNK_BYTES, limit - start)));
    let position = start;
    while (limit - position >= RECORD_BATCH_HEADER_BYTES) {
      const length = await files.read(fd, this.path, buffer, Math.min(buffer.length, limit - position), position);
      const window = buffer.subarray(0, length);
      let at = 0;
      while (length - at >= RECORD_BATCH_HEADER_BYTES) {
        const header = readBatchHeader(window, at);
        if (header.sizeBytes < RECORD_BATCH_HEADER_BYTES || position + at + header.sizeBytes > limit) {
          throw new TributaryError('STORAGE_CORRUPT', `${this.path}: batch at byte ${position + at} has an invalid length ${header.batchLength}`, { path: this.path, position: position + at });
        }
        if (accept(header)) return { ...header, position: position + at };
        at += header.sizeBytes;
      }
      if (at === 0) break;
      position += at;
    }
    return undefined;
  }

  /**
   * Whole batches from `position`, at most maxBytes of them. The first batch comes whole even
   * when it is larger (KIP-74), unless `minOneBatch` is false: then a read whose first batch
   * does not fit returns nothing. Each batch's CRC is checked before it is served; the read
   * stops before a corrupt batch and fails if the first one is corrupt.
   */
  async readBatches(files: PositionalReader, fd: number, position: number, maxBytes: number, limit: number, onCorrupt: (problem: BatchProblem) => void, minOneBatch = true): Promise<Buffer> {
    const wanted = Math.min(maxBytes, READ_BYTES_MAX, limit - position);
    let buffer = Buffer.allocUnsafe(Math.max(wanted, RECORD_BATCH_HEADER_BYTES));
    let length = await files.read(fd, this.path, buffer, Math.min(buffer.length, limit - position), position);
    // A buffer of a header's size may hold more than maxBytes; batches past maxBytes do not count.
    const usable = Math.min(length, Math.max(wanted, 0));
    let end = 0;
    while (usable - end >= RECORD_BATCH_LOG_OVERHEAD) {
      const size = buffer.readInt32BE(end + 8) + RECORD_BATCH_LOG_OVERHEAD;
      if (size < RECORD_BATCH_HEADER_BYTES || end + size > usable) break;
      end += size;
    }
    if (end === 0 && !minOneBatch) return Buffer.alloc(0);
    if (end === 0) {
      // The first batch is larger than maxBytes: read it whole (KIP-74).
      if (length < RECORD_BATCH_LOG_OVERHEAD) return Buffer.alloc(0);
      const size = buffer.readInt32BE(8) + RECORD_BATCH_LOG_OVERHEAD;
      if (size < RECORD_BATCH_HEADER_BYTES || position + size > limit) {
        const problem: BatchProblem = { reason: 'invalid-length', position, message: `batch at byte ${position} of ${this.path} declares an impossible length ${size - RECORD_BATCH_LOG_OVERHEAD}` };
        onCorrupt(problem);
        throw new TributaryError('STORAGE_CORRUPT', problem.message, { path: this.path, position });
      }
      buffer = Buffer.allocUnsafe(size);
      length = await files.read(fd, this.path, buffer, size, position);
      end = length === size ? size : 0;
    }
    const batches = buffer.subarray(0, end);
    for (let at = 0; at < end;) {
      // A compacted batch may hold fewer records than its offsets span.
      const checked = checkBatch(batches, at, { positionBase: position, requireDenseOffsets: false });
      if ('problem' in checked) {
        const problem: BatchProblem = { ...checked.problem, message: `${this.path}: ${checked.problem.message}` };
        onCorrupt(problem);
        if (at === 0) throw new TributaryError('STORAGE_CORRUPT', `refusing to serve a corrupt batch: ${problem.message}`, { path: this.path, position: position + at, reason: problem.reason });
        end = at;
        break;
      }
      at += checked.header.sizeBytes;
    }
    return buffer.subarray(0, end);
  }
}

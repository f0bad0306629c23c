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
import { TributaryError } from '../../shared/errors.ts';
import {
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD,
  checkBatch,
  readBatchHeader,
  type BatchProblem,
  type RecordBatchHeader,
} from '../../shared/kafka/record-batch.ts';
import type { FileLayer, PositionalReader } from './file-io.ts';
import { SegmentIndex } from './segment-index.ts';

export const LOG_SUFFIX = '.log';
export const OFFSET_INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Kafka's file names: the base offset in 20 decimal digits, enough for any int64. */
const OFFSET_DIGITS = 20;

/** Bytes read per step when a segment is scanned (recovery, index rebuild): large sequential reads, bounded memory. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;
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

/** A small least-recently-used set; `evict` decides whether an entry may go now. */
export class LruSet<T> {
  readonly #items = new Set<T>();
  readonly #max: number;
  readonly #evict: (item: T) => boolean;

  constructor(max: number, evict: (item: T) => boolean) {
    this.#max = max;
    this.#evict = evict;
  }

  touch(item: T): void {
    this.#items.delete(item);
    this.#items.add(item);
    if (this.#items.size <= this.#max) return;
    for (const candidate of this.#items) {
      if (this.#items.size <= this.#max) break;
      if (candidate !== item && this.#evict(candidate)) this.#items.delete(candidate);
    }
  }

  delete(item: T): void {
    this.#items.delete(item);
  }
}

/** Segment files kept open for reading at once, store-wide; a small device has a low open-file limit. */
export const OPEN_SEGMENT_FILES_MAX = 128;
/** Indexes of inactive segments kept in memory at once, store-wide (about 0.5% of a segment's size each). */
export const LOADED_SEGMENT_INDEXES_MAX = 64;

export interface SegmentCaches {
  files: LruSet<Segment>;
  indexes: LruSet<Segment>;
}

export function createSegmentCaches(files: FileLayer): SegmentCaches {
  return {
    files: new LruSet<Segment>(OPEN_SEGMENT_FILES_MAX, (segment) => segment.closeIfIdle(files)),
    indexes: new LruSet<Segment>(LOADED_SEGMENT_INDEXES_MAX, (segment) => segment.dropIndex()),
  };
}

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
  onBatch?: (header: RecordBatchHeader, position: number) => void;
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

  /** A descriptor for reading, opened on demand; call release() when done. */
  async acquire(files: FileLayer, caches: SegmentCaches): Promise<number> {
    this.#users += 1;
    try {
      if (this.#fd === undefined) {
        this.#opening ??= files.open(this.path, 'r');
        try {
          this.#fd = await this.#opening;
        } finally {
          this.#opening = undefined;
        }
      }
      if (!this.active) caches.files.touch(this);
      return this.#fd;
    } catch (error) {
      this.#users -= 1;
      throw error;
    }
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
   * Walks the batches from a position, checking each one (length, magic, CRC-32C,
   * record count, contiguous offsets) and indexing it, until the end of the file or the
   * first problem.
   */
  static async scan(files: FileLayer, fd: number, path: string, baseOffset: bigint, options: ScanOptions): Promise<ScanResult> {
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
        const checked = checkBatch(window, at, { positionBase: position });
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
        if (header.baseOffset !== expected) {
          position += at;
          return finish({ position, reason: 'offset-mismatch', message: `batch at byte ${position} has base offset ${header.baseOffset} but the log continues at ${expected}` });
        }
        options.index.addBatch(Number(header.baseOffset - baseOffset), position + at, size, header.maxTimestamp);
        options.onBatch?.(header, position + at);
        if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
        expected = header.lastOffset + 1n;
        batches += 1;
        at += size;
      }
      position += at;
    }
    return finish();
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
   * Reads whole batches from `position`: as many as fit in maxBytes, and always the
   * first one even if it is larger (KIP-74). Each batch's CRC is checked before it is
   * served; the read stops before a corrupt batch and fails if the first one is corrupt.
   */
  /**
   * Whole batches from `position`, at most maxBytes of them. The first batch comes whole even
   * when it is larger (KIP-74), unless `minOneBatch` is false: then a read whose first batch
   * does not fit returns nothing.
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
      const checked = checkBatch(batches, at, { positionBase: position });
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

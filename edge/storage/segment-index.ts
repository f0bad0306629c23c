// The sparse offset index and time index of one segment.
//
// While a segment is active its index lives in memory and is never written on the
// append path (that would add a write and a sync per group); it is written once, whole,
// when the segment rolls and at a clean shutdown. After a crash, the active segment is
// scanned anyway to verify its batches, and its index is rebuilt from that scan.
//
// Both files share one layout (big-endian):
//   offset  size  field
//        0     4  magic            "TOIX" (offset index) or "TTIX" (time index)
//        4     2  version          1
//        6     2  entry size       8 (offset index) or 16 (time index)
//        8     4  segment bytes    size of the .log file the index describes
//       12     4  entry count
//       16     8  next offset      offset after the segment's last batch
//       24     8  max timestamp    largest batch maxTimestamp in the segment (-1 if none)
//       32     …  entries
//      end-4   4  CRC-32C of everything before it
// Offset index entry: relative offset u32, position u32 — the batch starting at that
// position has base offset segmentBase + relative offset.
// Time index entry: timestamp i64, relative offset u32, position u32 — the timestamp is
// the largest maxTimestamp of all batches before that position, so a search for time T
// may start at the last entry whose timestamp is below T.
//
// An index that fails any check (magic, CRC, size, a segment size that differs from the
// .log file) is rebuilt from the segment, never trusted.
import { crc32c } from '@node-rs/crc32';

/** One index entry per this many bytes of log, like Kafka's index.interval.bytes: a lookup then scans at most ~4 KiB. */
export const INDEX_INTERVAL_BYTES = 4096;

const OFFSET_INDEX_MAGIC = 0x544f4958; // "TOIX"
const TIME_INDEX_MAGIC = 0x54544958; // "TTIX"
const INDEX_VERSION = 1;
const HEADER_BYTES = 32;
const TRAILER_BYTES = 4;
const OFFSET_ENTRY_BYTES = 8;
const TIME_ENTRY_BYTES = 16;

export interface IndexSummary {
  segmentBytes: number;
  nextOffset: bigint;
  maxTimestamp: bigint;
}

export class SegmentIndex {
  /** Flattened [relativeOffset, position, …]. */
  readonly #offsets: number[] = [];
  /** Flattened [timestamp, relativeOffset, position, …]; timestamps are milliseconds, exact below 2^53. */
  readonly #times: number[] = [];
  #bytesSinceEntry = 0;
  /** Largest maxTimestamp of all batches indexed so far. */
  maxTimestamp = -1n;
  #lastTimeEntry = -Infinity;

  /** Records one batch appended at `position` (in order, every batch of the segment). */
  addBatch(relativeOffset: number, position: number, sizeBytes: number, batchMaxTimestamp: bigint): void {
    if (this.#bytesSinceEntry >= INDEX_INTERVAL_BYTES) {
      this.#offsets.push(relativeOffset, position);
      const timestamp = Number(this.maxTimestamp);
      if (timestamp > this.#lastTimeEntry) {
        this.#times.push(timestamp, relativeOffset, position);
        this.#lastTimeEntry = timestamp;
      }
      this.#bytesSinceEntry = 0;
    }
    this.#bytesSinceEntry += sizeBytes;
    if (batchMaxTimestamp > this.maxTimestamp) this.maxTimestamp = batchMaxTimestamp;
  }

  /** Position of the last indexed batch whose base offset is <= relativeOffset (0 if none). */
  lookupOffset(relativeOffset: number): number {
    const entries = this.#offsets;
    let low = 0;
    let high = entries.length / 2 - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (entries[middle * 2]! <= relativeOffset) {
        found = entries[middle * 2 + 1]!;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** A position from which a forward scan finds the first batch with maxTimestamp >= timestamp. */
  lookupTimestamp(timestamp: bigint): number {
    const target = Number(timestamp);
    const entries = this.#times;
    let low = 0;
    let high = entries.length / 3 - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (entries[middle * 3]! < target) {
        found = entries[middle * 3 + 2]!;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** Drops entries at or after `position`; used when the log is truncated. maxTimestamp is set by the caller. */
  truncateTo(position: number, maxTimestamp: bigint): void {
    while (this.#offsets.length > 0 && this.#offsets[this.#offsets.length - 1]! >= position) this.#offsets.length -= 2;
    while (this.#times.length > 0 && this.#times[this.#times.length - 1]! >= position) this.#times.length -= 3;
    this.#lastTimeEntry = this.#times.length > 0 ? this.#times[this.#times.length - 3]! : -Infinity;
    const lastPosition = this.#offsets.length > 0 ? this.#offsets[this.#offsets.length - 1]! : 0;
    // Conservative: the next entry comes a little later than it would have, never earlier.
    this.#bytesSinceEntry = Math.max(0, position - lastPosition);
    this.maxTimestamp = maxTimestamp;
  }

  serializeOffsets(summary: IndexSummary): Buffer {
    const count = this.#offsets.length / 2;
    const buffer = Buffer.alloc(HEADER_BYTES + count * OFFSET_ENTRY_BYTES + TRAILER_BYTES);
    writeHeader(buffer, OFFSET_INDEX_MAGIC, OFFSET_ENTRY_BYTES, count, summary);
    for (let i = 0; i < count; i++) {
      buffer.writeUInt32BE(this.#offsets[i * 2]!, HEADER_BYTES + i * OFFSET_ENTRY_BYTES);
      buffer.writeUInt32BE(this.#offsets[i * 2 + 1]!, HEADER_BYTES + i * OFFSET_ENTRY_BYTES + 4);
    }
    writeTrailer(buffer);
    return buffer;
  }

  serializeTimes(summary: IndexSummary): Buffer {
    const count = this.#times.length / 3;
    const buffer = Buffer.alloc(HEADER_BYTES + count * TIME_ENTRY_BYTES + TRAILER_BYTES);
    writeHeader(buffer, TIME_INDEX_MAGIC, TIME_ENTRY_BYTES, count, summary);
    for (let i = 0; i < count; i++) {
      const at = HEADER_BYTES + i * TIME_ENTRY_BYTES;
      buffer.writeBigInt64BE(BigInt(this.#times[i * 3]!), at);
      buffer.writeUInt32BE(this.#times[i * 3 + 1]!, at + 8);
      buffer.writeUInt32BE(this.#times[i * 3 + 2]!, at + 12);
    }
    writeTrailer(buffer);
    return buffer;
  }

  /**
   * Rebuilds an index from its two files, or explains why they cannot be trusted.
   * `segmentBytes` is the actual size of the .log file.
   */
  static parse(offsetFile: Buffer | undefined, timeFile: Buffer | undefined, segmentBytes: number): { index: SegmentIndex; summary: IndexSummary } | { problem: string } {
    if (offsetFile === undefined) return { problem: 'offset index file is missing' };
    if (timeFile === undefined) return { problem: 'time index file is missing' };
    const offsetHeader = checkFile(offsetFile, OFFSET_INDEX_MAGIC, OFFSET_ENTRY_BYTES, 'offset index');
    if ('problem' in offsetHeader) return offsetHeader;
    const timeHeader = checkFile(timeFile, TIME_INDEX_MAGIC, TIME_ENTRY_BYTES, 'time index');
    if ('problem' in timeHeader) return timeHeader;
    const summary = offsetHeader.summary;
    if (summary.segmentBytes !== segmentBytes) return { problem: `offset index describes ${summary.segmentBytes} bytes of log but the segment holds ${segmentBytes}` };
    if (timeHeader.summary.segmentBytes !== segmentBytes || timeHeader.summary.nextOffset !== summary.nextOffset) return { problem: 'time index and offset index describe different segments' };

    const index = new SegmentIndex();
    let previousRelative = -1;
    let previousPosition = -1;
    for (let i = 0; i < offsetHeader.count; i++) {
      const relative = offsetFile.readUInt32BE(HEADER_BYTES + i * OFFSET_ENTRY_BYTES);
      const position = offsetFile.readUInt32BE(HEADER_BYTES + i * OFFSET_ENTRY_BYTES + 4);
      if (relative <= previousRelative || position <= previousPosition || position >= segmentBytes) return { problem: `offset index entry ${i} (${relative} -> ${position}) is out of order or outside the segment` };
      index.#offsets.push(relative, position);
      previousRelative = relative;
      previousPosition = position;
    }
    let previousTimestamp = -Infinity;
    previousPosition = -1;
    for (let i = 0; i < timeHeader.count; i++) {
      const at = HEADER_BYTES + i * TIME_ENTRY_BYTES;
      const timestamp = Number(timeFile.readBigInt64BE(at));
      const relative = timeFile.readUInt32BE(at + 8);
      const position = timeFile.readUInt32BE(at + 12);
      if (timestamp <= previousTimestamp || position <= previousPosition || position >= segmentBytes) return { problem: `time index entry ${i} is out of order or outside the segment` };
      index.#times.push(timestamp, relative, position);
      previousTimestamp = timestamp;
      previousPosition = position;
    }
    index.maxTimestamp = summary.maxTimestamp;
    index.#lastTimeEntry = previousTimestamp;
    return { index, summary };
  }
}

function writeHeader(buffer: Buffer, magic: number, entryBytes: number, count: number, summary: IndexSummary): void {
  buffer.writeUInt32BE(magic, 0);
  buffer.writeUInt16BE(INDEX_VERSION, 4);
  buffer.writeUInt16BE(entryBytes, 6);
  buffer.writeUInt32BE(summary.segmentBytes, 8);
  buffer.writeUInt32BE(count, 12);
  buffer.writeBigInt64BE(summary.nextOffset, 16);
  buffer.writeBigInt64BE(summary.maxTimestamp, 24);
}

function writeTrailer(buffer: Buffer): void {
  buffer.writeUInt32BE(crc32c(buffer.subarray(0, buffer.length - TRAILER_BYTES)) >>> 0, buffer.length - TRAILER_BYTES);
}

function checkFile(file: Buffer, magic: number, entryBytes: number, name: string): { count: number; summary: IndexSummary } | { problem: string } {
  if (file.length < HEADER_BYTES + TRAILER_BYTES) return { problem: `${name} file is ${file.length} bytes, shorter than its header` };
  if (file.readUInt32BE(0) !== magic) return { problem: `${name} file has a wrong magic number` };
  if (file.readUInt16BE(4) !== INDEX_VERSION || file.readUInt16BE(6) !== entryBytes) return { problem: `${name} file has an unknown version or entry size` };
  const count = file.readUInt32BE(12);
  if (file.length !== HEADER_BYTES + count * entryBytes + TRAILER_BYTES) return { problem: `${name} file is ${file.length} bytes but its header declares ${count} entries` };
  const stored = file.readUInt32BE(file.length - TRAILER_BYTES);
  if ((crc32c(file.subarray(0, file.length - TRAILER_BYTES)) >>> 0) !== stored) return { problem: `${name} file fails its CRC-32C check` };
  return { count, summary: { segmentBytes: file.readUInt32BE(8), nextOffset: file.readBigInt64BE(16), maxTimestamp: file.readBigInt64BE(24) } };
}

// One compaction pass over one partition (cleanup.policy compact), as Kafka's LogCleaner
// cleans: the newest record of every key is kept, older ones go; offsets never change.
//
//   cleanable  the closed segments below the cleanable end: min(the active segment's base,
//              the partition's cleanableEndOffset, how far a mirror delivered it), and
//              whose newest record is older than min.compaction.lag.ms.
//   dirty      the cleanable records from the first dirty offset (where the last pass
//              ended, in `cleaner-offset`) on; the rest were cleaned before.
// 1. The key map: every key of the dirty records and the offset of its newest record. When
//    the map fills, the pass covers the dirty records up to there (a partial pass); the next
//    pass goes on from there.
// 2. Every cleanable segment from the log start is copied, oldest first, into groups of at
//    most segment.bytes: a record stays when the map has no newer offset for its key; a
//    tombstone (null value) goes once it is older than delete.retention.ms; a record without
//    a key goes (as Kafka's cleaner drops it). Transactions (KIP-98), as Kafka's cleaner
//    treats them: the batches of an aborted transaction go whole (the aborted-transaction
//    index says which, walked as a read_committed reader walks it); a commit marker goes
//    once it is older than delete.retention.ms and no batch of its transaction is left before
//    it, so that a reader never meets a transaction's records without its marker. Abort
//    markers stay while the aborted-transaction index lists their transactions: it is kept
//    in the producer-state snapshots, and a reader told of an aborted transaction needs its
//    marker to know where it ends. Committed transactional batches stay whole and are not in
//    the map: no record of a transaction is weighed against another.
// 3. Each group is swapped in crash-safely (segment-swap.ts); the first dirty offset moves.
//
// Reads go through Segment.acquire and the verifying walk (segment-scan.ts), so each batch's
// CRC is checked before it is copied; a corrupt batch gives up the pass and changes nothing.
import { TributaryError } from '../../../shared/errors.ts';
import { decodeRecords, type RecordBatchHeader } from '../../../shared/kafka/record-batch.ts';
import { markerOf } from '../../../shared/kafka/control-batch.ts';
import { AbortedBatchFilter } from '../../../shared/kafka/read-committed.ts';
import { readCleanerOffset, writeCleanerOffset } from '../checkpoint.ts';
import type { PartitionState } from '../partition-state.ts';
import { Segment } from '../segment.ts';
import { writeSegmentIndex } from '../segment-index-files.ts';
import { SegmentIndex } from '../segment-index.ts';
import { scanSegment } from '../segment-scan.ts';
import { filterBatch } from './batch-filter.ts';
import { CleanedSegmentWriter } from './cleaned-segment-writer.ts';
import type { KeyOffsetMap } from './key-map.ts';
import { commitSwap, finishSwap } from './segment-swap.ts';

/** Offsets one segment may span: relative offsets are 32-bit in the index (RELATIVE_OFFSET_MAX of partition-writer.ts). */
const GROUP_OFFSET_SPAN_MAX = 2n ** 31n - 1n;

export interface CleanerPassOptions {
  map: KeyOffsetMap;
  nowMs: number;
}

export interface CleanerPassResult {
  /** Whether there was anything to clean. */
  cleaned: boolean;
  /** The first dirty offset after the pass. */
  firstDirtyOffset: bigint;
  /** Whether the key map filled before the dirty records ended. */
  partial: boolean;
  /** Bytes of the segments the pass rewrote: the log cleaned. */
  cleanedBytes: number;
  /** Of removedRecords, those of aborted transactions and the commit markers of transactions with no batch left. */
  removedTransactionRecords: number;
  /** Bytes read: the dirty segments twice (key map, then copy), the clean ones once. */
  readBytes: number;
  writtenBytes: number;
  removedRecords: number;
  segmentsBefore: number;
  segmentsAfter: number;
}

/** The share of the cleanable bytes not yet cleaned; the cleaner starts a pass once it reaches min.cleanable.dirty.ratio. */
export interface DirtyShare {
  cleanable: Segment[];
  firstDirtyOffset: bigint;
  dirtyBytes: number;
  cleanBytes: number;
  /** The newest record of the oldest dirty segment, -1 when none; for max.compaction.lag.ms. */
  oldestDirtyTimestamp: bigint;
}

/** Whether a pass is due: the dirty share reached min.cleanable.dirty.ratio, or dirty records waited max.compaction.lag.ms. */
export function passIsDue(share: DirtyShare, config: { minCleanableDirtyRatio: number; maxCompactionLagMs: number }, nowMs: number): boolean {
  if (share.dirtyBytes === 0) return false;
  if (share.dirtyBytes / (share.dirtyBytes + share.cleanBytes) >= config.minCleanableDirtyRatio) return true;
  return share.oldestDirtyTimestamp >= 0n && nowMs - Number(share.oldestDirtyTimestamp) >= config.maxCompactionLagMs;
}

/** Which segments may be cleaned now, and how much of them is dirty. */
export async function measureDirty(state: PartitionState, nowMs: number, cleanableEndOffset: bigint): Promise<DirtyShare> {
  const config = state.context.config();
  const lagCutoff = BigInt(nowMs - config.minCompactionLagMs);
  const cleanable: Segment[] = [];
  for (const segment of state.segments) {
    if (segment.active || segment.nextOffset > cleanableEndOffset || segment.maxTimestamp > lagCutoff) break;
    cleanable.push(segment);
  }
  const stored = await readCleanerOffset(state.context.files, state.directory);
  const firstDirtyOffset = typeof stored === 'bigint' ? stored : 0n;
  let dirtyBytes = 0;
  let cleanBytes = 0;
  let oldestDirtyTimestamp = -1n;
  for (const segment of cleanable) {
    if (segment.nextOffset <= firstDirtyOffset) {
      cleanBytes += segment.sizeBytes;
      continue;
    }
    dirtyBytes += segment.sizeBytes;
    if (oldestDirtyTimestamp < 0n) oldestDirtyTimestamp = segment.maxTimestamp;
  }
  return { cleanable, firstDirtyOffset, dirtyBytes, cleanBytes, oldestDirtyTimestamp };
}

class PassAbandoned extends Error {}

/** Runs one pass over `share.cleanable` (from measureDirty). */
export async function cleanPartition(state: PartitionState, share: DirtyShare, options: CleanerPassOptions): Promise<CleanerPassResult> {
  const { cleanable, firstDirtyOffset } = share;
  const result: CleanerPassResult = { cleaned: false, firstDirtyOffset, partial: false, cleanedBytes: 0, readBytes: 0, writtenBytes: 0, removedRecords: 0, removedTransactionRecords: 0, segmentsBefore: cleanable.length, segmentsAfter: cleanable.length };
  const dirty = cleanable.filter((segment) => segment.nextOffset > firstDirtyOffset);
  if (dirty.length === 0) return result;
  const { map } = options;
  map.clear();

  // 1. The key map over the dirty records.
  let mapEnd = dirty[dirty.length - 1]!.nextOffset;
  try {
    for (const segment of dirty) {
      result.readBytes += await walk(state, segment, (header, bytes) => {
        if (header.lastOffset < firstDirtyOffset || header.isControlBatch || header.isTransactional) return;
        if (map.size + header.recordCount > map.keysMax) {
          mapEnd = header.baseOffset;
          throw new PassAbandoned();
        }
        for (const record of decodeRecords(bytes)) {
          if (record.offset >= firstDirtyOffset && record.key !== null) map.put(record.key, record.offset);
        }
      });
    }
  } catch (error) {
    if (!(error instanceof PassAbandoned)) throw error;
    result.partial = true;
  }
  if (mapEnd <= firstDirtyOffset) {
    throw new TributaryError('STORAGE_IO', `${state.name}: one batch at offset ${mapEnd} holds more keys than the cleaner's key map (CLEANER_KEY_MAP_BYTES_MAX); the partition is not compacted`, { topic: state.topic, partition: state.index, offset: mapEnd });
  }

  // 2. Copy the segments from the log start up to the map's end, in groups.
  const config = state.context.config();
  const tombstoneCutoff = BigInt(options.nowMs - config.deleteRetentionMs);
  const sources = cleanable.filter((segment) => segment.baseOffset < mapEnd);
  const keep = (offset: bigint, key: Buffer | null, value: Buffer | null, timestamp: bigint): boolean => {
    if (offset >= mapEnd) return true;
    if (key === null) return false;
    const newest = map.get(key);
    if (newest !== undefined && newest > offset) return false;
    return value !== null || timestamp > tombstoneCutoff;
  };
  // A group grows while its cleaned bytes so far plus the next source's whole size fit one segment.
  let group: SegmentGroup | undefined;
  let writer: CleanedSegmentWriter | undefined;
  const endOf = (segment: Segment): bigint => cleanable[cleanable.indexOf(segment) + 1]?.baseOffset ?? segment.nextOffset;
  const closeGroup = async (): Promise<boolean> => {
    if (group === undefined || writer === undefined) return true;
    const [done, output] = [group, writer];
    group = undefined;
    writer = undefined;
    try {
      await output.finish();
    } catch (error) {
      await output.discard();
      throw error;
    }
    result.writtenBytes += output.writtenBytes;
    if (!(await swapIn(state, done, output))) {
      await output.discard();
      return false;
    }
    result.segmentsAfter -= done.sources.length - 1;
    return true;
  };
  // Below the last stable offset every transaction has its marker, and the index lists every aborted one.
  const transactions = new TransactionBatches(state.producers.abortedTransactions(0n, mapEnd), tombstoneCutoff);
  try {
    for (const source of sources) {
      if (state.status !== 'open') throw new PassAbandoned();
      const end = endOf(source);
      if (group !== undefined && (writer!.sizeBytes + source.sizeBytes > config.segmentBytes || end - group.sources[0]!.baseOffset > GROUP_OFFSET_SPAN_MAX)) {
        if (!(await closeGroup())) throw new PassAbandoned();
      }
      if (group === undefined) {
        group = { sources: [], endOffset: end };
        writer = await CleanedSegmentWriter.create(state.context.files, state.directory, source.baseOffset);
      }
      group.sources.push(source);
      group.endOffset = end;
      result.cleanedBytes += source.sizeBytes;
      const output = writer!;
      result.readBytes += await walk(state, source, async (header, bytes) => {
        if (header.isTransactional && !transactions.keeps(header, bytes)) {
          result.removedRecords += header.recordCount;
          result.removedTransactionRecords += header.recordCount;
          return;
        }
        if (header.isControlBatch || header.isTransactional || header.baseOffset >= mapEnd) {
          await output.append(bytes, header.baseOffset, header.maxTimestamp);
          return;
        }
        const filtered = filterBatch(bytes, header, (record) => keep(record.offset, record.key, record.value, record.timestamp));
        if (filtered.kind === 'whole') await output.append(bytes, header.baseOffset, header.maxTimestamp);
        else result.removedRecords += filtered.removed;
        if (filtered.kind === 'rewritten') await output.append(filtered.bytes, header.baseOffset, header.maxTimestamp);
      });
    }
    if (!(await closeGroup())) throw new PassAbandoned();
  } catch (error) {
    await (writer as CleanedSegmentWriter | undefined)?.discard();
    // Retention, a deletion or a close got to these segments first: what was swapped in stays, the rest waits for the next pass.
    if (error instanceof PassAbandoned) return result;
    throw error;
  }
  result.cleaned = true;
  result.firstDirtyOffset = mapEnd;
  await writeCleanerOffset(state.context.files, state.directory, mapEnd);
  return result;
}

/**
 * Which transactional batches a pass keeps, walked in offset order from the log start: not
 * those of aborted transactions (Kafka's cleaner drops them, KIP-98), and not a commit marker
 * older than delete.retention.ms whose transaction has no batch left before it (gone with
 * retention). Abort markers stay (see keeps).
 */
class TransactionBatches {
  readonly #aborted: AbortedBatchFilter;
  readonly #markerCutoff: bigint;
  /** Producers with a batch kept since their last marker: their next marker must stay. */
  readonly #keptSinceMarker = new Set<bigint>();

  constructor(aborted: readonly { producerId: bigint; firstOffset: bigint }[], markerCutoff: bigint) {
    this.#aborted = new AbortedBatchFilter(aborted);
    this.#markerCutoff = markerCutoff;
  }

  /** Call for every transactional batch (control batches included) in offset order; `bytes` is the batch alone. */
  keeps(header: RecordBatchHeader, bytes: Buffer): boolean {
    const skipped = this.#aborted.skips({ ...header, position: 0 }, bytes);
    if (!header.isControlBatch) {
      if (skipped) return false;
      this.#keptSinceMarker.add(header.producerId);
      return true;
    }
    const hasBatches = this.#keptSinceMarker.delete(header.producerId);
    // An abort marker stays: the aborted-transaction index (kept in the producer-state
    // snapshots) still lists its transaction, and a read_committed reader told of it drops the
    // producer's batches from its first offset until it meets this marker, so without it the
    // producer's later committed batches would be dropped too.
    if (markerOf({ ...header, position: 0 }, bytes) === 'abort') return true;
    return hasBatches || header.maxTimestamp > this.#markerCutoff;
  }
}

interface SegmentGroup {
  sources: Segment[];
  /** The first offset after the group: the next segment's base, or the last source's end. */
  endOffset: bigint;
}

/**
 * Swaps the written segment in for the group, on disk and in the partition's segment list.
 * False when the group is no longer in the log as it was (retention or a deletion got there
 * first): then nothing changed.
 */
async function swapIn(state: PartitionState, group: SegmentGroup, writer: CleanedSegmentWriter): Promise<boolean> {
  const at = state.segments.indexOf(group.sources[0]!);
  if (state.status !== 'open' || at < 0 || group.sources.some((source, k) => state.segments[at + k] !== source)) return false;
  const { files, logger } = state.context;
  const base = writer.baseOffset;
  await commitSwap(files, state.directory, base, group.endOffset);
  // From here the swap is committed: the new segment replaces the group in the list at once,
  // and reads of it wait until its file has its name.
  const replacement = new Segment(state.directory, base);
  replacement.sizeBytes = replacement.committedBytes = replacement.syncedBytes = writer.sizeBytes;
  replacement.nextOffset = replacement.committedNextOffset = group.endOffset;
  replacement.maxTimestamp = replacement.committedMaxTimestamp = writer.index.maxTimestamp;
  replacement.index = writer.index;
  const { promise: renamed, resolve, reject } = Promise.withResolvers<void>();
  replacement.openAfter(renamed);
  state.segments.splice(at, group.sources.length, replacement);
  for (const source of group.sources) state.retire(source);
  const finishing = (async () => {
    try {
      await finishSwap(files, state.directory, base, group.endOffset, await files.readdir(state.directory));
      resolve();
      await writeSegmentIndex(files, replacement, logger);
      replacement.dropIndex();
    } catch (error) {
      // The swap is committed on disk: the next start finishes it. Until then reads of these offsets fail.
      logger.error({ err: error, topic: state.topic, partition: state.index, baseOffset: base.toString() }, 'a compacted segment could not take its name; the next start finishes the swap');
      reject(error);
    }
  })();
  state.segmentSwap = finishing;
  await finishing;
  if (state.segmentSwap === finishing) state.segmentSwap = undefined;
  return true;
}

/** Walks a segment's batches (CRC checked) and returns the bytes read. */
async function walk(state: PartitionState, segment: Segment, onBatch: (header: RecordBatchHeader, bytes: Buffer) => void | Promise<void>): Promise<number> {
  const { files, caches } = state.context;
  const fd = await segment.acquire(files, caches.files);
  try {
    const scan = await scanSegment(files, segment, fd, {
      fromPosition: 0,
      expectedOffset: segment.baseOffset,
      fileSize: segment.sizeBytes,
      index: new SegmentIndex(),
      allowOffsetGaps: true,
      onBatch: (header, _position, bytes) => onBatch(header, bytes),
    });
    if (scan.problem !== undefined) {
      throw new TributaryError('STORAGE_CORRUPT', `${segment.path}: ${scan.problem.message}; the partition is not compacted until it is repaired`, { path: segment.path, position: scan.problem.position });
    }
    return scan.endPosition;
  } finally {
    segment.release(files);
  }
}

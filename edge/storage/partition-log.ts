// One partition's log: an ordered list of segments, the last one active, and the parts
// that work on it, each in its own file:
//   partition-writer.ts  plans appends and hands them to the group committer; failures, cuts, rolls
//   segment-roller.ts    starts a new segment and writes checkpoints
//   commit-tracker.ts    the high watermark, and the appends and long polls waiting on it
//   partition-reader.ts  reads by offset and by time
// This class is the partition's public face: it owns the parts' shared state
// (partition-state.ts), passes each call to the part that does it, and runs the steps that
// involve several of them (DeleteRecords, retention, close, deletion).
import { TributaryError } from '../../shared/errors.ts';
import { writeLogStartOffset } from './checkpoint.ts';
import { CommitTracker } from './commit-tracker.ts';
import { cleanPartition, measureDirty, passIsDue, type CleanerPassResult, type DirtyShare } from './compaction/cleaner-pass.ts';
import type { KeyOffsetMap } from './compaction/key-map.ts';
import { PartitionReader } from './partition-reader.ts';
import { PartitionState, type PartitionContext } from './partition-state.ts';
import { PartitionWriter } from './partition-writer.ts';
import type { AbortedTransaction, ProducerBatch, ProducerEntry } from './producer-state.ts';
import { encodeMarkerBatch, type MarkerBatchOptions } from '../../shared/kafka/control-batch.ts';
import type { RecoveredPartition } from './recovery.ts';
import type { Segment } from './segment.ts';
import { SegmentRoller } from './segment-roller.ts';
import type { AppendResult, ReadResult } from './types.ts';

export class PartitionLog {
  readonly topic: string;
  readonly index: number;
  readonly directory: string;
  readonly #state: PartitionState;
  readonly #tracker: CommitTracker;
  readonly #roller: SegmentRoller;
  readonly #writer: PartitionWriter;
  readonly #reader: PartitionReader;
  /** DeleteRecords calls on this partition, one after another, so the log start only moves forward. */
  #deletions: Promise<unknown> = Promise.resolve();

  constructor(context: PartitionContext, topic: string, index: number, directory: string, recovered: Omit<RecoveredPartition, 'recovery'>) {
    this.topic = topic;
    this.index = index;
    this.directory = directory;
    this.#state = new PartitionState(context, topic, index, directory, recovered.segments, recovered.producers, recovered.deletedBefore);
    this.#tracker = new CommitTracker(this.#state);
    this.#roller = new SegmentRoller(this.#state, recovered.snapshotOffsets);
    this.#writer = new PartitionWriter(this.#state, this.#tracker, this.#roller);
    this.#reader = new PartitionReader(this.#state);
  }

  get logStartOffset(): bigint {
    return this.#state.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.#state.logEndOffset;
  }

  get highWatermark(): bigint {
    return this.#state.highWatermark;
  }

  /** The last stable offset (KIP-98): the high watermark, or the first offset of the earliest open transaction when lower. */
  get lastStableOffset(): bigint {
    return this.#state.lastStableOffset;
  }

  /**
   * The first offset of the earliest transaction still open here, undefined when none is.
   * Nothing at or above it may be cleaned (compaction) or treated as settled.
   */
  firstUnstableOffset(): bigint | undefined {
    return this.#state.producers.firstUnstableOffset();
  }

  /** Aborted transactions with records in [fromOffset, toOffset), for read_committed fetches (KIP-98). */
  abortedTransactions(fromOffset: bigint, toOffset: bigint): AbortedTransaction[] {
    return this.#state.producers.abortedTransactions(fromOffset, toOffset);
  }

  /**
   * Writes a transaction marker (a control batch) for a producer, in order with the
   * producers' appends; resolves once it is durable. Refused with PRODUCER_FENCED when the
   * producer already has a newer epoch here.
   */
  appendMarker(options: MarkerBatchOptions): Promise<AppendResult> {
    return this.#writer.append(encodeMarkerBatch(options), options.marker);
  }

  /** The largest timestamp of a durable record, -1 when there is none (ListOffsets MAX_TIMESTAMP, KIP-734). */
  get maxTimestamp(): bigint {
    let largest = -1n;
    for (const segment of this.#state.segments) if (segment.committedMaxTimestamp > largest) largest = segment.committedMaxTimestamp;
    return largest;
  }

  /** Segments oldest first; the last is active. For retention and metrics. */
  get segments(): readonly Segment[] {
    return this.#state.segments;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.#state.segments) total += segment.sizeBytes + segment.indexFileBytes;
    return total;
  }

  /** The idempotent producers this partition keeps state for, with their last batches (DescribeProducers). */
  get producers(): ProducerEntry[] {
    return this.#state.producers.entries();
  }

  /** Idempotent-producer state of one producer (for tests and diagnostics). */
  producer(producerId: bigint): { epoch: number; batches: readonly ProducerBatch[] } | undefined {
    return this.#state.producers.get(producerId);
  }

  /**
   * Appends one or more concatenated RecordBatch v2 batches. The buffer becomes the log's:
   * each batch's base offset and leader epoch are rewritten in place. Resolves once the
   * batches are durable under the topic's flush policy.
   */
  append(batches: Buffer): Promise<AppendResult> {
    return this.#writer.append(batches);
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to maxBytes (at least
   * one batch, KIP-74, unless `minOneBatch` is false), never past the high watermark and
   * never from two segments. `committedOnly` (read_committed) stops at the last stable offset.
   */
  read(offset: bigint, maxBytes: number, { minOneBatch = true, committedOnly = false }: { minOneBatch?: boolean; committedOnly?: boolean } = {}): Promise<ReadResult> {
    return this.#reader.read(offset, maxBytes, minOneBatch, committedOnly ? this.#state.lastStableOffset : undefined);
  }

  /** The first record (by offset) at or after the log start whose timestamp is >= timestampMs, below the high watermark. */
  offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    return this.#reader.offsetForTimestamp(timestampMs);
  }

  /**
   * Resolves true as soon as the high watermark (`committedOnly`: the last stable offset) is
   * above `offset`; false after timeoutMs, on abort, or when the partition closes. Never rejects.
   */
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal, committedOnly = false): Promise<boolean> {
    return this.#tracker.waitForData(offset, timeoutMs, signal, committedOnly);
  }

  /**
   * DeleteRecords (KIP-107): moves the log start offset up to `offset`, durably, before it
   * resolves with the new log start. Reads below it are out of range from then on; retention
   * deletes the segments wholly below it. An offset at or below the log start changes
   * nothing; one past the high watermark is OFFSET_OUT_OF_RANGE.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const state = this.#state;
    const run = this.#deletions.then(async () => {
      if (state.status !== 'open') throw state.closedError();
      const highWatermark = state.highWatermark;
      if (offset > highWatermark) {
        throw new TributaryError('OFFSET_OUT_OF_RANGE', `${state.name}: cannot delete records before offset ${offset}, past the high watermark ${highWatermark}`, { topic: this.topic, partition: this.index, offset, highWatermark });
      }
      if (offset <= state.logStartOffset) return state.logStartOffset;
      await writeLogStartOffset(state.context.files, this.directory, offset);
      state.deletedBefore = offset;
      state.context.logger.info({ event: 'records-deleted', topic: this.topic, partition: this.index, logStartOffset: offset.toString() }, 'records deleted: the log start offset moved');
      return offset;
    });
    this.#deletions = run.catch(() => undefined);
    return run;
  }

  /**
   * The offset below which the cleaner may compact. Today the high watermark: nothing a
   * reader cannot see yet is cleaned. Transactions bound it by the first unstable offset
   * (the last stable offset), so that no record of an open transaction is weighed (KIP-98).
   */
  get cleanableEndOffset(): bigint {
    return this.#state.highWatermark;
  }

  /** Which closed segments compaction may clean now and how dirty they are; never past `deliveredOffset` when a mirror reports one. */
  measureDirty(nowMs: number, deliveredOffset?: bigint): Promise<DirtyShare> {
    const end = deliveredOffset !== undefined && deliveredOffset < this.cleanableEndOffset ? deliveredOffset : this.cleanableEndOffset;
    return measureDirty(this.#state, nowMs, end);
  }

  passIsDue(share: DirtyShare, nowMs: number): boolean {
    return passIsDue(share, this.#state.context.config(), nowMs);
  }

  /** One compaction pass over what measureDirty found (compaction/cleaner-pass.ts). */
  compact(share: DirtyShare, map: KeyOffsetMap, nowMs: number): Promise<CleanerPassResult> {
    return cleanPartition(this.#state, share, { map, nowMs });
  }

  /** Removes the oldest segment (never the active one); for retention. Returns it, or undefined when only the active one is left. */
  async removeOldestSegment(): Promise<Segment | undefined> {
    const state = this.#state;
    if (state.segmentSwap !== undefined) await state.segmentSwap;
    if (state.segments.length <= 1 || state.status !== 'open') return undefined;
    const segment = state.segments.shift()!;
    const { files } = state.context;
    state.retire(segment);
    await files.unlink(segment.path);
    await files.unlink(segment.indexPath);
    await files.unlink(segment.timeIndexPath);
    return segment;
  }

  /**
   * Clean shutdown: what was accepted is written, what is written is synced, the active
   * segment's index and a checkpoint at the log end are written, then the files close.
   */
  async close(): Promise<void> {
    const state = this.#state;
    if (state.status !== 'open') return;
    await this.#writer.stopAccepting();
    state.status = 'closed';
    if (state.segmentSwap !== undefined) await state.segmentSwap;
    try {
      await this.#writer.syncToEnd();
      await this.#roller.closeActive();
    } catch (error) {
      state.context.logger.error({ err: error, topic: this.topic, partition: this.index }, 'clean shutdown of the partition failed; the next start verifies its tail');
    }
    // A failed sync above cuts the log back; the cut is made before the files close.
    await this.#writer.quiesce();
    this.#tracker.end(new TributaryError('STORAGE_CLOSED', `the log store closed before ${state.name} made the append durable`, { topic: this.topic, partition: this.index }));
    for (const segment of state.segments) await segment.close(state.context.files);
  }

  /** The topic is being deleted: refuse everything from now on and release the files. */
  async markDeleted(): Promise<void> {
    const state = this.#state;
    if (state.status === 'deleted') return;
    state.status = 'deleted';
    this.#writer.abandon(state.closedError());
    // A write or an fdatasync in flight may still use these files.
    await this.#writer.quiesce();
    await state.context.writes.syncBarrier();
    if (state.segmentSwap !== undefined) await state.segmentSwap;
    for (const segment of state.segments) state.retire(segment);
  }
}

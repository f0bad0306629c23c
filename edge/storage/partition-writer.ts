// The writer of one partition. It plans each append as it arrives — producer sequences
// checked, offsets assigned, its place at the end of the active segment fixed — and hands
// the prepared write down to the group committer. The committer reports back through the
// CommitLane methods here: written() advances the log end, synced() moves the high
// watermark (through the commit tracker). Nothing in the committer calls back into the
// planning.
//
// Upkeep needs the partition quiet — none of its writes handed down and not yet reported —
// and runs here, between writes, one step at a time:
//   cut   after a failed write or fdatasync, the file is cut back (and the cut synced)
//         before anything more is written to it, and only then are the appends whose
//         bytes were cut refused;
//   roll  an append that does not fit the active segment (or finds it older than
//         segmentMs) waits until the segment is synced to its end and a new one started.
// Appends arriving meanwhile wait, in arrival order, behind the upkeep. Writes already
// handed down when a write or fdatasync fails never reach the log as planned: they are
// cancelled, and their appends planned again after the cut.
//
// The writer's own fdatasyncs (before a roll, after a cut, at a clean close) wait for the
// committer's sync round in flight and keep this partition out of the next ones, so that
// two fdatasyncs of one file never run at once: after a writeback error the kernel reports
// the error to one fdatasync only, and a concurrent one could report success for bytes
// that were lost.
import { TributaryError, assert, isTributaryError } from '../../shared/errors.ts';
import { decodeRecords, setBaseOffset, setPartitionLeaderEpoch, verifyBatches, type RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import type { CommitTracker } from './commit-tracker.ts';
import { FlushSchedule } from './flush-schedule.ts';
import { storageError } from './file-io.ts';
import type { PartitionState } from './partition-state.ts';
import type { ProducerBatch } from './producer-state.ts';
import type { Segment } from './segment.ts';
import type { SegmentRoller } from './segment-roller.ts';
import type { AppendResult } from './types.ts';
import type { TransactionMarker } from '../../shared/kafka/control-batch.ts';
import type { CommitLane, PendingAppend, PreparedWrite, SyncPoint } from './write-path.ts';

/** Single node: every partition is led by this node in epoch 0, written into each batch (KIP-101). */
export const PARTITION_LEADER_EPOCH = 0;
/** Offsets in one segment stay below this, so relative offsets fit the index's 32-bit field. */
const RELATIVE_OFFSET_MAX = 0x7fffffff;

interface Cut {
  segment: Segment;
  /** The file ends here once cut. */
  position: number;
  failure: TributaryError;
}

export class PartitionWriter implements CommitLane {
  readonly #state: PartitionState;
  readonly #tracker: CommitTracker;
  readonly #roller: SegmentRoller;
  /** Where the next write goes: the written end plus the writes handed down and not yet reported. */
  #endPosition = 0;
  #endOffset = 0n;
  /** Writes handed to the committer and not yet reported, oldest first. Bounded by admission (WriteQueue.admit). */
  #handedDown: PreparedWrite[] = [];
  /** Appends waiting behind upkeep, in arrival order. Bounded by admission (WriteQueue.admit). */
  #waiting: PendingAppend[] = [];
  /** Bytes past the log end that must be cut from the file before the next write. */
  #cut: Cut | undefined;
  /** Appends of a write that failed: refused once the cut is made. */
  #refused: { append: PendingAppend; error: unknown }[] = [];
  /**
   * Appends waiting for the high watermark to pass an offset above this are refused once the
   * cut is made: their records were cut (or, for a retried duplicate, its original was).
   */
  #refusedAbove: { offset: bigint; error: unknown } | undefined;
  #upkeep: Promise<void> | undefined;
  /** The writer is syncing the active segment itself: the committer's rounds leave this partition out. */
  #syncingItself = false;
  /** A clean close has begun: appends are refused from now on. */
  #closing = false;
  readonly #flush: FlushSchedule;
  #quietWaiters: (() => void)[] = [];

  constructor(state: PartitionState, tracker: CommitTracker, roller: SegmentRoller) {
    this.#state = state;
    this.#tracker = tracker;
    this.#roller = roller;
    this.#flush = new FlushSchedule(
      state.context.config,
      () => state.status === 'open' && state.active.syncedBytes < state.active.sizeBytes,
      () => state.context.writes.requestSync(this),
    );
    this.#resetEnd();
  }

  /**
   * Appends one or more concatenated RecordBatch v2 batches. The buffer becomes the log's:
   * each batch's base offset and leader epoch are rewritten in place. Resolves once the
   * batches are durable under the topic's flush policy. With `marker`, the buffer is the
   * one control batch of a transaction coordinator's marker (KIP-98); without it, control
   * batches are refused: producers do not write them.
   */
  async append(batches: Buffer, marker?: TransactionMarker): Promise<AppendResult> {
    const state = this.#state;
    const { context } = state;
    if (state.status !== 'open' || this.#closing || !context.accepting()) throw state.closedError();
    let headers: RecordBatchHeader[];
    try {
      headers = verifyBatches(batches, { maxBatchBytes: context.config().maxMessageBytes });
      const control = headers.filter((header) => header.isControlBatch).length;
      if (marker === undefined && control > 0) {
        throw new TributaryError('INVALID_RECORD_BATCH', 'holds a control batch; only the transaction coordinator writes control batches (KIP-98)', {});
      }
      assert(marker === undefined || (headers.length === 1 && control === 1 && headers[0]!.producerId >= 0n), 'a transaction marker is one control batch of a producer');
      if (context.config().cleanupPolicy !== 'delete') refuseKeylessRecords(batches, headers);
    } catch (error) {
      this.#countError(error, 1);
      throw isTributaryError(error) ? new TributaryError(error.code, `append to ${state.name}: ${error.message}`, { ...error.details, topic: state.topic, partition: state.index }) : error;
    }
    let records = 0;
    for (const header of headers) records += header.lastOffsetDelta + 1;
    const { promise, resolve, reject } = Promise.withResolvers<AppendResult>();
    const append: PendingAppend = { buffer: batches, headers, bytes: batches.length, records, arrivedAtMs: Date.now(), marker, resolve, reject };
    const room = context.writes.admit(append.bytes);
    if (room !== undefined) await room;
    this.#accept(append);
    return promise;
  }

  #accept(append: PendingAppend): void {
    if (this.#state.status !== 'open' || this.#closing) {
      this.#refuse(append, this.#state.closedError());
      return;
    }
    if (this.#waiting.length > 0 || this.#cut !== undefined || this.#upkeep !== undefined || this.#needsRoll(append)) {
      this.#waiting.push(append);
      this.#startUpkeep();
      return;
    }
    this.#plan(append);
  }

  /** The active segment has no room for the append (or is older than segmentMs): it must roll first. */
  #needsRoll(append: PendingAppend): boolean {
    if (this.#endPosition === 0) return false;
    const config = this.#state.context.config();
    const active = this.#state.active;
    if (this.#endPosition + append.bytes > config.segmentBytes) return true;
    if (Number(this.#endOffset - active.baseOffset) + append.records > RELATIVE_OFFSET_MAX) return true;
    return active.firstAppendWallMs !== undefined && append.arrivedAtMs - active.firstAppendWallMs >= config.segmentMs;
  }

  /** Checks producer sequences and assigns offsets, then hands the write down (or answers it as a duplicate, or refuses it). */
  #plan(append: PendingAppend): void {
    const state = this.#state;
    const { producers } = state;
    const segment = state.active;
    const start = this.#endOffset;
    const position = this.#endPosition;
    let next = start;
    let maxTimestamp = -1n;
    let duplicate: ProducerBatch | undefined;
    try {
      for (const header of append.headers) {
        if (header.isControlBatch) {
          producers.checkMarker(header);
        } else if (header.producerId >= 0n) {
          const decision = producers.check(header);
          if (decision.kind === 'duplicate') {
            duplicate = decision.batch;
            break;
          }
        }
        setBaseOffset(append.buffer, header.position, next);
        setPartitionLeaderEpoch(append.buffer, header.position, PARTITION_LEADER_EPOCH);
        if (header.producerId >= 0n) producers.apply(header, next, header.isControlBatch ? append.marker : undefined);
        if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
        next += BigInt(header.lastOffsetDelta) + 1n;
      }
    } catch (error) {
      producers.rollback(start);
      this.#refuse(append, error);
      return;
    }
    if (duplicate !== undefined) {
      producers.rollback(start);
      this.#answerDuplicate(append, duplicate);
      return;
    }
    const write: PreparedWrite = { lane: this, append, segment, fd: segment.fd!, position, bytes: append.bytes, firstOffset: start, nextOffset: next, maxTimestamp, cancelled: false };
    this.#handedDown.push(write);
    this.#endPosition = position + append.bytes;
    this.#endOffset = next;
    state.context.writes.submit(write);
  }

  #answerDuplicate(append: PendingAppend, batch: ProducerBatch): void {
    const state = this.#state;
    state.context.metrics.duplicateBatches.inc({ topic: state.topic });
    state.context.writes.release(append.bytes);
    const answer = (): void => append.resolve({ baseOffset: batch.firstOffset, lastOffset: batch.lastOffset, logStartOffset: state.logStartOffset, duplicate: true });
    // The original may still be on its way to disk: answer when it is durable, as it would be.
    if (batch.lastOffset < state.highWatermark) answer();
    else this.#tracker.wait({ target: batch.lastOffset + 1n, records: 0, bytes: 0, resolve: answer, reject: append.reject });
  }

  written(writes: readonly PreparedWrite[], error: unknown): void {
    const handedDown = this.#handedDown;
    for (let index = 0; index < writes.length; index++) assert(handedDown[index] === writes[index], 'writes are reported once each, in the order they were handed down');
    handedDown.splice(0, writes.length);
    const { writes: queue, config } = this.#state.context;
    // A cancelled write is planned again (or refused) by whatever cancelled it; the others leave the writer here.
    const done = writes.filter((write) => !write.cancelled);
    if (done.length === 0) {
      this.#afterReport();
      return;
    }
    let bytes = 0;
    for (const write of done) bytes += write.bytes;
    queue.release(bytes);
    if (error !== undefined) {
      this.#writeFailed(done, error);
    } else {
      for (const write of done) this.#advance(write);
      const segment = done[done.length - 1]!.segment;
      if (config().flush.policy === 'os') this.#tracker.commit(segment, segment.sizeBytes, segment.nextOffset, segment.maxTimestamp);
      else this.#flush.written(Date.now());
    }
    this.#afterReport();
  }

  /** Once nothing of the partition is handed down any more, upkeep that waited for that can run. */
  #afterReport(): void {
    if (this.#handedDown.length > 0) return;
    this.#startUpkeep();
    this.#wakeQuiet();
  }

  /** A write reached the file: the log end moves past it, and its append waits for the high watermark. */
  #advance(write: PreparedWrite): void {
    const segment = write.segment;
    segment.sizeBytes = write.position + write.bytes;
    segment.nextOffset = write.nextOffset;
    segment.firstAppendWallMs ??= Date.now();
    const index = segment.index!;
    // The batches lie back to back from the write's first offset (planning numbered them so); relative offsets fit 31 bits.
    let relativeOffset = Number(write.firstOffset - segment.baseOffset);
    for (const header of write.append.headers) {
      index.addBatch(relativeOffset, write.position + header.position, header.sizeBytes, header.maxTimestamp);
      relativeOffset += header.lastOffsetDelta + 1;
    }
    if (write.maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = write.maxTimestamp;
    const { append, firstOffset, nextOffset } = write;
    const state = this.#state;
    this.#tracker.wait({
      target: nextOffset,
      records: append.records,
      bytes: append.bytes,
      resolve: () => append.resolve({ baseOffset: firstOffset, lastOffset: nextOffset - 1n, logStartOffset: state.logStartOffset, duplicate: false }),
      reject: append.reject,
    });
  }

  #writeFailed(failed: PreparedWrite[], error: unknown): void {
    const first = failed[0]!;
    const state = this.#state;
    const failure = storageError(error, 'write', first.segment.path);
    state.context.logger.error({ err: failure, topic: state.topic, partition: state.index, file: first.segment.path, position: first.position }, 'append failed; cutting the segment back to its last good batch');
    state.producers.rollback(first.firstOffset);
    for (const write of failed) this.#refused.push({ append: write.append, error: failure });
    this.#cutBackTo({ segment: first.segment, position: first.position, failure }, first.firstOffset);
  }

  syncPoint(): SyncPoint | undefined {
    if (this.#state.status === 'deleted' || this.#syncingItself) return undefined;
    const segment = this.#state.active;
    if (segment.fd === undefined || segment.syncedBytes >= segment.sizeBytes) return undefined;
    this.#flush.issued(Date.now());
    return { lane: this, segment, fd: segment.fd, bytes: segment.sizeBytes, nextOffset: segment.nextOffset, maxTimestamp: segment.maxTimestamp };
  }

  synced(point: SyncPoint, error: unknown): void {
    if (this.#state.status === 'deleted') return;
    const segment = point.segment;
    if (error !== undefined) {
      this.#syncFailed(segment, error);
      return;
    }
    assert(point.bytes <= segment.sizeBytes, 'a sync point never covers bytes that were cut since');
    if (point.bytes > segment.syncedBytes) segment.syncedBytes = point.bytes;
    this.#tracker.commit(segment, point.bytes, point.nextOffset, point.maxTimestamp);
  }

  /**
   * An fdatasync failed. The kernel may have dropped the dirty pages it covered and marked
   * them clean, so a later fdatasync would report success for bytes that never reached the
   * disk: nothing past the high watermark is trusted. The log is cut back to the high
   * watermark, writes handed down meanwhile are planned again after the cut, and the
   * appends whose bytes are cut are refused. (Under the `os` flush policy the high
   * watermark is the written end: nothing written is cut.) Returns the error to report.
   */
  #syncFailed(segment: Segment, error: unknown): TributaryError {
    const state = this.#state;
    const failure = storageError(error, 'sync', segment.path);
    state.context.logger.error({ err: failure, topic: state.topic, partition: state.index, file: segment.path }, 'fdatasync failed; what was not yet durable is cut off and refused');
    if (segment !== state.active) {
      assert(segment.committedBytes >= segment.sizeBytes, 'a segment rolls only once it is committed to its end');
      return failure;
    }
    state.producers.rollback(segment.committedNextOffset);
    segment.sizeBytes = segment.committedBytes;
    segment.nextOffset = segment.committedNextOffset;
    segment.maxTimestamp = segment.committedMaxTimestamp;
    segment.index?.truncateTo(segment.committedBytes, segment.committedMaxTimestamp);
    this.#cutBackTo({ segment, position: segment.committedBytes, failure }, segment.committedNextOffset);
    return failure;
  }

  /** Everything from `cut.position` (offset `offset`) on is to be cut from the file before the next write. */
  #cutBackTo(cut: Cut, offset: bigint): void {
    this.#cancelHandedDown();
    if (this.#refusedAbove === undefined || offset < this.#refusedAbove.offset) this.#refusedAbove = { offset, error: cut.failure };
    const pending = this.#cut;
    assert(pending === undefined || pending.segment === cut.segment, 'no segment rolls while a cut is due');
    if (pending === undefined || cut.position < pending.position) this.#cut = cut;
    this.#resetEnd();
    this.#startUpkeep();
  }

  /** Writes handed down and not yet reported will not reach the log as planned: their appends are planned again, first. */
  #cancelHandedDown(): void {
    const again: PendingAppend[] = [];
    for (const write of this.#handedDown) {
      if (write.cancelled) continue;
      write.cancelled = true;
      again.push(write.append);
    }
    if (again.length > 0) this.#waiting = again.concat(this.#waiting);
  }

  /** The next write goes at the written end; valid when no write is handed down but cancelled ones. */
  #resetEnd(): void {
    const active = this.#state.active;
    this.#endPosition = active.sizeBytes;
    this.#endOffset = active.nextOffset;
  }

  #startUpkeep(): void {
    if (this.#upkeep !== undefined || this.#handedDown.length > 0) return;
    // A cut that failed waits for the next append to be tried again.
    if (this.#waiting.length === 0 && this.#refused.length === 0 && this.#refusedAbove === undefined) return;
    this.#upkeep = this.#runUpkeep().finally(() => {
      this.#upkeep = undefined;
      // An append may have arrived while the last step was finishing.
      this.#startUpkeep();
      this.#wakeQuiet();
    });
  }

  async #runUpkeep(): Promise<void> {
    while (this.#handedDown.length === 0) {
      if (this.#cut !== undefined) {
        try {
          await this.#cutBack();
        } catch (error) {
          // The cut sticks: nothing is written past bytes that could not be cut; the next append tries again.
          this.#answerRefused();
          this.#refuseWaiting(error);
          return;
        }
      }
      this.#answerRefused();
      if (this.#waiting.length === 0) return;
      if (this.#state.status !== 'open') {
        this.#refuseWaiting(this.#state.closedError());
        continue;
      }
      if (this.#needsRoll(this.#waiting[0]!)) {
        try {
          await this.#syncToEnd(this.#state.active);
          await this.#roller.roll(Date.now());
          this.#resetEnd();
        } catch (error) {
          this.#refuseWaiting(error);
        }
        continue;
      }
      const waiting = this.#waiting;
      let planned = 0;
      while (planned < waiting.length && !this.#needsRoll(waiting[planned]!)) this.#plan(waiting[planned++]!);
      waiting.splice(0, planned);
    }
  }

  /** Cuts the file back and syncs the cut, so that neither a reader nor a power cut brings the cut bytes back. */
  async #cutBack(): Promise<void> {
    const { files, writes } = this.#state.context;
    this.#syncingItself = true;
    try {
      await writes.syncBarrier();
      const cut = this.#cut;
      // The topic was deleted meanwhile: its files go, nothing is left to cut.
      if (cut === undefined) return;
      await files.truncate(cut.segment.fd!, cut.segment.path, cut.position);
      await files.datasync(cut.segment.fd!, cut.segment.path);
      if (this.#cut === cut) this.#cut = undefined;
    } finally {
      this.#syncingItself = false;
    }
  }

  #answerRefused(): void {
    const refused = this.#refused;
    this.#refused = [];
    for (const { append, error } of refused) {
      this.#countError(error, 1);
      append.reject(error);
    }
    const above = this.#refusedAbove;
    this.#refusedAbove = undefined;
    if (above !== undefined) this.#tracker.rejectAbove(above.offset, above.error);
  }

  #refuseWaiting(error: unknown): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const append of waiting) this.#refuse(append, error);
  }

  /** Refuses an append that was not written: its reserved bytes go back. */
  #refuse(append: PendingAppend, error: unknown): void {
    this.#countError(error, 1);
    this.#state.context.writes.release(append.bytes);
    append.reject(error);
  }

  #countError(error: unknown, count: number): void {
    this.#state.context.metrics.appendErrors.inc({ topic: this.#state.topic, code: isTributaryError(error) ? error.code : 'UNKNOWN' }, count);
  }

  /**
   * Syncs the segment to its end itself (a roll or a clean close needs it now) and moves
   * the high watermark there. A cut that became due meanwhile (a sync round's failure)
   * fails it instead.
   */
  async #syncToEnd(segment: Segment): Promise<void> {
    const { files, writes } = this.#state.context;
    this.#syncingItself = true;
    try {
      await writes.syncBarrier();
      if (this.#cut !== undefined) throw this.#cut.failure;
      if (segment.syncedBytes >= segment.sizeBytes && segment.committedBytes >= segment.sizeBytes) return;
      const { sizeBytes, nextOffset, maxTimestamp } = segment;
      try {
        await files.datasync(segment.fd!, segment.path);
      } catch (error) {
        throw this.#syncFailed(segment, error);
      }
      if (sizeBytes > segment.syncedBytes) segment.syncedBytes = sizeBytes;
      this.#tracker.commit(segment, sizeBytes, nextOffset, maxTimestamp);
    } finally {
      this.#syncingItself = false;
    }
  }

  /** Resolves once nothing of this partition is handed down, waiting or in upkeep. */
  quiesce(): Promise<void> {
    if (this.#isQuiet()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#quietWaiters.push(resolve));
  }

  #isQuiet(): boolean {
    return this.#handedDown.length === 0 && this.#waiting.length === 0 && this.#upkeep === undefined;
  }

  #wakeQuiet(): void {
    if (this.#quietWaiters.length === 0 || !this.#isQuiet()) return;
    const waiters = this.#quietWaiters;
    this.#quietWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Clean close, first step: appends are refused from now on; resolves once those accepted before are written (or refused). */
  async stopAccepting(): Promise<void> {
    this.#closing = true;
    await this.quiesce();
    this.#flush.stop();
  }

  /**
   * Clean close, second step: a cut still due (one that failed before) is tried once more,
   * then what is written is synced (under `interval` and `os` it may not be yet).
   */
  async syncToEnd(): Promise<void> {
    if (this.#cut !== undefined) await this.#cutBack();
    await this.#syncToEnd(this.#state.active);
  }

  /** The topic is being deleted: everything not yet durable is refused now. Call quiesce() after, before the files go. */
  abandon(error: TributaryError): void {
    this.#flush.stop();
    for (const write of this.#handedDown) {
      if (write.cancelled) continue;
      write.cancelled = true;
      this.#refuse(write.append, error);
    }
    this.#refuseWaiting(error);
    this.#cut = undefined;
    this.#answerRefused();
    this.#tracker.end(error);
  }
}

/**
 * Compaction keeps the newest record of each key, so a record without one has no place in a
 * compacted topic: refused as Kafka refuses it ("Compacted topic cannot accept message
 * without key", INVALID_RECORD). Control batches carry markers, not records, and are exempt.
 */
function refuseKeylessRecords(batches: Buffer, headers: readonly RecordBatchHeader[]): void {
  for (const header of headers) {
    if (header.isControlBatch) continue;
    const keyless = decodeRecords(batches, header.position).find((record) => record.key === null);
    if (keyless !== undefined) {
      throw new TributaryError('RECORD_KEY_MISSING', `record at offset delta ${keyless.offsetDelta} of the batch at byte ${header.position} has no key; a compacted topic keeps the newest record of each key and cannot accept one without`, { position: header.position, offsetDelta: keyless.offsetDelta });
    }
  }
}

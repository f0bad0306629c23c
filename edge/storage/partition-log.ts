// One partition's log: an ordered list of segments, the last one active.
//
// Three offsets, named as Redpanda names them:
//   logEndOffset   (dirty)      the offset after the last batch written to the file;
//   highWatermark  (committed)  the offset after the last batch that is durable under the
//                               topic's flush policy. Readers never see past it, so a
//                               consumer never sees a record a power cut could take back.
//   logStartOffset              the base offset of the oldest segment kept, or a later
//                               offset inside it up to which DeleteRecords deleted (KIP-107).
// An append resolves when the high watermark passes its last offset.
import type { TopicConfig } from '../../shared/config/topic-config.ts';
import { TributaryError, isTributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import {
  decodeRecords,
  setBaseOffset,
  setPartitionLeaderEpoch,
  verifyBatches,
  type BatchProblem,
  type RecordBatchHeader,
} from '../../shared/kafka/record-batch.ts';
import { join } from 'node:path';
import { writeCheckpoint, writeLogStartOffset } from './checkpoint.ts';
import { storageError, type FileLayer } from './file-io.ts';
import type { GroupCommitter, PendingAppend } from './group-commit.ts';
import type { StorageMetrics } from './metrics.ts';
import { ProducerStateManager, type ProducerBatch, type ProducerEntry } from './producer-state.ts';
import { loadSegmentIndex, writeSegmentIndex } from './recovery.ts';
import { SegmentIndex } from './segment-index.ts';
import { SNAPSHOT_SUFFIX, Segment, offsetFileName, type SegmentCaches } from './segment.ts';
import type { AppendResult, ReadResult } from './types.ts';

/** Long polls waiting on one partition at once; beyond it a poll returns at once (the caller polls again). Bounded by connections in practice. */
export const LONG_POLL_WAITERS_MAX = 4096;
/** Producer state snapshots kept per partition; the newest is used, the one before it covers a damaged newest. */
export const SNAPSHOTS_KEPT = 2;
/** Single node: every partition is led by this node in epoch 0, written into each batch (KIP-101). */
export const PARTITION_LEADER_EPOCH = 0;
/**
 * A read that starts within this many bytes of the active segment's end is served from the
 * page cache synchronously (FileLayer.pageCache): those bytes were written moments ago.
 * Bounded so that one such read blocks the event loop for well under a millisecond and a
 * consumer catching up on older data still reads through the thread pool.
 */
export const RECENT_TAIL_BYTES = 1024 * 1024;
/** Offsets in one segment stay below this, so relative offsets fit the index's 32-bit field. */
const RELATIVE_OFFSET_MAX = 0x7fffffff;

export interface PartitionContext {
  files: FileLayer;
  caches: SegmentCaches;
  logger: Logger;
  metrics: StorageMetrics;
  committer: GroupCommitter;
  config(): TopicConfig;
  /** False once the store is closing: appends are refused from then on. */
  accepting(): boolean;
  onDurable(partition: PartitionLog, highWatermark: bigint): void;
}

interface PlannedBatch {
  relativeOffset: number;
  position: number;
  sizeBytes: number;
  maxTimestamp: bigint;
}

/** What one fdatasync of a sync round covers. */
export interface SyncTarget {
  partition: PartitionLog;
  segment: Segment;
  fd: number;
  bytes: number;
  nextOffset: bigint;
  maxTimestamp: bigint;
}

/** What one group writes to one partition. */
export interface PreparedWrite {
  partition: PartitionLog;
  segment: Segment;
  fd: number;
  position: number;
  buffers: Buffer[];
  bytes: number;
  firstOffset: bigint;
  nextOffset: bigint;
  batches: PlannedBatch[];
  appends: { append: PendingAppend; baseOffset: bigint; lastOffset: bigint }[];
  /** The partition's write epoch when prepared; a failed fdatasync meanwhile makes the write void. */
  epoch: number;
}

interface CommitWaiter {
  /** Resolved once the high watermark reaches this offset. */
  target: bigint;
  /** Counted in the append metrics when resolved (0 for an answered duplicate). */
  records: number;
  bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface LongPoll {
  offset: bigint;
  finish(value: boolean): void;
}

type PartitionState = 'open' | 'closed' | 'deleted';

export class PartitionLog {
  readonly topic: string;
  readonly index: number;
  readonly directory: string;
  readonly #context: PartitionContext;
  readonly #segments: Segment[];
  readonly #producers: ProducerStateManager;
  #snapshotOffsets: bigint[];
  #state: PartitionState = 'open';
  #commitWaiters: CommitWaiter[] = [];
  readonly #longPolls = new Set<LongPoll>();
  /** A failed write left bytes past the log end: cut the file here before the next write. */
  #repair: { segment: Segment; position: number } | undefined;
  #lastSyncWallMs = 0;
  #syncTimer: NodeJS.Timeout | undefined;
  /** Bumped when an fdatasync fails and the log is cut back: writes prepared before are void. */
  #epoch = 0;
  #lastSyncFailure: TributaryError | undefined;
  /** The committer is writing to the active segment now. */
  #writing = false;
  /** Records below this offset were deleted by DeleteRecords; 0 when none were. */
  #deletedBefore: bigint;
  /** DeleteRecords calls on this partition, one after another, so the log start only moves forward. */
  #deletions: Promise<unknown> = Promise.resolve();

  constructor(context: PartitionContext, topic: string, index: number, directory: string, segments: Segment[], producers: ProducerStateManager, snapshotOffsets: bigint[], deletedBefore = 0n) {
    this.#context = context;
    this.topic = topic;
    this.index = index;
    this.directory = directory;
    this.#segments = segments;
    this.#producers = producers;
    this.#snapshotOffsets = snapshotOffsets;
    this.#deletedBefore = deletedBefore;
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  get #name(): string {
    return `${this.topic}-${this.index}`;
  }

  get logStartOffset(): bigint {
    const base = this.#segments[0]!.baseOffset;
    return this.#deletedBefore > base ? this.#deletedBefore : base;
  }

  /**
   * DeleteRecords (KIP-107): moves the log start offset up to `offset`, durably, before it
   * resolves with the new log start. Reads below it are out of range from then on; retention
   * deletes the segments wholly below it. An offset at or below the log start changes
   * nothing; one past the high watermark is OFFSET_OUT_OF_RANGE.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const run = this.#deletions.then(async () => {
      if (this.#state !== 'open') throw this.#closedError();
      const highWatermark = this.highWatermark;
      if (offset > highWatermark) {
        throw new TributaryError('OFFSET_OUT_OF_RANGE', `${this.#name}: cannot delete records before offset ${offset}, past the high watermark ${highWatermark}`, { topic: this.topic, partition: this.index, offset, highWatermark });
      }
      if (offset <= this.logStartOffset) return this.logStartOffset;
      await writeLogStartOffset(this.#context.files, this.directory, offset);
      this.#deletedBefore = offset;
      this.#context.logger.info({ event: 'records-deleted', topic: this.topic, partition: this.index, logStartOffset: offset.toString() }, 'records deleted: the log start offset moved');
      return offset;
    });
    this.#deletions = run.catch(() => undefined);
    return run;
  }

  get logEndOffset(): bigint {
    return this.#active.nextOffset;
  }

  get highWatermark(): bigint {
    return this.#active.committedNextOffset;
  }

  /** The largest timestamp of a durable record, -1 when there is none (ListOffsets MAX_TIMESTAMP, KIP-734). */
  get maxTimestamp(): bigint {
    let largest = -1n;
    for (const segment of this.#segments) if (segment.committedMaxTimestamp > largest) largest = segment.committedMaxTimestamp;
    return largest;
  }

  /** Segments oldest first; the last is active. For retention and metrics. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.sizeBytes + segment.indexFileBytes;
    return total;
  }

  /** The idempotent producers this partition keeps state for, with their last batches (DescribeProducers). */
  get producers(): ProducerEntry[] {
    return this.#producers.entries();
  }

  /** Idempotent-producer state of one producer (for tests and diagnostics). */
  producer(producerId: bigint): { epoch: number; batches: readonly ProducerBatch[] } | undefined {
    return this.#producers.get(producerId);
  }

  #closedError(): TributaryError {
    return this.#state === 'deleted'
      ? new TributaryError('TOPIC_NOT_FOUND', `topic "${this.topic}" was deleted`, { topic: this.topic })
      : new TributaryError('STORAGE_CLOSED', `the log store is closed; ${this.#name} takes no more appends`, { topic: this.topic, partition: this.index });
  }

  /**
   * Appends one or more concatenated RecordBatch v2 batches. The buffer becomes the log's:
   * each batch's base offset and leader epoch are rewritten in place. Resolves once the
   * batches are durable under the topic's flush policy.
   */
  async append(batches: Buffer): Promise<AppendResult> {
    if (this.#state !== 'open' || !this.#context.accepting()) throw this.#closedError();
    let headers: RecordBatchHeader[];
    try {
      headers = verifyBatches(batches, { maxBatchBytes: this.#context.config().maxMessageBytes });
    } catch (error) {
      const failure = isTributaryError(error) ? new TributaryError(error.code, `append to ${this.#name}: ${error.message}`, { ...error.details, topic: this.topic, partition: this.index }) : error;
      this.#context.metrics.appendErrors.inc({ topic: this.topic, code: isTributaryError(error) ? error.code : 'UNKNOWN' });
      throw failure;
    }
    let records = 0;
    for (const header of headers) records += header.lastOffsetDelta + 1;
    const { promise, resolve, reject } = Promise.withResolvers<AppendResult>();
    const full = this.#context.committer.enqueue({ partition: this, buffer: batches, headers, bytes: batches.length, records, enqueuedAtMs: Date.now(), resolve, reject });
    if (full !== undefined) await full;
    return promise;
  }

  /**
   * Called by the committer with this partition's share of a group: rolls the segment if
   * needed, checks producer sequences, assigns offsets. Appends that do not fit the active
   * segment are handed back for the next group.
   */
  async prepare(appends: PendingAppend[], nowMs: number): Promise<{ write?: PreparedWrite; deferred: PendingAppend[] }> {
    if (this.#state !== 'open') {
      const error = this.#closedError();
      for (const append of appends) append.reject(error);
      return { deferred: [] };
    }
    const config = this.#context.config();
    try {
      await this.#repairIfNeeded();
      const active = this.#active;
      const first = appends[0]!;
      const full = active.sizeBytes + first.bytes > config.segmentBytes || Number(active.nextOffset - active.baseOffset) + first.records > RELATIVE_OFFSET_MAX;
      const old = active.firstAppendWallMs !== undefined && nowMs - active.firstAppendWallMs >= config.segmentMs;
      if (active.sizeBytes > 0 && (full || old)) await this.#roll(nowMs);
    } catch (error) {
      this.#failAppends(appends, error);
      return { deferred: [] };
    }

    const segment = this.#active;
    const write: PreparedWrite = {
      partition: this,
      segment,
      fd: segment.fd!,
      position: segment.sizeBytes,
      buffers: [],
      bytes: 0,
      firstOffset: segment.nextOffset,
      nextOffset: segment.nextOffset,
      batches: [],
      appends: [],
      epoch: this.#epoch,
    };
    for (let i = 0; i < appends.length; i++) {
      const append = appends[i]!;
      const position = write.position + write.bytes;
      const fits = position === 0 || (position + append.bytes <= config.segmentBytes && Number(write.nextOffset - segment.baseOffset) + append.records <= RELATIVE_OFFSET_MAX);
      if (!fits) return { write: this.#planned(write), deferred: appends.slice(i) };
      this.#assign(append, write);
    }
    return { write: this.#planned(write), deferred: [] };
  }

  #planned(write: PreparedWrite): PreparedWrite | undefined {
    if (write.appends.length === 0) return undefined;
    this.#writing = true;
    return write;
  }

  /** Checks producer sequences and assigns offsets to one append's batches (or answers it as a duplicate or refuses it). */
  #assign(append: PendingAppend, write: PreparedWrite): void {
    const start = write.nextOffset;
    const position = write.position + write.bytes;
    const batchesBefore = write.batches.length;
    let next = start;
    let duplicate: ProducerBatch | undefined;
    try {
      for (const header of append.headers) {
        if (header.producerId >= 0n) {
          const decision = this.#producers.check(header);
          if (decision.kind === 'duplicate') {
            duplicate = decision.batch;
            break;
          }
        }
        setBaseOffset(append.buffer, header.position, next);
        setPartitionLeaderEpoch(append.buffer, header.position, PARTITION_LEADER_EPOCH);
        if (header.producerId >= 0n) this.#producers.apply(header, next);
        write.batches.push({ relativeOffset: Number(next - write.segment.baseOffset), position: position + header.position, sizeBytes: header.sizeBytes, maxTimestamp: header.maxTimestamp });
        next += BigInt(header.lastOffsetDelta) + 1n;
      }
    } catch (error) {
      this.#producers.rollback(start);
      write.batches.length = batchesBefore;
      this.#context.metrics.appendErrors.inc({ topic: this.topic, code: isTributaryError(error) ? error.code : 'UNKNOWN' });
      append.reject(error);
      return;
    }
    if (duplicate !== undefined) {
      this.#producers.rollback(start);
      write.batches.length = batchesBefore;
      this.#answerDuplicate(append, duplicate);
      return;
    }
    write.buffers.push(append.buffer);
    write.bytes += append.bytes;
    write.nextOffset = next;
    write.appends.push({ append, baseOffset: start, lastOffset: next - 1n });
  }

  #answerDuplicate(append: PendingAppend, batch: ProducerBatch): void {
    this.#context.metrics.duplicateBatches.inc({ topic: this.topic });
    const answer = (): void => append.resolve({ baseOffset: batch.firstOffset, lastOffset: batch.lastOffset, logStartOffset: this.logStartOffset, duplicate: true });
    // The original may still be on its way to disk: answer when it is durable, as it would be.
    if (batch.lastOffset < this.highWatermark) answer();
    else this.#addCommitWaiter({ target: batch.lastOffset + 1n, records: 0, bytes: 0, resolve: answer, reject: append.reject });
  }

  #addCommitWaiter(waiter: CommitWaiter): void {
    const waiters = this.#commitWaiters;
    let at = waiters.length;
    while (at > 0 && waiters[at - 1]!.target > waiter.target) at -= 1;
    waiters.splice(at, 0, waiter);
  }

  #failAppends(appends: PendingAppend[], error: unknown): void {
    const code = isTributaryError(error) ? error.code : 'UNKNOWN';
    this.#context.metrics.appendErrors.inc({ topic: this.topic, code }, appends.length);
    for (const append of appends) append.reject(error);
  }

  /** After the committer's write: advance the log end, or undo the group's changes and cut the file back. Returns whether it was written. */
  async finishWrite(write: PreparedWrite, error: unknown): Promise<boolean> {
    this.#writing = false;
    const segment = write.segment;
    if (this.#state === 'deleted') {
      // The topic was deleted while this group was being written.
      this.#failAppends(write.appends.map((entry) => entry.append), this.#closedError());
      return false;
    }
    if (write.epoch !== this.#epoch) {
      // An fdatasync failed while this group was being written: the log was rolled back
      // below it, so its bytes are cut off with the rest.
      await this.#repairIfNeeded().catch(() => undefined);
      this.#failAppends(write.appends.map((entry) => entry.append), this.#lastSyncFailure ?? storageError(error, 'sync', segment.path));
      return false;
    }
    if (error !== undefined) {
      const failure = storageError(error, 'write', segment.path);
      this.#producers.rollback(write.firstOffset);
      this.#context.logger.error({ err: failure, topic: this.topic, partition: this.index, file: segment.path, position: write.position }, 'append failed; cutting the segment back to its last good batch');
      // Cut first, then answer: a caller who sees the failure sees the file as it was.
      this.#repair = { segment, position: write.position };
      await this.#repairIfNeeded().catch(() => undefined);
      this.#failAppends(write.appends.map((entry) => entry.append), failure);
      this.#rejectCommitWaitersAbove(write.firstOffset, failure);
      return false;
    }
    segment.sizeBytes = write.position + write.bytes;
    segment.nextOffset = write.nextOffset;
    segment.firstAppendWallMs ??= Date.now();
    const index = segment.index!;
    for (const batch of write.batches) {
      index.addBatch(batch.relativeOffset, batch.position, batch.sizeBytes, batch.maxTimestamp);
      if (batch.maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = batch.maxTimestamp;
    }
    for (const entry of write.appends) {
      const { append, baseOffset, lastOffset } = entry;
      this.#commitWaiters.push({
        target: lastOffset + 1n,
        records: append.records,
        bytes: append.bytes,
        resolve: () => append.resolve({ baseOffset, lastOffset, logStartOffset: this.logStartOffset, duplicate: false }),
        reject: append.reject,
      });
    }
    if (this.#context.config().flush.policy === 'os') this.#commitTo(segment, segment.sizeBytes, segment.nextOffset, segment.maxTimestamp);
    else this.#scheduleSync(Date.now());
    return true;
  }

  /**
   * Asks for a sync of what was just written, as the flush policy says: under `always`
   * in the committer's next sync round; under `interval` once intervalMs has passed since
   * the last one (a timer asks then); under `os` never.
   */
  #scheduleSync(nowMs: number): void {
    if (this.#state !== 'open') return;
    const active = this.#active;
    if (active.syncedBytes >= active.sizeBytes) return;
    const flush = this.#context.config().flush;
    if (flush.policy === 'os') return;
    const due = flush.policy === 'interval' ? this.#lastSyncWallMs + flush.intervalMs : nowMs;
    if (nowMs >= due) {
      this.#context.committer.requestSync(this);
    } else if (this.#syncTimer === undefined) {
      this.#syncTimer = setTimeout(() => {
        this.#syncTimer = undefined;
        this.#scheduleSync(Date.now());
      }, due - nowMs);
    }
  }

  /** For a sync round: what an fdatasync issued now covers, or undefined when there is nothing to sync. */
  syncTarget(): SyncTarget | undefined {
    if (this.#state === 'deleted') return undefined;
    const segment = this.#active;
    if (segment.fd === undefined || segment.syncedBytes >= segment.sizeBytes) return undefined;
    this.#lastSyncWallMs = Date.now();
    return { partition: this, segment, fd: segment.fd, bytes: segment.sizeBytes, nextOffset: segment.nextOffset, maxTimestamp: segment.maxTimestamp };
  }

  /** For a sync round: the fdatasync for `target` finished. Appends are acknowledged later, by acknowledge(). */
  async syncFinished(target: SyncTarget, error: unknown): Promise<boolean> {
    if (this.#state === 'deleted') return false;
    if (error !== undefined) {
      await this.#syncFailed(target.segment, error);
      return false;
    }
    if (target.bytes > target.segment.syncedBytes) target.segment.syncedBytes = target.bytes;
    // Under `interval`, bytes written during this sync wait for the next period.
    this.#scheduleSync(Date.now());
    return true;
  }

  /** For a sync round: the high watermark moves to what `target` covered, answering the appends below it. */
  acknowledge(target: SyncTarget): void {
    this.#commitTo(target.segment, target.bytes, target.nextOffset, target.maxTimestamp);
  }

  /**
   * After a failed fdatasync the kernel may have dropped the dirty pages, so nothing
   * written since the high watermark can be trusted: cut back to it and fail the appends
   * waiting on that data. (Under `os` the high watermark is the written end: nothing is cut.)
   */
  async #syncFailed(segment: Segment, error: unknown): Promise<void> {
    const failure = storageError(error, 'sync', segment.path);
    this.#context.logger.error({ err: failure, topic: this.topic, partition: this.index, file: segment.path }, 'fdatasync failed; dropping unsynced appends');
    if (segment.committedBytes < segment.sizeBytes) {
      this.#epoch += 1;
      this.#lastSyncFailure = failure;
      this.#producers.rollback(segment.committedNextOffset);
      segment.sizeBytes = segment.committedBytes;
      segment.nextOffset = segment.committedNextOffset;
      segment.maxTimestamp = segment.committedMaxTimestamp;
      segment.index?.truncateTo(segment.committedBytes, segment.committedMaxTimestamp);
      this.#repair = { segment, position: segment.committedBytes };
      // A write in flight cuts the file when it finishes; otherwise cut now, before answering.
      if (!this.#writing) await this.#repairIfNeeded().catch(() => undefined);
      this.#rejectCommitWaitersAbove(segment.committedNextOffset, failure);
    }
  }

  async #repairIfNeeded(): Promise<void> {
    const repair = this.#repair;
    if (repair === undefined) return;
    await this.#context.files.truncate(repair.segment.fd!, repair.segment.path, repair.position);
    this.#repair = undefined;
  }

  #rejectCommitWaitersAbove(offset: bigint, error: unknown): void {
    const kept: CommitWaiter[] = [];
    for (const waiter of this.#commitWaiters) {
      if (waiter.target > offset) waiter.reject(error);
      else kept.push(waiter);
    }
    this.#commitWaiters = kept;
  }

  #commitTo(segment: Segment, bytes: number, nextOffset: bigint, maxTimestamp: bigint): void {
    if (bytes <= segment.committedBytes) return;
    segment.committedBytes = bytes;
    segment.committedNextOffset = nextOffset;
    segment.committedMaxTimestamp = maxTimestamp;
    this.#producers.commit(nextOffset);
    const waiters = this.#commitWaiters;
    let done = 0;
    while (done < waiters.length && waiters[done]!.target <= nextOffset) done += 1;
    if (done > 0) {
      const ready = waiters.splice(0, done);
      let records = 0;
      let bytes = 0;
      for (const waiter of ready) {
        records += waiter.records;
        bytes += waiter.bytes;
        waiter.resolve();
      }
      // Once per commit rather than per append: label lookups are not free on the hot path.
      if (records > 0) {
        this.#context.metrics.appendedRecords.inc({ topic: this.topic }, records);
        this.#context.metrics.appendedBytes.inc({ topic: this.topic }, bytes);
      }
    }
    for (const poll of this.#longPolls) if (poll.offset < nextOffset) poll.finish(true);
    this.#context.onDurable(this, nextOffset);
  }

  /** Closes the active segment and starts a new one at the log end. Runs inside the committer, between groups. */
  async #roll(nowMs: number): Promise<void> {
    const files = this.#context.files;
    const old = this.#active;
    if (old.syncedBytes < old.sizeBytes) {
      const bytes = old.sizeBytes;
      try {
        await files.datasync(old.fd!, old.path);
      } catch (error) {
        await this.#syncFailed(old, error);
        throw storageError(error, 'sync', old.path);
      }
      old.syncedBytes = bytes;
      this.#commitTo(old, bytes, old.nextOffset, old.maxTimestamp);
    }
    await writeSegmentIndex(files, old, this.#context.logger);
    const segment = new Segment(this.directory, old.nextOffset);
    const fd = await segment.openForAppend(files, true);
    try {
      await files.syncDirectory(this.directory);
    } catch (error) {
      await files.close(fd, segment.path).catch(() => undefined);
      throw error;
    }
    segment.index = new SegmentIndex();
    segment.active = true;
    segment.committedMaxTimestamp = -1n;
    old.active = false;
    this.#segments.push(segment);
    this.#context.caches.files.touch(old);
    this.#context.caches.indexes.touch(old);
    this.#context.logger.debug({ topic: this.topic, partition: this.index, segment: segment.path, nowMs }, 'segment rolled');
    await this.#checkpoint(segment.baseOffset, 0, segment.baseOffset);
  }

  /**
   * Snapshot of producer state and recovery checkpoint at a point where everything before
   * is synced. Best effort: without them the next start verifies and replays more.
   */
  async #checkpoint(segmentBaseOffset: bigint, position: number, nextOffset: bigint): Promise<void> {
    const files = this.#context.files;
    try {
      if (this.#producers.pendingChanges === 0) {
        this.#producers.expire(Date.now(), this.logStartOffset);
        await files.replaceDurably(join(this.directory, offsetFileName(nextOffset, SNAPSHOT_SUFFIX)), this.#producers.snapshot(nextOffset), false);
        this.#snapshotOffsets = [...this.#snapshotOffsets.filter((offset) => offset !== nextOffset), nextOffset];
      }
      await writeCheckpoint(files, this.directory, { segmentBaseOffset, position, nextOffset });
      while (this.#snapshotOffsets.length > SNAPSHOTS_KEPT) {
        const oldest = this.#snapshotOffsets.shift()!;
        await files.unlink(join(this.directory, offsetFileName(oldest, SNAPSHOT_SUFFIX)));
      }
    } catch (error) {
      this.#context.logger.warn({ err: error, topic: this.topic, partition: this.index }, 'could not write the recovery checkpoint; the next start verifies more of the log');
    }
  }

  /** The loaded index of a segment, read from its files or rebuilt from the log when they are wrong. */
  async #indexOf(segment: Segment): Promise<SegmentIndex> {
    const caches = this.#context.caches;
    if (segment.index !== undefined) {
      if (!segment.active) caches.indexes.touch(segment);
      return segment.index;
    }
    const files = this.#context.files;
    const loaded = await loadSegmentIndex(files, segment, segment.sizeBytes);
    if ('index' in loaded) {
      segment.index = loaded.index;
      caches.indexes.touch(segment);
      return loaded.index;
    }
    this.#context.metrics.rebuiltIndexes.inc({ topic: this.topic });
    this.#context.logger.warn({ event: 'index-rebuilt', file: segment.indexPath, reason: loaded.problem }, 'segment index was missing or wrong; rebuilding it from the log');
    const index = new SegmentIndex();
    const fd = await segment.acquire(files, caches);
    try {
      await Segment.scan(files, fd, segment.path, segment.baseOffset, { fromPosition: 0, expectedOffset: segment.baseOffset, fileSize: segment.sizeBytes, index, tolerateCrc: true });
    } finally {
      segment.release(files);
    }
    segment.index = index;
    caches.indexes.touch(segment);
    await writeSegmentIndex(files, segment, this.#context.logger);
    return index;
  }

  #segmentPosition(offset: bigint): number {
    const segments = this.#segments;
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
    this.#context.metrics.corruptBatchesRefused.inc({ topic: this.topic });
    this.#context.logger.error({ event: 'corrupt-batch', topic: this.topic, partition: this.index, problem }, 'a stored batch fails its check and is not served');
  };

  /**
   * Reads whole batches starting with the one that holds `offset`, up to maxBytes (at least
   * one batch, KIP-74, unless `minOneBatch` is false), never past the high watermark and
   * never from two segments.
   */
  async read(offset: bigint, maxBytes: number, { minOneBatch = true }: { minOneBatch?: boolean } = {}): Promise<ReadResult> {
    if (this.#state !== 'open') throw this.#closedError();
    const highWatermark = this.highWatermark;
    const logStartOffset = this.logStartOffset;
    const logEndOffset = this.logEndOffset;
    if (offset < logStartOffset || offset > logEndOffset) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `${this.#name}: offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]`, { topic: this.topic, partition: this.index, offset, logStartOffset, highWatermark, logEndOffset });
    }
    const empty = { batches: Buffer.alloc(0), highWatermark, logStartOffset };
    // Written but not yet durable: nothing to serve yet, as Kafka answers between its high watermark and log end.
    if (offset >= highWatermark) return empty;
    const files = this.#context.files;
    // A copy: retention may remove segments from the front while this read waits on I/O.
    const candidates = this.#segments.slice(this.#segmentPosition(offset));
    for (const segment of candidates) {
      const limit = segment.committedBytes;
      if (limit === 0) continue;
      const index = await this.#indexOf(segment);
      let fd: number;
      try {
        fd = await segment.acquire(files, this.#context.caches);
      } catch (error) {
        if (segment.removed) throw new TributaryError('OFFSET_OUT_OF_RANGE', `${this.#name}: offset ${offset} was removed by retention during the read`, { topic: this.topic, partition: this.index, offset }, { cause: error });
        throw error;
      }
      try {
        const start = offset <= segment.baseOffset ? 0 : index.lookupOffset(Number(offset - segment.baseOffset));
        // A consumer at the tail reads what was just written: from the page cache, off the thread pool.
        const reader = segment === this.#active && limit - start <= RECENT_TAIL_BYTES ? files.pageCache : files;
        const found = await segment.findBatch(reader, fd, start, limit, (header) => header.lastOffset >= offset);
        if (found === undefined) continue;
        const batches = await segment.readBatches(reader, fd, found.position, Math.max(minOneBatch ? 1 : 0, maxBytes), limit, this.#onCorrupt, minOneBatch);
        return { batches, highWatermark, logStartOffset };
      } finally {
        segment.release(files);
      }
    }
    return empty;
  }

  /** The first record (by offset) at or after the log start whose timestamp is >= timestampMs, below the high watermark. */
  async offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    if (this.#state !== 'open') throw this.#closedError();
    const files = this.#context.files;
    const start = this.logStartOffset;
    for (const segment of this.#segments.slice()) {
      const limit = segment.committedBytes;
      if (limit === 0 || segment.committedMaxTimestamp < timestampMs) continue;
      const index = await this.#indexOf(segment);
      const fd = await segment.acquire(files, this.#context.caches);
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

  /**
   * Resolves true as soon as the high watermark is above `offset`; false after timeoutMs,
   * when the signal aborts, or when the partition closes. Never rejects, so that a caller
   * racing several partitions can abort the losers without unhandled rejections. No
   * polling: commits wake the waiters.
   */
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.highWatermark > offset) return Promise.resolve(true);
    if (this.#state !== 'open' || timeoutMs <= 0 || signal?.aborted || this.#longPolls.size >= LONG_POLL_WAITERS_MAX) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => poll.finish(false);
      const poll: LongPoll = {
        offset,
        finish: (value) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#longPolls.delete(poll);
          resolve(value);
        },
      };
      const timer = setTimeout(() => poll.finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#longPolls.add(poll);
    });
  }

  /** Removes the oldest segment (never the active one); for retention. Returns it, or undefined when only the active one is left. */
  async removeOldestSegment(): Promise<Segment | undefined> {
    if (this.#segments.length <= 1 || this.#state !== 'open') return undefined;
    const segment = this.#segments.shift()!;
    const files = this.#context.files;
    this.#context.caches.files.delete(segment);
    this.#context.caches.indexes.delete(segment);
    segment.markRemoved(files);
    await files.unlink(segment.path);
    await files.unlink(segment.indexPath);
    await files.unlink(segment.timeIndexPath);
    return segment;
  }

  /** Clean shutdown: sync, write the active segment's index, snapshot and checkpoint at the log end. The committer is drained first. */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#stopTimers();
    await this.#context.committer.syncBarrier();
    const files = this.#context.files;
    const active = this.#active;
    try {
      if (active.syncedBytes < active.sizeBytes) {
        const bytes = active.sizeBytes;
        await files.datasync(active.fd!, active.path);
        active.syncedBytes = bytes;
        this.#commitTo(active, bytes, active.nextOffset, active.maxTimestamp);
      }
      await writeSegmentIndex(files, active, this.#context.logger);
      await files.syncDirectory(this.directory);
      await this.#checkpoint(active.baseOffset, active.sizeBytes, active.nextOffset);
    } catch (error) {
      this.#context.logger.error({ err: error, topic: this.topic, partition: this.index }, 'clean shutdown of the partition failed; the next start verifies its tail');
    }
    this.#endWaiters(new TributaryError('STORAGE_CLOSED', `the log store closed before ${this.#name} made the append durable`, { topic: this.topic, partition: this.index }));
    for (const segment of this.#segments) await segment.close(files);
  }

  /** The topic is being deleted: refuse everything from now on and release the files. */
  async markDeleted(): Promise<void> {
    if (this.#state === 'deleted') return;
    this.#state = 'deleted';
    this.#stopTimers();
    await this.#context.committer.syncBarrier();
    this.#endWaiters(this.#closedError());
    for (const segment of this.#segments) {
      this.#context.caches.files.delete(segment);
      this.#context.caches.indexes.delete(segment);
      segment.markRemoved(this.#context.files);
    }
  }

  #stopTimers(): void {
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
  }

  #endWaiters(error: TributaryError): void {
    for (const poll of [...this.#longPolls]) poll.finish(false);
    const waiters = this.#commitWaiters;
    this.#commitWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

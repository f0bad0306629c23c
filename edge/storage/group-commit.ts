// Group commit: appends from every caller and every partition are queued here and
// written in groups. A group writes each partition's appends with one positional writev
// at the end of its active segment. Then sync rounds: a round issues one fdatasync per
// file written since the previous round, all at once; the next round starts as soon as
// this one ends and covers every group written meanwhile. Appends are acknowledged when
// the round that covered them has ended and the next round has been issued, so the disk
// stays busy while the main thread answers producers and writes the next group. A
// thousand small appends thus cost one large sequential write and at most one
// fdatasync per file per group.
//
// Natural batching: only one group is written at a time, and appends arriving meanwhile,
// or while a sync round is in flight, form the next group, which starts as soon as the
// write is done. When everything is idle, a new group waits until it holds
// groupCommitMaxBytes or its first append has waited groupCommitMaxWaitMs, so that a
// trickle of appends still shares writes and syncs.
//
// Ordering rules (the only place they are written down):
//   - Only the committer writes to segment files, rolls segments and moves the log end;
//     it handles one group at a time, so those steps never overlap for a partition.
//   - Only sync rounds (and a roll or a clean close, which sync the segment they close)
//     move a high watermark; the high watermark only grows, except when an
//     fdatasync fails: then the log is cut back to it, and a write in flight at that
//     moment is discarded (the partition's write epoch changed).
//   - Within a partition, appends keep their arrival order; appends that do not fit the
//     active segment go back to the front of the queue for the next group, which rolls first.
//   - Retention deletes only inactive segments and never waits for the committer; readers
//     hold a reference on a segment's descriptor, so a deleted segment is closed after its
//     last reader.
import type { StorageConfig } from '../../shared/config/topic-config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import type { FileLayer } from './file-io.ts';
import type { StorageMetrics } from './metrics.ts';
import type { PartitionLog, PreparedWrite, SyncTarget } from './partition-log.ts';
import type { AppendResult } from './types.ts';

/** Bytes of appends queued and not yet written; beyond it append() waits, bounding memory held by a burst. */
export const PENDING_APPEND_BYTES_MAX = 64 * 1024 * 1024;

export interface PendingAppend {
  partition: PartitionLog;
  buffer: Buffer;
  headers: RecordBatchHeader[];
  bytes: number;
  records: number;
  enqueuedAtMs: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface GroupCommitterOptions {
  storage: StorageConfig;
  files: FileLayer;
  metrics: StorageMetrics;
  logger: Logger;
  /** Called after each group, with the bytes it wrote. */
  onGroupDone(bytesWritten: number): void;
}

export class GroupCommitter {
  readonly #options: GroupCommitterOptions;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #spaceWaiters: (() => void)[] = [];
  #groupWaiters: (() => void)[] = [];
  /** While above 0, groups start without waiting for more appends. */
  #draining = 0;
  /** Appends arrived while a group was being written: the next group starts as soon as it is done. */
  #arrivedWhileBusy = false;
  /** Partitions with written bytes their flush policy wants synced now. */
  #dirty = new Set<PartitionLog>();
  /** The sync rounds in progress, if any. */
  #syncing: Promise<void> | undefined;
  /** The fdatasyncs of the round in flight. */
  #currentRound: Promise<void> = Promise.resolve();
  /** A group's writes are in progress; sync requests wait for all of them. */
  #writingGroup = false;

  constructor(options: GroupCommitterOptions) {
    this.#options = options;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Queues an append. Returns a promise only when it must wait first, while PENDING_APPEND_BYTES_MAX is reached. */
  enqueue(append: PendingAppend): Promise<void> | undefined {
    if (this.#pendingBytes > 0 && this.#pendingBytes + append.bytes > PENDING_APPEND_BYTES_MAX) return this.#enqueueWhenRoom(append);
    this.#push(append);
    return undefined;
  }

  async #enqueueWhenRoom(append: PendingAppend): Promise<void> {
    while (this.#pendingBytes > 0 && this.#pendingBytes + append.bytes > PENDING_APPEND_BYTES_MAX) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    this.#push(append);
  }

  #push(append: PendingAppend): void {
    this.#pending.push(append);
    this.#pendingBytes += append.bytes;
    // An append that arrives while a group is in flight has been coalescing all along.
    if (this.#running !== undefined) this.#arrivedWhileBusy = true;
    this.#schedule();
  }

  /** Resolves once everything queued now has been written and synced (as the flush policies ask). */
  async drain(): Promise<void> {
    this.#draining += 1;
    try {
      while (this.#running !== undefined || this.#pending.length > 0 || this.#syncing !== undefined) {
        if (this.#running === undefined && this.#pending.length > 0) this.#start();
        await this.#running;
        await this.#syncing;
      }
    } finally {
      this.#draining -= 1;
    }
  }

  /** Resolves once the sync round in flight now (if any) has finished its fdatasyncs. */
  async syncBarrier(): Promise<void> {
    await this.#currentRound;
  }

  /** A partition has written bytes its flush policy wants synced now. */
  requestSync(partition: PartitionLog): void {
    this.#dirty.add(partition);
    // During a group's writes, the round starts when they are all done, to cover them all.
    if (!this.#writingGroup) this.#startSyncRounds();
  }

  #startSyncRounds(): void {
    if (this.#dirty.size === 0) return;
    this.#syncing ??= this.#syncRounds()
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'sync round failed unexpectedly'))
      .finally(() => {
        this.#syncing = undefined;
        // A request that arrived while the last round was finishing starts the next one.
        this.#startSyncRounds();
      });
  }

  /**
   * Sync rounds until nothing is left to sync. Each round's fdatasyncs are issued before
   * the previous round's appends are acknowledged.
   */
  async #syncRounds(): Promise<void> {
    let covered: SyncTarget[] = [];
    const acknowledge = (): void => {
      for (const target of covered) target.partition.acknowledge(target);
      covered = [];
    };
    while (this.#dirty.size > 0) {
      const targets: SyncTarget[] = [];
      for (const partition of this.#dirty) {
        const target = partition.syncTarget();
        if (target !== undefined) targets.push(target);
      }
      this.#dirty.clear();
      const started = process.hrtime.bigint();
      const round = Promise.all(targets.map((target) => this.#options.files.datasync(target.fd, target.segment.path).then(() => undefined, (error: unknown) => error)));
      this.#currentRound = round.then(() => undefined);
      acknowledge();
      const outcomes = await round;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const [index, target] of targets.entries()) {
        const error = outcomes[index];
        if (error === undefined) this.#options.metrics.flushSeconds.observe(seconds);
        if (await target.partition.syncFinished(target, error)) covered.push(target);
      }
    }
    acknowledge();
  }

  /** Resolves once the group in flight now has finished (or at once when idle). */
  async groupBarrier(): Promise<void> {
    if (this.#running === undefined) return;
    await new Promise<void>((resolve) => this.#groupWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#running !== undefined) return;
    const wait = this.#waitBeforeNextGroup();
    if (wait <= 0) {
      this.#start();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#running === undefined) this.#start();
      }, wait);
    }
  }

  /** Milliseconds to keep collecting before the next group; 0 to start now. */
  #waitBeforeNextGroup(): number {
    const oldest = this.#pending[0];
    if (oldest === undefined) return Infinity;
    if (this.#draining > 0 || this.#arrivedWhileBusy || this.#syncing !== undefined) return 0;
    const { groupCommitMaxBytes, groupCommitMaxWaitMs } = this.#options.storage;
    if (this.#pendingBytes >= groupCommitMaxBytes) return 0;
    return groupCommitMaxWaitMs - (Date.now() - oldest.enqueuedAtMs);
  }

  #start(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#pending.length === 0) return;
      if (this.#waitBeforeNextGroup() > 0) return;
      const group = this.#take();
      try {
        await this.#commit(group);
      } catch (error) {
        // A programmer error inside a group must not leave its callers waiting forever.
        this.#options.logger.error({ err: error }, 'group commit failed unexpectedly');
        for (const append of group) append.reject(error);
      }
      const waiters = this.#groupWaiters;
      this.#groupWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Takes appends for one group: at least one, then up to groupCommitMaxBytes. */
  #take(): PendingAppend[] {
    const limit = this.#options.storage.groupCommitMaxBytes;
    let count = 0;
    let bytes = 0;
    while (count < this.#pending.length && (count === 0 || bytes + this.#pending[count]!.bytes <= limit)) {
      bytes += this.#pending[count]!.bytes;
      count += 1;
    }
    if (count === this.#pending.length) this.#arrivedWhileBusy = false;
    const group = count === this.#pending.length ? this.#pending : this.#pending.slice(0, count);
    this.#pending = count === this.#pending.length ? [] : this.#pending.slice(count);
    this.#pendingBytes -= bytes;
    if (this.#spaceWaiters.length > 0) {
      const waiters = this.#spaceWaiters;
      this.#spaceWaiters = [];
      for (const wake of waiters) wake();
    }
    return group;
  }

  async #commit(group: PendingAppend[]): Promise<void> {
    const byPartition = new Map<PartitionLog, PendingAppend[]>();
    for (const append of group) {
      const list = byPartition.get(append.partition);
      if (list === undefined) byPartition.set(append.partition, [append]);
      else list.push(append);
    }
    const now = Date.now();
    const writes: PreparedWrite[] = [];
    const deferred: PendingAppend[] = [];
    for (const [partition, appends] of byPartition) {
      const prepared = await partition.prepare(appends, now);
      if (prepared.write !== undefined) writes.push(prepared.write);
      deferred.push(...prepared.deferred);
    }
    if (deferred.length > 0) {
      this.#pending = [...deferred, ...this.#pending];
      for (const append of deferred) this.#pendingBytes += append.bytes;
    }

    let bytesWritten = 0;
    // Files are written in parallel; then one sync round covers them all (unless one is in flight already).
    this.#writingGroup = true;
    try {
      await Promise.all(writes.map(async (write) => {
        let failure: unknown;
        try {
          await this.#options.files.writeAll(write.fd, write.segment.path, write.buffers, write.position);
          bytesWritten += write.bytes;
        } catch (error) {
          failure = error;
        }
        await write.partition.finishWrite(write, failure);
      }));
    } finally {
      this.#writingGroup = false;
    }
    this.#startSyncRounds();
    if (bytesWritten > 0) this.#options.metrics.groupBytes.observe(bytesWritten);
    this.#options.onGroupDone(bytesWritten);
  }
}

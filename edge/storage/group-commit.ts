// Group commit: appends from every caller and every partition are queued here and
// written in groups. A group writes each partition's appends with one positional
// writev at the end of its active segment and then issues one fdatasync per file,
// so a thousand small appends cost one large sequential write and one sync per file.
//
// Natural batching: only one group is in flight at a time, and appends arriving while it
// writes and syncs accumulate into the next group. Under load the groups grow by
// themselves to what arrives during one sync; at low load a group starts once its first
// append has waited groupCommitMaxWaitMs or it holds groupCommitMaxBytes.
//
// Ordering rules (the only place they are written down):
//   - Only the committer writes to segment files, rolls segments and moves the log end
//     and the high watermark; it handles one group at a time, so those steps never
//     overlap for a partition.
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
import type { PartitionLog, PreparedWrite } from './partition-log.ts';
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
  readonly #syncRequests = new Set<PartitionLog>();
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #spaceWaiters: (() => void)[] = [];
  #groupWaiters: (() => void)[] = [];
  /** While above 0, groups start without waiting for more appends. */
  #draining = 0;

  constructor(options: GroupCommitterOptions) {
    this.#options = options;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Queues an append; waits first while PENDING_APPEND_BYTES_MAX is reached. */
  async enqueue(append: PendingAppend): Promise<void> {
    while (this.#pendingBytes > 0 && this.#pendingBytes + append.bytes > PENDING_APPEND_BYTES_MAX) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    this.#pending.push(append);
    this.#pendingBytes += append.bytes;
    this.#schedule();
  }

  /** Asks for a sync of the partition's active segment in the next group (interval flush policy). */
  requestSync(partition: PartitionLog): void {
    this.#syncRequests.add(partition);
    this.#schedule();
  }

  /** Resolves once the group in flight (if any) and everything queued now have been handled. */
  async drain(): Promise<void> {
    this.#draining += 1;
    try {
      while (this.#running !== undefined || this.#pending.length > 0 || this.#syncRequests.size > 0) {
        if (this.#running === undefined) this.#start();
        await this.#running;
      }
    } finally {
      this.#draining -= 1;
    }
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
    if (this.#syncRequests.size > 0 || this.#draining > 0) return 0;
    const oldest = this.#pending[0];
    if (oldest === undefined) return Infinity;
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
      if (this.#pending.length > 0 || this.#syncRequests.size > 0) this.#schedule();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#pending.length === 0 && this.#syncRequests.size === 0) return;
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

    const syncs = new Set(this.#syncRequests);
    this.#syncRequests.clear();
    let bytesWritten = 0;
    // Each file: write, then sync if its flush policy asks for it now. Files proceed in parallel.
    await Promise.all(writes.map(async (write) => {
      let failure: unknown;
      try {
        await this.#options.files.writeAll(write.fd, write.segment.path, write.buffers, write.position);
        bytesWritten += write.bytes;
      } catch (error) {
        failure = error;
      }
      const written = await write.partition.finishWrite(write, failure);
      const requested = syncs.delete(write.partition);
      if (requested || (written && write.partition.wantsSync(Date.now()))) await write.partition.syncNow();
    }));
    await Promise.all([...syncs].map((partition) => partition.syncNow()));
    if (bytesWritten > 0) this.#options.metrics.groupBytes.observe(bytesWritten);
    this.#options.onGroupDone(bytesWritten);
  }
}

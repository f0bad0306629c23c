// Group commit: prepared writes from every partition are queued here and written in
// groups. A group writes each partition's writes with one positional writev at the end of
// its active segment. Then sync rounds: a round issues one fdatasync per file its
// partitions asked to have synced, all at once; the next round starts as soon as this one
// ends and covers every group written meanwhile. Successes are reported once the next
// round has been issued, so the disk stays busy while the main thread answers producers
// and writes the next group. A thousand small appends thus cost one large sequential write
// and at most one fdatasync per file per group.
//
// Natural batching: only one group is written at a time, and writes arriving meanwhile, or
// while a sync round is in flight, form the next group, which starts as soon as the write
// is done. When everything is idle, a new group waits until it holds groupCommitStartBytes
// or its first write has waited groupCommitMaxWaitMs, so that a trickle of appends still
// shares writes and syncs. The wait ends at a flash page's worth (groupCommitStartBytes)
// because waiting longer saves no flash writes, while every producer with an append in the
// group waits too: MQTT clients that keep a window of QoS 1 publishes in flight stop
// sending until their PUBACKs come, so a fixed wait left the device idle for most of it.
//
// The committer knows partitions only as CommitLanes (write-path.ts): it writes what it is
// handed, in order, and reports; planning, rolling and cutting back are the partition's.
// The store's ordering rules are written down in README.md, in one place.
import type { StorageConfig } from '../../shared/config/topic-config.ts';
import { assert } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { FileLayer } from './file-io.ts';
import type { StorageMetrics } from './metrics.ts';
import type { CommitLane, PreparedWrite, SyncPoint, WriteQueue } from './write-path.ts';

/** Bytes of appends admitted and not yet written; beyond it append() waits, bounding memory held by a burst. */
export const PENDING_APPEND_BYTES_MAX = 64 * 1024 * 1024;

export interface GroupCommitterOptions {
  storage: StorageConfig;
  files: FileLayer;
  metrics: StorageMetrics;
  logger: Logger;
  /** Called after each group, with the bytes it wrote. */
  onGroupDone(bytesWritten: number): void;
}

export class GroupCommitter implements WriteQueue {
  readonly #options: GroupCommitterOptions;
  #queue: PreparedWrite[] = [];
  /** Bytes of the writes in #queue, for the group size. */
  #queuedBytes = 0;
  /** Bytes admitted and not yet released, for PENDING_APPEND_BYTES_MAX. */
  #admittedBytes = 0;
  #spaceWaiters: (() => void)[] = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** While above 0, groups start without waiting for more writes. */
  #draining = 0;
  /** Writes arrived while a group was being written: the next group starts as soon as it is done. */
  #arrivedWhileBusy = false;
  /** Lanes with written bytes their flush policy wants synced now. */
  #dirty = new Set<CommitLane>();
  /** The sync rounds in progress, if any. */
  #syncing: Promise<void> | undefined;
  /** Settles once the round in flight has finished its fdatasyncs and reported their outcomes. */
  #currentRound: Promise<void> = Promise.resolve();
  /** A group's writes are in progress; sync requests wait for all of them. */
  #writingGroup = false;

  constructor(options: GroupCommitterOptions) {
    this.#options = options;
  }

  admit(bytes: number): Promise<void> | undefined {
    if (this.#admittedBytes > 0 && this.#admittedBytes + bytes > PENDING_APPEND_BYTES_MAX) return this.#admitWhenRoom(bytes);
    this.#admittedBytes += bytes;
    return undefined;
  }

  async #admitWhenRoom(bytes: number): Promise<void> {
    while (this.#admittedBytes > 0 && this.#admittedBytes + bytes > PENDING_APPEND_BYTES_MAX) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    this.#admittedBytes += bytes;
  }

  release(bytes: number): void {
    this.#admittedBytes -= bytes;
    assert(this.#admittedBytes >= 0, 'more bytes released than admitted');
    if (this.#spaceWaiters.length > 0) {
      const waiters = this.#spaceWaiters;
      this.#spaceWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  submit(write: PreparedWrite): void {
    this.#queue.push(write);
    this.#queuedBytes += write.bytes;
    // A write that arrives while a group is in flight has been coalescing all along.
    if (this.#running !== undefined) this.#arrivedWhileBusy = true;
    this.#schedule();
  }

  /** Resolves once everything queued now has been written and synced (as the flush policies ask). */
  async drain(): Promise<void> {
    this.#draining += 1;
    try {
      while (this.#running !== undefined || this.#queue.length > 0 || this.#syncing !== undefined) {
        if (this.#running === undefined && this.#queue.length > 0) this.#start();
        await this.#running;
        await this.#syncing;
      }
    } finally {
      this.#draining -= 1;
    }
  }

  async syncBarrier(): Promise<void> {
    await this.#currentRound;
  }

  requestSync(lane: CommitLane): void {
    this.#dirty.add(lane);
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
   * the previous round's successes are reported; a failure is reported as soon as its
   * round ends, so that the partition cuts its log back before anything else moves it.
   */
  async #syncRounds(): Promise<void> {
    let covered: SyncPoint[] = [];
    const acknowledge = (): void => {
      for (const point of covered) point.lane.synced(point, undefined);
      covered = [];
    };
    while (this.#dirty.size > 0) {
      const points: SyncPoint[] = [];
      for (const lane of this.#dirty) {
        const point = lane.syncPoint();
        if (point !== undefined) points.push(point);
      }
      this.#dirty.clear();
      const reported = Promise.withResolvers<void>();
      this.#currentRound = reported.promise;
      try {
        const started = process.hrtime.bigint();
        const round = Promise.all(points.map((point) => this.#options.files.datasync(point.fd, point.segment.path).then(() => undefined, (error: unknown) => error)));
        acknowledge();
        const outcomes = await round;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const [index, point] of points.entries()) {
          const error = outcomes[index];
          if (error === undefined) {
            this.#options.metrics.flushSeconds.observe(seconds);
            covered.push(point);
          } else {
            point.lane.synced(point, error);
          }
        }
      } finally {
        reported.resolve();
      }
    }
    acknowledge();
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
    const oldest = this.#queue[0];
    if (oldest === undefined) return Infinity;
    if (this.#draining > 0 || this.#arrivedWhileBusy || this.#syncing !== undefined) return 0;
    const { groupCommitMaxBytes, groupCommitStartBytes, groupCommitMaxWaitMs } = this.#options.storage;
    if (this.#queuedBytes >= Math.min(groupCommitStartBytes, groupCommitMaxBytes)) return 0;
    return groupCommitMaxWaitMs - (Date.now() - oldest.append.arrivedAtMs);
  }

  #start(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#queue.length === 0) return;
      if (this.#waitBeforeNextGroup() > 0) return;
      await this.#commit(this.#take());
    }
  }

  /** Takes writes for one group: at least one, then up to groupCommitMaxBytes. */
  #take(): PreparedWrite[] {
    const limit = this.#options.storage.groupCommitMaxBytes;
    const queue = this.#queue;
    let count = 0;
    let bytes = 0;
    while (count < queue.length && (count === 0 || bytes + queue[count]!.bytes <= limit)) {
      bytes += queue[count]!.bytes;
      count += 1;
    }
    this.#queuedBytes -= bytes;
    if (count === queue.length) {
      this.#arrivedWhileBusy = false;
      this.#queue = [];
      return queue;
    }
    this.#queue = queue.slice(count);
    return queue.slice(0, count);
  }

  async #commit(group: PreparedWrite[]): Promise<void> {
    const byLane = new Map<CommitLane, PreparedWrite[]>();
    for (const write of group) {
      const writes = byLane.get(write.lane);
      if (writes === undefined) byLane.set(write.lane, [write]);
      else writes.push(write);
    }
    let bytesWritten = 0;
    // Files are written in parallel; then one sync round covers them all (unless one is in flight already).
    this.#writingGroup = true;
    try {
      await Promise.all(Array.from(byLane, async ([lane, writes]) => {
        const run = runOf(writes);
        let failure: unknown;
        if (run !== undefined) {
          try {
            await this.#options.files.writeAll(run.fd, run.path, run.buffers, run.position);
            bytesWritten += run.bytes;
          } catch (error) {
            failure = error;
          }
        }
        lane.written(writes, failure);
      }));
    } finally {
      this.#writingGroup = false;
    }
    this.#startSyncRounds();
    if (bytesWritten > 0) this.#options.metrics.groupBytes.observe(bytesWritten);
    this.#options.onGroupDone(bytesWritten);
  }
}

/** What one writev of a lane's writes in a group covers: they lie back to back in one segment; cancelled ones are left out. */
function runOf(writes: readonly PreparedWrite[]): { fd: number; path: string; position: number; buffers: Buffer[]; bytes: number } | undefined {
  let first: PreparedWrite | undefined;
  const buffers: Buffer[] = [];
  let bytes = 0;
  for (const write of writes) {
    if (write.cancelled) continue;
    first ??= write;
    assert(write.segment === first.segment && write.position === first.position + bytes, 'a lane hands down writes that lie back to back in one segment');
    buffers.push(write.append.buffer);
    bytes += write.bytes;
  }
  return first === undefined ? undefined : { fd: first.fd, path: first.segment.path, position: first.position, buffers, bytes };
}

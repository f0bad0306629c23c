// The high watermark of one partition and everyone waiting on it: an append resolves when
// the high watermark passes its last offset, a long poll when it passes the offset its
// consumer asked for. Only commit() moves the high watermark, and only forward; the writer
// calls it when a sync covered what was written (or at once under the `os` flush policy).
import type { PartitionState } from './partition-state.ts';
import type { Segment } from './segment.ts';

/** Long polls waiting on one partition at once; beyond it a poll returns at once (the caller polls again). Bounded by connections in practice. */
export const LONG_POLL_WAITERS_MAX = 4096;

export interface CommitWaiter {
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
  /** A read_committed poll: it waits on the last stable offset instead of the high watermark. */
  stable: boolean;
  finish(value: boolean): void;
}

export class CommitTracker {
  readonly #state: PartitionState;
  /** Ordered by target. Bounded by what is written between two syncs: a group under `always`, at most intervalMs of appends under `interval`. */
  #waiters: CommitWaiter[] = [];
  readonly #longPolls = new Set<LongPoll>();

  constructor(state: PartitionState) {
    this.#state = state;
  }

  /** Waits for the high watermark to reach waiter.target. Written appends arrive in offset order; a duplicate's answer may fall between them. */
  wait(waiter: CommitWaiter): void {
    const waiters = this.#waiters;
    let at = waiters.length;
    while (at > 0 && waiters[at - 1]!.target > waiter.target) at -= 1;
    if (at === waiters.length) waiters.push(waiter);
    else waiters.splice(at, 0, waiter);
  }

  /** The segment is durable up to `bytes` (`nextOffset`): the high watermark moves there, answering everyone below it. */
  commit(segment: Segment, bytes: number, nextOffset: bigint, maxTimestamp: bigint): void {
    if (bytes <= segment.committedBytes) return;
    segment.committedBytes = bytes;
    segment.committedNextOffset = nextOffset;
    segment.committedMaxTimestamp = maxTimestamp;
    const { producers, context } = this.#state;
    producers.commit(nextOffset);
    const waiters = this.#waiters;
    let done = 0;
    while (done < waiters.length && waiters[done]!.target <= nextOffset) done += 1;
    if (done > 0) {
      const ready = waiters.splice(0, done);
      let records = 0;
      let readyBytes = 0;
      for (const waiter of ready) {
        records += waiter.records;
        readyBytes += waiter.bytes;
        waiter.resolve();
      }
      // Once per commit rather than per append: label lookups are not free on the hot path.
      if (records > 0) {
        context.metrics.appendedRecords.inc({ topic: this.#state.topic }, records);
        context.metrics.appendedBytes.inc({ topic: this.#state.topic }, readyBytes);
      }
    }
    const lastStable = this.#state.lastStableOffset;
    for (const poll of this.#longPolls) if (poll.offset < (poll.stable ? lastStable : nextOffset)) poll.finish(true);
    context.onDurable(this.#state.topic, this.#state.index, nextOffset);
  }

  /** Refuses every append waiting for an offset above `offset`: the log was cut back there. */
  rejectAbove(offset: bigint, error: unknown): void {
    const kept: CommitWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.target > offset) waiter.reject(error);
      else kept.push(waiter);
    }
    this.#waiters = kept;
  }

  /**
   * Resolves true as soon as the high watermark (with `stable`, the last stable offset) is above `offset`; false after timeoutMs,
   * when the signal aborts, or when the partition closes. Never rejects, so that a caller
   * racing several partitions can abort the losers without unhandled rejections. No
   * polling: commits wake the waiters.
   */
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal, stable = false): Promise<boolean> {
    if ((stable ? this.#state.lastStableOffset : this.#state.highWatermark) > offset) return Promise.resolve(true);
    if (this.#state.status !== 'open' || timeoutMs <= 0 || signal?.aborted || this.#longPolls.size >= LONG_POLL_WAITERS_MAX) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => poll.finish(false);
      const poll: LongPoll = {
        offset,
        stable,
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

  /** The partition closed or was deleted: every append still waiting is refused, every long poll ends. */
  end(error: unknown): void {
    for (const poll of [...this.#longPolls]) poll.finish(false);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

// One timer for many deadlines (session expiry, delayed wills): a binary heap ordered by
// time, with the earliest deadline on one setTimeout. A connection or session costs a heap
// entry, not a timer of its own. Cancelled entries are skipped when they come up.

export interface Deadline {
  readonly atMs: number;
  cancelled: boolean;
}

interface Entry extends Deadline {
  run: () => void;
}

/** Longest single setTimeout; a later deadline is reached in steps (Node's timers hold 2^31-1 ms). */
const TIMER_MS_MAX = 2_147_483_647;

export class Deadlines {
  readonly #heap: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #closed = false;

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `run` at `atMs` (milliseconds since the epoch) unless cancelled first. */
  at(atMs: number, run: () => void): Deadline {
    const entry: Entry = { atMs, run, cancelled: false };
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.atMs <= entry.atMs) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
    this.#arm();
    return entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.atMs < heap[left]!.atMs ? right : left;
        if (heap[child]!.atMs >= last.atMs) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }

  #arm(): void {
    if (this.#closed) return;
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
    const next = this.#heap[0];
    if (next === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= next.atMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = next.atMs;
    this.#timer = setTimeout(() => this.#fire(), Math.min(TIMER_MS_MAX, Math.max(0, next.atMs - Date.now())));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    while (this.#heap.length > 0 && this.#heap[0]!.atMs <= now) {
      const entry = this.#pop();
      if (!entry.cancelled) {
        entry.cancelled = true;
        entry.run();
      }
    }
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#heap.length = 0;
  }
}

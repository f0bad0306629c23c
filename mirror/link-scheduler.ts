// Who sends next on the link. Every partition mirror asks for a turn before each produce
// request; the scheduler grants turns so that:
//
// - topics of a higher priority go first: while one of them waits, lower ones do not get
//   a turn (strict priority between levels, as an alarm topic wants);
// - within a level the link is shared fairly by bytes (start-time fair queuing): the
//   waiting partition that has been served the fewest bytes goes next, and a partition
//   that was idle re-enters at the level's current virtual time, so it cannot claim
//   credit for its idle time, nor wait behind another partition's whole backlog. This is
//   what keeps a backlog that drains after an outage from starving live data: a caught-up
//   partition's new records get the next turn, at most one batch of each backlogged
//   partition later;
// - outside the sync windows only senders marked "anytime" get turns;
// - the bandwidth cap holds (bandwidth.ts), and at most `inFlightBytesMax` bytes are
//   granted and not yet answered, so that the order chosen here, not a socket buffer,
//   decides what crosses the link next.
import { assert, TributaryError } from '../shared/errors.ts';
import type { BandwidthShaper } from './bandwidth.ts';

export interface SenderClass {
  priority: number;
  /** Gets turns outside the sync windows too. */
  anytime: boolean;
}

export interface Grant {
  readonly bytes: number;
  /** The request was answered (or failed): its bytes no longer count as in flight. */
  release(): void;
}

interface Waiter {
  sender: Sender;
  bytes: number;
  sequence: number;
  resolve(grant: Grant): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Sender extends SenderClass {
  key: string;
  servedBytes: number;
  waiter: Waiter | undefined;
}

export interface LinkSchedulerOptions {
  shaper: BandwidthShaper;
  inFlightBytesMax: number;
  /** Whether the sync windows let ordinary senders go now. */
  windowOpen: () => boolean;
}

export class LinkScheduler {
  readonly #options: LinkSchedulerOptions;
  readonly #senders = new Map<string, Sender>();
  /** Per priority level: the served bytes of the last sender granted there (the level's virtual time). */
  readonly #virtualTime = new Map<number, number>();
  #inFlightBytes = 0;
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LinkSchedulerOptions) {
    this.#options = options;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Senders waiting for a turn, for metrics and tests. */
  get waiting(): number {
    let count = 0;
    for (const sender of this.#senders.values()) if (sender.waiter) count += 1;
    return count;
  }

  /** Waits for a turn to send `bytes` on behalf of `key`. One request per sender at a time. */
  acquire(key: string, senderClass: SenderClass, bytes: number, signal?: AbortSignal): Promise<Grant> {
    if (this.#closed) return Promise.reject(new TributaryError('MIRROR_TARGET_FAILED', 'the mirror is stopping', {}));
    let sender = this.#senders.get(key);
    if (sender === undefined) {
      sender = { key, ...senderClass, servedBytes: 0, waiter: undefined };
      this.#senders.set(key, sender);
    }
    sender.priority = senderClass.priority;
    sender.anytime = senderClass.anytime;
    assert(sender.waiter === undefined, `sender ${key} already waits for a turn`);
    // An idle sender re-enters at the level's virtual time (start-time fair queuing).
    sender.servedBytes = Math.max(sender.servedBytes, this.#virtualTime.get(sender.priority) ?? 0);
    return new Promise<Grant>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter: Waiter = { sender: sender!, bytes, sequence: this.#sequence++, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          if (sender!.waiter === waiter) sender!.waiter = undefined;
          reject(signal.reason);
          this.#dispatch();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      sender!.waiter = waiter;
      this.#dispatch();
    });
  }

  /** Forget a sender (its partition went away). */
  remove(key: string): void {
    const sender = this.#senders.get(key);
    if (sender?.waiter) sender.waiter.reject(new TributaryError('MIRROR_TARGET_FAILED', `sender ${key} was removed`, {}));
    this.#senders.delete(key);
  }

  /** The sync windows opened or closed, or the cap changed: look again at who may go. */
  wake(): void {
    this.#dispatch();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const sender of this.#senders.values()) {
      const waiter = sender.waiter;
      sender.waiter = undefined;
      if (waiter) {
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(new TributaryError('MIRROR_TARGET_FAILED', 'the mirror is stopping', {}));
      }
    }
  }

  #next(): Waiter | undefined {
    const open = this.#options.windowOpen();
    let best: Waiter | undefined;
    for (const sender of this.#senders.values()) {
      const waiter = sender.waiter;
      if (waiter === undefined || (!open && !sender.anytime)) continue;
      if (best === undefined || isBefore(waiter, best)) best = waiter;
    }
    return best;
  }

  #dispatch(): void {
    if (this.#closed) return;
    for (;;) {
      const waiter = this.#next();
      if (waiter === undefined) return;
      // One request always fits, however large; otherwise keep within the in-flight bound.
      if (this.#inFlightBytes > 0 && this.#inFlightBytes + waiter.bytes > this.#options.inFlightBytesMax) return;
      const delayMs = this.#options.shaper.delayMs();
      if (delayMs > 0) {
        if (this.#timer === undefined) {
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#dispatch();
          }, delayMs);
        }
        return;
      }
      this.#grant(waiter);
    }
  }

  #grant(waiter: Waiter): void {
    const { sender, bytes } = waiter;
    sender.waiter = undefined;
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.#virtualTime.set(sender.priority, sender.servedBytes);
    sender.servedBytes += bytes;
    this.#options.shaper.charge(bytes);
    this.#inFlightBytes += bytes;
    let released = false;
    waiter.resolve({
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlightBytes -= bytes;
        this.#dispatch();
      },
    });
  }
}

function isBefore(a: Waiter, b: Waiter): boolean {
  if (a.sender.priority !== b.sender.priority) return a.sender.priority > b.sender.priority;
  if (a.sender.servedBytes !== b.sender.servedBytes) return a.sender.servedBytes < b.sender.servedBytes;
  return a.sequence < b.sequence;
}

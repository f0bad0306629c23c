// A token bucket that paces bytes to a rate. Waiters are served first come, first served,
// so connections sharing one direction of the link share its bandwidth fairly.
import { assert } from '../../shared/errors.ts';

/**
 * The bucket holds at most this much traffic, in seconds at the current rate: enough to
 * absorb timer jitter, small enough that a burst after an idle period moves the rate
 * measured over a few seconds by only a few percent.
 */
export const BURST_SECONDS = 0.05;
/** Smallest bucket, so that even a very low cap lets a typical TCP segment pass in one piece. */
export const BURST_BYTES_MIN = 1_460;
/** Waiters queued on one bucket at most; each connection direction waits for one slice at a time. */
const WAITERS_MAX = 100_000;

interface Waiter {
  bytes: number;
  resolve: () => void;
}

export class TokenBucket {
  #bytesPerSecond: number;
  #capacityBytes: number;
  #tokens: number;
  #refilledAtMs: number;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(bytesPerSecond: number) {
    assert(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0, 'a token bucket needs a positive rate');
    this.#bytesPerSecond = bytesPerSecond;
    this.#capacityBytes = capacityFor(bytesPerSecond);
    // Start empty: a full bucket would let the first burst through above the cap.
    this.#tokens = 0;
    this.#refilledAtMs = performance.now();
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  /** The largest amount one `take` may ask for: callers cut their data into slices this big. */
  get sliceBytesMax(): number {
    return this.#capacityBytes;
  }

  setRate(bytesPerSecond: number): void {
    assert(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0, 'a token bucket needs a positive rate');
    this.#refill();
    this.#bytesPerSecond = bytesPerSecond;
    this.#capacityBytes = capacityFor(bytesPerSecond);
    this.#tokens = Math.min(this.#tokens, this.#capacityBytes);
    // A waiter may now ask for more than the smaller bucket can hold; let it through
    // when the bucket is full rather than never.
    this.#reschedule();
  }

  /** Resolves when `bytes` may pass. Resolves at once when tokens are available and nobody waits. */
  take(bytes: number): Promise<void> {
    assert(bytes > 0, 'take needs a positive byte count');
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= Math.min(bytes, this.#capacityBytes)) {
      this.#tokens -= bytes;
      return Promise.resolve();
    }
    assert(this.#waiters.length < WAITERS_MAX, 'too many waiters on one token bucket');
    return new Promise((resolve) => {
      this.#waiters.push({ bytes, resolve });
      this.#reschedule();
    });
  }

  /** Releases pending waiters at once (the link is closing). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  #refill(): void {
    const nowMs = performance.now();
    const elapsedSeconds = (nowMs - this.#refilledAtMs) / 1000;
    this.#refilledAtMs = nowMs;
    // Tokens may be negative after a slice larger than the bucket; refilling pays that debt first.
    this.#tokens = Math.min(this.#capacityBytes, this.#tokens + elapsedSeconds * this.#bytesPerSecond);
  }

  #reschedule(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#release();
    const head = this.#waiters[0];
    if (head === undefined) return;
    const missingBytes = Math.min(head.bytes, this.#capacityBytes) - this.#tokens;
    const waitMs = Math.max(1, Math.ceil((missingBytes / this.#bytesPerSecond) * 1000));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#reschedule();
    }, waitMs);
  }

  #release(): void {
    this.#refill();
    for (let head = this.#waiters[0]; head !== undefined; head = this.#waiters[0]) {
      if (this.#tokens < Math.min(head.bytes, this.#capacityBytes)) return;
      this.#tokens -= head.bytes;
      this.#waiters.shift();
      head.resolve();
    }
  }
}

function capacityFor(bytesPerSecond: number): number {
  return Math.max(BURST_BYTES_MIN, Math.floor(bytesPerSecond * BURST_SECONDS));
}

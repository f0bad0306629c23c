// The bandwidth cap of the link: a token bucket that may go into debt. Tokens are bytes;
// they accrue at the cap's rate up to a small burst. A request may go when the balance is
// not negative, and is then charged its full size, which may push the balance below zero;
// the next request waits until the debt is paid. Over any long interval the bytes sent
// stay within rate × time + burst, and a request larger than the burst is never stuck
// waiting for a balance it can never reach.
//
// The clock is injected so that the arithmetic is tested without waiting.

/** Burst allowance in seconds of the cap: small, so that the cap holds over short intervals too. */
const BURST_SECONDS = 0.1;
/** A burst is never smaller than this, so that tiny caps still let one small request through at once. */
const BURST_BYTES_MIN = 1024;

export class BandwidthShaper {
  #bytesPerSecond: number;
  #burstBytes: number;
  #balance: number;
  #updatedMs: number;
  readonly #now: () => number;

  /** `bytesPerSecond` 0 means no cap. */
  constructor(bytesPerSecond: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#bytesPerSecond = 0;
    this.#burstBytes = 0;
    this.#balance = 0;
    this.#updatedMs = now();
    this.setRate(bytesPerSecond);
    // A new bucket starts full: the first request after start goes at once.
    this.#balance = this.#burstBytes;
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  get capped(): boolean {
    return this.#bytesPerSecond > 0;
  }

  setRate(bytesPerSecond: number): void {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) throw new RangeError(`bandwidth ${bytesPerSecond} B/s is not a non-negative number`);
    this.#refill();
    this.#bytesPerSecond = bytesPerSecond;
    this.#burstBytes = Math.max(BURST_BYTES_MIN, bytesPerSecond * BURST_SECONDS);
    this.#balance = Math.min(this.#balance, this.#burstBytes);
  }

  /** Milliseconds until a request may go; 0 when it may go now. */
  delayMs(): number {
    if (!this.capped) return 0;
    this.#refill();
    if (this.#balance >= 0) return 0;
    return Math.ceil((-this.#balance / this.#bytesPerSecond) * 1000);
  }

  /** Charges bytes that were sent (or are about to be). */
  charge(bytes: number): void {
    if (!this.capped) return;
    this.#refill();
    this.#balance -= bytes;
  }

  /** Resolves once a request may go; rejects if the signal aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
    for (let delay = this.delayMs(); delay > 0; delay = this.delayMs()) {
      await sleep(delay, signal);
    }
  }

  #refill(): void {
    const now = this.#now();
    const elapsedMs = now - this.#updatedMs;
    this.#updatedMs = now;
    if (!this.capped || elapsedMs <= 0) return;
    this.#balance = Math.min(this.#burstBytes, this.#balance + (elapsedMs / 1000) * this.#bytesPerSecond);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// Exponential backoff between reconnection attempts: the wait doubles with each failure
// in a row, up to a ceiling, and starts again from the minimum once a session has been
// up. A little jitter keeps a fleet of devices that lost the same peer (a PLC network
// switch rebooting, the plant's HTTP endpoint down) from reconnecting in step.
import { setTimeout as sleep } from 'node:timers/promises';

/** Share of the wait drawn at random on either side: ±20%. */
const JITTER_SHARE = 0.2;
/** Doublings counted at most; 2^30 times the minimum is past any ceiling already. */
const DOUBLINGS_MAX = 30;

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  readonly #options: BackoffOptions;
  #failures = 0;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** Failures in a row since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** The wait after one more failure, in milliseconds. */
  nextDelayMs(): number {
    this.#failures += 1;
    const { minMs, maxMs } = this.#options;
    const base = Math.min(maxMs, minMs * 2 ** Math.min(this.#failures - 1, DOUBLINGS_MAX));
    const jitter = 1 + JITTER_SHARE * (2 * (this.#options.random ?? Math.random)() - 1);
    return Math.max(1, Math.round(Math.min(maxMs, base * jitter)));
  }

  succeeded(): void {
    this.#failures = 0;
  }
}

/** Waits `ms`, or less if `signal` aborts (then resolves false instead of true). */
export async function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

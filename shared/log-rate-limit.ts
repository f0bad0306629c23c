// A warning that may repeat thousands of times a second under pressure (a connection flood,
// a producer retrying into a full disk) is written once, then at most once per interval
// with the number of times it happened meanwhile: the log says what and where, and a flood
// cannot fill the disk or the terminal with it. The metric beside it counts every one.
import type { Logger } from './logger.ts';

/** One line per kind of event this often at most. */
export const REPEATED_WARNING_INTERVAL_MS = 10_000;
/** Kinds remembered at most; a new kind beyond it starts the memory afresh. */
const KINDS_MAX = 1_000;

export class RepeatedWarnings {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #kinds = new Map<string, { lastAtMs: number; suppressed: number }>();
  readonly #clock: () => number;

  /** `clock` is the time in milliseconds; a test passes its own. */
  constructor(logger: Logger, intervalMs = REPEATED_WARNING_INTERVAL_MS, clock: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /**
   * Writes `message` with `details` unless a line of the same `kind` was written within the
   * interval; the next line written says how many were left out (`suppressed`).
   */
  warn(kind: string, details: Record<string, unknown>, message: string): void {
    this.#write('warn', kind, details, message);
  }

  /** As warn(), at the error level: a failure that repeats (every append into a failing disk) rather than a refusal. */
  error(kind: string, details: Record<string, unknown>, message: string): void {
    this.#write('error', kind, details, message);
  }

  #write(level: 'warn' | 'error', kind: string, details: Record<string, unknown>, message: string): void {
    const now = this.#clock();
    const seen = this.#kinds.get(kind);
    if (seen !== undefined && now - seen.lastAtMs < this.#intervalMs) {
      seen.suppressed += 1;
      return;
    }
    if (seen === undefined && this.#kinds.size >= KINDS_MAX) this.#kinds.clear();
    const suppressed = seen?.suppressed ?? 0;
    this.#kinds.set(kind, { lastAtMs: now, suppressed: 0 });
    this.#logger[level](suppressed > 0 ? { ...details, suppressed, suppressedOverMs: now - seen!.lastAtMs } : details, message);
  }
}

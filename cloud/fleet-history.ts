// What the fleet view remembers of each edge beyond its newest heartbeat: the recent
// heartbeats (backlog, throughput and when each was sent and read, for the sparklines and
// the backlog-growth alert), the clock skew seen on heartbeats read as they arrived, and
// each distinct error with when it was first and last reported and how often.
import type { Heartbeat } from '../shared/heartbeat.ts';

/** Heartbeats kept per edge: an hour at the default 30 s interval. */
export const EDGE_HISTORY_SAMPLES_MAX = 120;
/** Distinct error messages kept per edge; past this the one reported longest ago is forgotten. */
export const EDGE_ERRORS_MAX = 20;

export interface EdgeSample {
  sentAtMs: number;
  receivedAtMs: number;
  lagRecords: number;
  lagSeconds: number;
  throughputBytesPerSecond: number;
}

export interface EdgeError {
  message: string;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Errors the edge counted while this was its latest error (the rise of its error counter over those heartbeats); at least 1. */
  count: number;
}

export class EdgeHistory {
  readonly samples: EdgeSample[] = [];
  readonly #errors = new Map<string, EdgeError>();
  /** Read time minus send time of the newest heartbeat read as it arrived; positive when the edge's clock is behind. */
  clockSkewMs: number | null = null;
  #lastErrors: number | undefined;

  /** Notes a heartbeat newer than any before it; `live` when it was read as it arrived, not from the topic's history. */
  observe(heartbeat: Heartbeat, receivedAtMs: number, live: boolean): void {
    this.samples.push({ sentAtMs: heartbeat.sentAtMs, receivedAtMs, lagRecords: heartbeat.lagRecords, lagSeconds: heartbeat.lagSeconds, throughputBytesPerSecond: heartbeat.throughputBytesPerSecond });
    if (this.samples.length > EDGE_HISTORY_SAMPLES_MAX) this.samples.shift();
    if (live) this.clockSkewMs = receivedAtMs - heartbeat.sentAtMs;
    // A restarted mirror counts its errors from zero again.
    const rise = this.#lastErrors === undefined || heartbeat.errors < this.#lastErrors ? heartbeat.errors : heartbeat.errors - this.#lastErrors;
    this.#lastErrors = heartbeat.errors;
    if (heartbeat.lastError === null || heartbeat.lastErrorAtMs <= 0) return;
    const known = this.#errors.get(heartbeat.lastError);
    if (known === undefined) {
      this.#errors.set(heartbeat.lastError, { message: heartbeat.lastError, firstSeenMs: heartbeat.lastErrorAtMs, lastSeenMs: heartbeat.lastErrorAtMs, count: Math.max(1, rise) });
      if (this.#errors.size > EDGE_ERRORS_MAX) this.#errors.delete([...this.#errors.values()].sort((a, b) => a.lastSeenMs - b.lastSeenMs)[0]!.message);
    } else if (heartbeat.lastErrorAtMs > known.lastSeenMs) {
      known.lastSeenMs = heartbeat.lastErrorAtMs;
      known.count += Math.max(1, rise);
    }
  }

  errors(): EdgeError[] {
    return [...this.#errors.values()].sort((a, b) => b.lastSeenMs - a.lastSeenMs);
  }

  /** How much the backlog grew over the last `windowMs` (by the edge's clock); null without a heartbeat that old. */
  backlogGrowth(windowMs: number): number | null {
    const newest = this.samples.at(-1);
    if (newest === undefined) return null;
    const start = this.samples.find((sample) => newest.sentAtMs - sample.sentAtMs <= windowMs);
    // The window must be covered: the oldest sample inside it must be at least half the window old.
    if (start === undefined || start === newest || newest.sentAtMs - start.sentAtMs < windowMs / 2) return null;
    return newest.lagRecords - start.lagRecords;
  }
}

// Samples the log's and the mirror's running totals at a fixed interval and keeps the
// recent samples, so that the console can chart throughput over time (and show it at once
// to a page opened later) and show each topic's current rates.
import type { ConsoleProviders } from './providers.ts';

/** One sample every 2 s: smooth enough for a chart, cheap (in-memory totals only). */
export const SAMPLE_INTERVAL_MS = 2_000;
/** 900 samples at 2 s: the last 30 minutes, a few tens of kilobytes of memory. */
export const SAMPLES_MAX = 900;

export interface ThroughputSample {
  atMs: number;
  /** Records appended to the log since the daemon started (sum of log end offsets). */
  recordsTotal: number;
  /** Bytes of the log on disk. */
  bytesTotal: number;
  /** Null when no mirror runs. */
  mirrorDeliveredTotal: number | null;
  mirrorBacklogRecords: number | null;
}

export interface TopicRate {
  recordsPerSecond: number;
  bytesPerSecond: number;
}

interface TopicTotals {
  atMs: number;
  records: bigint;
  bytes: number;
}

export class ThroughputHistory {
  readonly #providers: ConsoleProviders;
  readonly #samples: ThroughputSample[] = [];
  readonly #intervalMs: number;
  /** The two newest per-topic totals: the rate is their difference over their time apart. */
  #previous = new Map<string, TopicTotals>();
  #latest = new Map<string, TopicTotals>();
  #timer: NodeJS.Timeout | undefined;

  constructor(providers: ConsoleProviders, intervalMs = SAMPLE_INTERVAL_MS) {
    this.#providers = providers;
    this.#intervalMs = intervalMs;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    // The sampler never keeps the daemon alive on its own.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(nowMs = Date.now()): void {
    let recordsTotal = 0n;
    let bytesTotal = 0;
    const totals = new Map<string, TopicTotals>();
    for (const topic of this.#providers.topics.topics()) {
      let records = 0n;
      let bytes = 0;
      for (const partition of topic.partitions) {
        records += partition.logEndOffset;
        bytes += partition.sizeBytes;
      }
      totals.set(topic.name, { atMs: nowMs, records, bytes });
      recordsTotal += records;
      bytesTotal += bytes;
    }
    this.#previous = this.#latest;
    this.#latest = totals;
    const mirror = this.#providers.mirror?.report();
    this.#samples.push({
      atMs: nowMs,
      recordsTotal: Number(recordsTotal),
      bytesTotal,
      mirrorDeliveredTotal: mirror?.deliveredRecordsTotal ?? null,
      mirrorBacklogRecords: mirror?.backlogRecords ?? null,
    });
    if (this.#samples.length > SAMPLES_MAX) this.#samples.splice(0, this.#samples.length - SAMPLES_MAX);
  }

  samples(): readonly ThroughputSample[] {
    return this.#samples;
  }

  /** Records and bytes per second of `topic` between the last two samples; zero before there are two. */
  rateOf(topic: string): TopicRate {
    const latest = this.#latest.get(topic);
    const previous = this.#previous.get(topic);
    if (!latest || !previous || latest.atMs <= previous.atMs) return { recordsPerSecond: 0, bytesPerSecond: 0 };
    const seconds = (latest.atMs - previous.atMs) / 1000;
    // Retention can shrink the byte total; a negative rate would mean nothing to an operator.
    return {
      recordsPerSecond: Math.max(0, Number(latest.records - previous.records) / seconds),
      bytesPerSecond: Math.max(0, (latest.bytes - previous.bytes) / seconds),
    };
  }
}

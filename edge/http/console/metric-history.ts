// The console's memory of the last hour: every HISTORY_INTERVAL_MS it reads a fixed set of
// the daemon's metrics (metric-reader.ts) and the mirror's report, and keeps the samples,
// so that a page opened later charts the last hour at once. Counters are kept as totals and
// turned into per-second rates only when asked; each topic's rate comes from its log end
// offsets. Every GROUP_LAG_EVERY_SAMPLES samples it also notes each consumer group's total
// lag, for the groups' lag over time.
import type { Registry } from 'prom-client';
import { groupView, logOffsetsOf } from './group-view.ts';
import { metricSum } from './metric-reader.ts';
import type { ConsoleProviders } from './providers.ts';

/** One sample every 5 s: fine enough for an overview, and 720 of them are the last hour. */
export const HISTORY_INTERVAL_MS = 5_000;
/** The last hour at HISTORY_INTERVAL_MS; about a hundred kilobytes. */
export const HISTORY_SAMPLES_MAX = 720;
/** Group lag every 30 s (six samples): a group's lag moves slower than throughput, and each costs an offset lookup per partition. */
export const GROUP_LAG_EVERY_SAMPLES = 6;
/** Group lag samples kept per group: the last hour at one per 30 s. */
export const GROUP_LAG_SAMPLES_MAX = 120;
/** Groups whose lag is remembered; past this the one seen longest ago is forgotten. */
export const GROUP_LAG_GROUPS_MAX = 64;

/** Running totals, charted as rates: each is a metric the daemon exports (labels narrowing it). */
export const COUNTER_SERIES = {
  mqttIn: { metric: 'tributary_mqtt_publishes_in_total' },
  kafkaIn: { metric: 'tributary_kafka_produced_records_total' },
  mirrorIn: { metric: 'tributary_mirror_records_delivered_total', labels: { direction: 'reverse' } },
  mqttOut: { metric: 'tributary_mqtt_publishes_out_total' },
  kafkaOut: { metric: 'tributary_kafka_fetched_records_total' },
  mirrorOut: { metric: 'tributary_mirror_records_delivered_total', labels: { direction: 'forward' } },
  appendBytes: { metric: 'tributary_storage_append_bytes_total' },
  deviceWriteBytes: { metric: 'tributary_process_write_bytes_total' },
} as const satisfies Record<string, { metric: string; labels?: Record<string, string> }>;

/** Levels, charted as they are. */
export const GAUGE_SERIES = {
  diskUsageBytes: { metric: 'tributary_storage_disk_usage_bytes' },
  mqttConnected: { metric: 'tributary_mqtt_connected_clients' },
} as const satisfies Record<string, { metric: string }>;

export type CounterName = keyof typeof COUNTER_SERIES;
export type GaugeName = keyof typeof GAUGE_SERIES | 'backlogRecords' | 'backlogBytes' | 'backlogSeconds' | 'linkUp';

export interface HistorySample {
  atMs: number;
  counters: Record<CounterName, number | null>;
  gauges: Record<GaugeName, number | null>;
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

export class MetricHistory {
  readonly #registry: Registry;
  readonly #providers: ConsoleProviders;
  readonly #intervalMs: number;
  readonly #samples: HistorySample[] = [];
  readonly #groupLag = new Map<string, { atMs: number; lag: number }[]>();
  readonly #listeners = new Set<(sample: HistorySample) => void>();
  /** The two newest per-topic totals: a topic's rate is their difference over their time apart. */
  #previousTopics = new Map<string, TopicTotals>();
  #latestTopics = new Map<string, TopicTotals>();
  #sampleCount = 0;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;

  constructor(registry: Registry, providers: ConsoleProviders, intervalMs = HISTORY_INTERVAL_MS) {
    this.#registry = registry;
    this.#providers = providers;
    this.#intervalMs = intervalMs;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.#intervalMs);
    // The sampler never keeps the daemon alive on its own.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  /** Called after each sample (the console's live events); returns the function that stops it. */
  onSample(listener: (sample: HistorySample) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes one sample now (the timer calls this; tests may too). Samples never overlap. */
  sample(nowMs = Date.now()): Promise<void> {
    this.#sampling ??= this.#take(nowMs).finally(() => { this.#sampling = undefined; });
    return this.#sampling;
  }

  async #take(nowMs: number): Promise<void> {
    const counters = {} as Record<CounterName, number | null>;
    for (const [name, series] of Object.entries(COUNTER_SERIES) as [CounterName, { metric: string; labels?: Record<string, string> }][]) {
      counters[name] = await metricSum(this.#registry, series.metric, series.labels);
    }
    const gauges = {} as Record<GaugeName, number | null>;
    for (const [name, series] of Object.entries(GAUGE_SERIES) as [keyof typeof GAUGE_SERIES, { metric: string }][]) {
      gauges[name] = await metricSum(this.#registry, series.metric);
    }
    const report = this.#providers.mirror?.report();
    gauges.backlogRecords = report?.backlogRecords ?? null;
    gauges.backlogBytes = report?.backlogBytes ?? null;
    gauges.backlogSeconds = report?.backlogSeconds ?? null;
    gauges.linkUp = report === undefined ? null : report.state === 'up' ? 1 : 0;

    const topics = this.#providers.topics.topics();
    const totals = new Map<string, TopicTotals>();
    for (const topic of topics) {
      let records = 0n;
      let bytes = 0;
      for (const partition of topic.partitions) {
        records += partition.logEndOffset;
        bytes += partition.sizeBytes;
      }
      totals.set(topic.name, { atMs: nowMs, records, bytes });
    }
    this.#previousTopics = this.#latestTopics;
    this.#latestTopics = totals;

    if (this.#sampleCount % GROUP_LAG_EVERY_SAMPLES === 0 && this.#providers.groups) this.#sampleGroupLag(nowMs, topics);
    this.#sampleCount += 1;

    const sample: HistorySample = { atMs: nowMs, counters, gauges };
    this.#samples.push(sample);
    if (this.#samples.length > HISTORY_SAMPLES_MAX) this.#samples.splice(0, this.#samples.length - HISTORY_SAMPLES_MAX);
    for (const listener of this.#listeners) listener(sample);
  }

  #sampleGroupLag(nowMs: number, topics: ReturnType<ConsoleProviders['topics']['topics']>): void {
    const offsets = logOffsetsOf(topics);
    const mirror = this.#providers.mirror ? { deliveredGroup: this.#providers.mirror.deliveredGroup, report: this.#providers.mirror.report() } : undefined;
    for (const group of this.#providers.groups!.groups()) {
      const lag = Number(groupView(group, offsets, mirror).totalLag);
      const samples = this.#groupLag.get(group.groupId) ?? [];
      samples.push({ atMs: nowMs, lag });
      if (samples.length > GROUP_LAG_SAMPLES_MAX) samples.shift();
      // Re-inserted, so that the map's first key is the group updated longest ago.
      this.#groupLag.delete(group.groupId);
      this.#groupLag.set(group.groupId, samples);
      if (this.#groupLag.size > GROUP_LAG_GROUPS_MAX) this.#groupLag.delete(this.#groupLag.keys().next().value!);
    }
  }

  samples(): readonly HistorySample[] {
    return this.#samples;
  }

  latest(): HistorySample | undefined {
    return this.#samples.at(-1);
  }

  groupLag(groupId: string): readonly { atMs: number; lag: number }[] {
    return this.#groupLag.get(groupId) ?? [];
  }

  /** Records and bytes per second of `topic` between the last two samples; zero before there are two. */
  rateOf(topic: string): TopicRate {
    const latest = this.#latestTopics.get(topic);
    const previous = this.#previousTopics.get(topic);
    if (!latest || !previous || latest.atMs <= previous.atMs) return { recordsPerSecond: 0, bytesPerSecond: 0 };
    const seconds = (latest.atMs - previous.atMs) / 1000;
    // Retention can shrink the byte total; a negative rate would mean nothing to an operator.
    return {
      recordsPerSecond: Math.max(0, Number(latest.records - previous.records) / seconds),
      bytesPerSecond: Math.max(0, (latest.bytes - previous.bytes) / seconds),
    };
  }

  /** Per-second rate of a counter between sample `index - span` and sample `index`; null when either is missing. */
  rate(name: CounterName, index = this.#samples.length - 1, span = 1): number | null {
    const after = this.#samples[index];
    const before = this.#samples[index - span];
    if (after === undefined || before === undefined) return null;
    const a = before.counters[name];
    const b = after.counters[name];
    if (a === null || b === null || after.atMs <= before.atMs) return null;
    // A counter restarts at zero only with the daemon, which also empties this history.
    return Math.max(0, (b - a) / ((after.atMs - before.atMs) / 1000));
  }
}

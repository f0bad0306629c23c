// The mirror: finds the edge topics to mirror, makes their target topics on the central
// cluster (same partition count), runs one pump per partition (partition-pump.ts) in each
// direction, shares the link between them (link-scheduler.ts, bandwidth.ts, sync windows),
// sends heartbeats, commits delivered offsets back to the edge for its retention, and
// keeps the metrics.
import type { Registry } from 'prom-client';
import type { MirrorConfig } from '../shared/config/mirror-schema.ts';
import { TributaryError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { BandwidthShaper, sleep } from './bandwidth.ts';
import { centralEndpoint } from './central-endpoint.ts';
import type { KafkaEndpoint, LogEndpoint } from './endpoint.ts';
import type { LinkStateName } from '../shared/heartbeat.ts';
import { HeartbeatSender } from './heartbeat-sender.ts';
import { describeError } from '../shared/kafka/client/kafka-errors.ts';
import { LinkMonitor } from './link-monitor.ts';
import { LinkScheduler, type SenderClass } from './link-scheduler.ts';
import { MirrorMetrics } from './metrics.ts';
import { PartitionPump, type PumpObserver } from './partition-pump.ts';
import { centralHeaders, centralOffsetMatcher, sourceHeaders, sourceOffsetMatcher } from './source-headers.ts';
import { SyncWindows } from './sync-windows.ts';
import { checkReplicationFactor, TargetTopics } from './target-topics.ts';
import { compileTopicPattern, TopicSelector, type TopicPattern } from './topic-pattern.ts';
import { checkTemplate, renderTopicName } from './topic-template.ts';
import type { MirrorReport, MirrorStatus } from './status-route.ts';

/** How often the mirror looks for new topics and partitions on both sides. */
export const TOPIC_REFRESH_MS = 5_000;
/** How often delivered offsets are committed to the edge (for its retention and for lag tools). */
export const DELIVERED_COMMIT_INTERVAL_MS = 1_000;
/** Longest a read waits for new records before the pump reads again. */
export const LONG_POLL_MS = 500;
/**
 * Bytes granted on the link and not yet answered, in batches: two keep the link busy
 * while one answer is on its way, and bound what a newly urgent topic waits behind.
 */
const IN_FLIGHT_BATCHES = 2;
/** On stop, pumps get this long to see their request in flight answered before the connections are cut. */
const CLOSE_GRACE_MS = 2_000;

export interface MirrorOptions {
  config: MirrorConfig;
  edgeId: string;
  /** The edge log: in this process (LocalEndpoint) or through the edge's Kafka listener. */
  edge: LogEndpoint;
  registry: Registry;
  logger: Logger;
  /** The edge's configuration version, reported in heartbeats for the fleet view. */
  configVersion?: string;
}

interface PumpState {
  pump: PartitionPump;
  topic: string;
  highWatermark: bigint;
  oldestUndeliveredMs: number | undefined;
  bytesPerRecord: number;
  committedOffset: bigint | undefined;
}

/** The edge topics a mirror configuration takes, for the edge's retention (see retention-hook.ts). */
export function mirroredTopicSelector(config: MirrorConfig): TopicSelector {
  return new TopicSelector({ include: config.topics.include, exclude: config.topics.exclude, alwaysExcluded: config.reverse.map((rule) => rule.to) });
}

export class Mirror {
  readonly #options: MirrorOptions;
  readonly #config: MirrorConfig;
  readonly #logger: Logger;
  readonly #central: KafkaEndpoint;
  readonly #selector: TopicSelector;
  readonly #priorities: { pattern: TopicPattern; senderClass: SenderClass }[];
  readonly #windows: SyncWindows;
  readonly #shaper: BandwidthShaper;
  readonly #scheduler: LinkScheduler;
  readonly #link: LinkMonitor;
  readonly #metrics: MirrorMetrics;
  readonly #targetTopics: TargetTopics;
  readonly #pumps = new Map<string, PumpState>();
  /** Edge topic → partitions for which pumps run (forward); central topic → partitions (reverse). */
  readonly #forwardPartitions = new Map<string, number>();
  readonly #reversePartitions = new Map<string, number>();
  readonly #waitingFor = new Set<string>();
  readonly #startedAtMs = Date.now();
  #windowOpen = true;
  #windowTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #closed = false;
  /** The last refusal of the credentials that was logged; undefined once the link is up. */
  #authenticationRefusal: string | undefined;
  #bytesSent = 0;
  #recordsDelivered = 0;
  #recordsLost = 0;
  readonly #heartbeats: HeartbeatSender;

  private constructor(options: MirrorOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#logger = options.logger;
    const config = options.config;
    checkTemplate(config.topics.template, ['edge', 'topic'], 'mirror.topics.template', ['topic']);
    checkReplicationFactor(config.target.replicationFactor);
    config.reverse.forEach((rule, index) => checkTemplate(rule.from, ['edge'], `mirror.reverse[${index}].from`));
    this.#selector = mirroredTopicSelector(config);
    this.#priorities = config.topics.priorities.map((rule, index) => ({ pattern: compileTopicPattern(rule.match, `mirror.topics.priorities[${index}].match`), senderClass: { priority: rule.priority, anytime: rule.anytime } }));
    this.#windows = new SyncWindows(config.link.syncWindows);
    this.#shaper = new BandwidthShaper(config.link.bandwidthBytesPerSecond);
    this.#scheduler = new LinkScheduler({ shaper: this.#shaper, inFlightBytesMax: config.link.batchBytesMax * IN_FLIGHT_BATCHES, windowOpen: () => this.#windowOpen });
    this.#metrics = new MirrorMetrics(options.registry);
    this.#central = centralEndpoint(config, options.edgeId);
    this.#targetTopics = new TargetTopics({
      central: this.#central,
      registry: options.registry,
      logger: options.logger,
      recordError: (message) => {
        this.#link.recordError(message);
        this.#recordError('topic-refused', message);
      },
    });
    this.#link = new LinkMonitor({
      backoffMinMs: config.link.retryBackoffMinMs,
      backoffMaxMs: Math.max(config.link.retryBackoffMinMs, config.link.retryBackoffMaxMs),
      onDown: () => this.#central.reset(),
      probe: () => this.#central.probe(),
      onConnectionFailure: (message, error) => this.#connectionFailure(message, error),
      onStateChange: (state, previous) => {
        if (state === 'up' && previous === 'down') this.#metrics.reconnects.inc();
        if (state === 'up') this.#authenticationRefusal = undefined;
        this.#metrics.setLinkState(this.#linkState());
        this.#logger.info({ event: 'link', state, ...(state === 'down' ? { err: this.#link.lastError?.message } : {}) }, `link to the central cluster is ${state}`);
      },
    });
    this.#heartbeats = new HeartbeatSender({
      edgeId: options.edgeId,
      topic: config.heartbeat.topic,
      intervalMs: config.heartbeat.intervalMs,
      central: this.#central,
      targetTopics: this.#targetTopics,
      scheduler: this.#scheduler,
      link: this.#link,
      status: () => this.status(),
      partitionBacklogs: () => this.report().partitions,
      configVersion: options.configVersion,
      startedAtMs: this.#startedAtMs,
      onSent: (bytes) => {
        this.#metrics.bytesSent.inc(bytes);
        this.#bytesSent += bytes;
      },
      onDelivered: () => this.#metrics.heartbeats.inc(),
      logger: options.logger,
    });
  }

  static start(options: MirrorOptions): Mirror {
    const mirror = new Mirror(options);
    mirror.#begin();
    return mirror;
  }

  #begin(): void {
    this.#updateWindow();
    this.#logger.info({ event: 'mirror-start', edge: this.#options.edgeId, target: this.#config.target.bootstrap, template: this.#config.topics.template }, 'mirror starting');
    this.#scheduleRefresh(0);
    this.#commitTimer = setInterval(() => void this.#commitDelivered(), DELIVERED_COMMIT_INTERVAL_MS);
    this.#heartbeats.start();
  }

  /** The next offset the mirror will deliver from an edge partition, when it knows it. */
  deliveredOffset(topic: string, partition: number): bigint | undefined {
    return this.#pumps.get(`forward:${topic}/${partition}`)?.pump.nextOffset;
  }

  status(): MirrorStatus {
    let lagRecords = 0;
    let lagBytes = 0;
    let lagSeconds = 0;
    const now = Date.now();
    let partitions = 0;
    for (const state of this.#pumps.values()) {
      if (state.pump.options.direction !== 'forward') continue;
      partitions += 1;
      const lag = lagOf(state);
      lagRecords += lag;
      lagBytes += lag * state.bytesPerRecord;
      if (lag > 0 && state.oldestUndeliveredMs !== undefined) lagSeconds = Math.max(lagSeconds, (now - state.oldestUndeliveredMs) / 1000);
    }
    return {
      linkState: this.#linkState(),
      lagRecords,
      lagBytes: Math.round(lagBytes),
      lagSeconds,
      bytesSent: this.#bytesSent,
      recordsDelivered: this.#recordsDelivered,
      recordsLost: this.#recordsLost,
      errors: this.#link.errors,
      lastError: this.#link.lastError,
      partitions,
    };
  }

  report(): MirrorReport {
    const status = this.status();
    const rows = (direction: 'forward' | 'reverse') => [...this.#pumps.values()]
      .filter((state) => state.pump.options.direction === direction && state.pump.nextOffset !== undefined)
      .map((state) => ({
        topic: state.pump.options.sourceTopic,
        partition: state.pump.options.partition,
        target: state.pump.options.targetTopic,
        deliveredOffset: state.pump.nextOffset!.toString(),
        logEndOffset: (state.highWatermark >= state.pump.nextOffset! ? state.highWatermark : state.pump.nextOffset!).toString(),
        backlogRecords: lagOf(state),
      }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return {
      configured: true,
      state: status.linkState,
      target: this.#config.target.bootstrap.join(','),
      backlogRecords: status.lagRecords,
      backlogBytes: status.lagBytes,
      backlogSeconds: Math.round(status.lagSeconds * 10) / 10,
      deliveredRecordsTotal: status.recordsDelivered,
      lostRecordsTotal: status.recordsLost,
      errorsTotal: status.errors,
      lastError: status.lastError?.message ?? null,
      partitions: rows('forward'),
      refusedTopics: this.#targetTopics.refusals().map((refusal) => ({ target: refusal.target, kafkaError: refusal.kafkaError ?? null, error: refusal.error, since: new Date(refusal.sinceMs).toISOString(), attempts: refusal.attempts })),
      reverse: rows('reverse'),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of [this.#windowTimer, this.#refreshTimer]) if (timer) clearTimeout(timer);
    this.#heartbeats.close();
    if (this.#commitTimer) clearInterval(this.#commitTimer);
    await this.#refreshing?.catch(() => undefined);
    this.#scheduler.close();
    const stopped = Promise.all([...this.#pumps.values()].map((state) => state.pump.stop()));
    const graceful = await Promise.race([stopped.then(() => true), sleep(CLOSE_GRACE_MS).then(() => false)]);
    if (!graceful) this.#central.reset();
    await stopped;
    await this.#commitDelivered();
    await this.#central.close();
    this.#windows.close();
    this.#logger.info({ event: 'mirror-stop' }, 'mirror stopped');
  }

  #linkState(): LinkStateName {
    const state = this.#link?.state ?? 'connecting';
    if (state === 'up' && !this.#windowOpen) return 'closed-window';
    return state;
  }

  #updateWindow(): void {
    if (this.#closed) return;
    const now = Date.now();
    const state = this.#windows.state(now);
    if (state.open !== this.#windowOpen) {
      this.#windowOpen = state.open;
      this.#logger.info({ event: 'sync-window', open: state.open }, state.open ? 'sync window open' : 'sync window closed');
      this.#metrics.setLinkState(this.#linkState());
      this.#scheduler.wake();
    }
    if (Number.isFinite(state.nextChangeMs)) {
      this.#windowTimer = setTimeout(() => this.#updateWindow(), Math.max(1_000, state.nextChangeMs - now));
    }
  }

  #scheduleRefresh(delayMs: number): void {
    if (this.#closed) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshing = this.#refresh().finally(() => {
        this.#refreshing = undefined;
        this.#scheduleRefresh(TOPIC_REFRESH_MS);
      });
    }, delayMs);
  }

  /** Finds topics and partitions on both sides and starts their pumps. */
  async #refresh(): Promise<void> {
    try {
      await this.#link.ready();
      if (this.#link.state !== 'up') {
        // A probe, so that the link's state is known even while there is nothing to send.
        await this.#central.partitionCount(this.#config.heartbeat.topic);
        this.#link.succeeded();
      }
      const edgeTopics = await this.#options.edge.listTopics();
      for (const [topic, partitions] of edgeTopics) {
        if (this.#closed || !this.#selector.selects(topic)) continue;
        const running = this.#forwardPartitions.get(topic) ?? 0;
        if (partitions <= running) continue;
        const targetTopic = renderTopicName(this.#config.topics.template, { edge: this.#options.edgeId, topic });
        // Refused (and reported) topics wait for their next attempt; the others go on.
        if ((await this.#targetTopics.ensure(targetTopic, partitions)) === undefined) continue;
        this.#link.succeeded();
        for (let partition = running; partition < partitions; partition += 1) this.#startForward(topic, targetTopic, partition);
        this.#forwardPartitions.set(topic, partitions);
      }
      for (const [topic] of this.#forwardPartitions) {
        if (!edgeTopics.has(topic)) this.#stopTopic(topic, 'forward');
      }
      if (this.#config.reverse.length > 0 && !this.#closed) await this.#refreshReverse();
    } catch (error) {
      const message = describeError(error);
      if (error instanceof TributaryError && error.code === 'MIRROR_TARGET_FAILED' && error.details.network === true) {
        await this.#link.connectionFailed(message, error);
      } else {
        this.#link.recordError(message);
        this.#logger.error({ err: message }, 'mirror could not look for topics; trying again');
      }
      this.#recordError('refresh', message);
    }
  }

  async #refreshReverse(): Promise<void> {
    for (const rule of this.#config.reverse) {
      const centralTopic = renderTopicName(rule.from, { edge: this.#options.edgeId });
      const partitions = await this.#central.partitionCount(centralTopic);
      if (partitions === undefined) {
        if (!this.#waitingFor.has(centralTopic)) this.#logger.info({ topic: centralTopic }, 'reverse rule: the central topic does not exist yet; looking again later');
        this.#waitingFor.add(centralTopic);
        continue;
      }
      this.#waitingFor.delete(centralTopic);
      const running = this.#reversePartitions.get(centralTopic) ?? 0;
      if (partitions <= running) continue;
      await this.#options.edge.ensureTopic(rule.to, partitions);
      for (let partition = running; partition < partitions; partition += 1) this.#startReverse(centralTopic, rule.to, partition);
      this.#reversePartitions.set(centralTopic, partitions);
    }
  }

  #senderClass(topic: string): SenderClass {
    return this.#priorities.find((rule) => rule.pattern.test(topic))?.senderClass ?? { priority: 0, anytime: false };
  }

  #startForward(topic: string, targetTopic: string, partition: number): void {
    const edge = this.#options.edgeId;
    const pump = new PartitionPump({
      direction: 'forward',
      source: this.#options.edge,
      sourceTopic: topic,
      target: this.#central,
      targetTopic,
      partition,
      coordinates: (offset) => sourceHeaders({ edge, topic, partition, offset }),
      sourceOffsetOf: sourceOffsetMatcher(edge, topic, partition),
      sourceName: `edge ${edge} (${topic}/${partition})`,
      deliveredFloor: () => this.#options.edge.committedOffset(this.#config.source.deliveredGroup, topic, partition),
      central: 'target',
      link: this.#link,
      scheduler: { scheduler: this.#scheduler, senderClass: this.#senderClass(topic) },
      compression: this.#config.link.compression,
      batchBytesMax: this.#config.link.batchBytesMax,
      longPollMs: LONG_POLL_MS,
      observer: this.#observer,
      logger: this.#logger,
    });
    this.#addPump(pump, topic);
  }

  #startReverse(centralTopic: string, localTopic: string, partition: number): void {
    const pump = new PartitionPump({
      direction: 'reverse',
      source: this.#central,
      sourceTopic: centralTopic,
      target: this.#options.edge,
      targetTopic: localTopic,
      partition,
      coordinates: (offset) => centralHeaders({ topic: centralTopic, partition, offset }),
      sourceOffsetOf: centralOffsetMatcher(centralTopic, partition),
      sourceName: `central ${centralTopic}/${partition}`,
      central: 'source',
      link: this.#link,
      // Commands are small and arrive rarely; recompressing them for the local log buys nothing.
      compression: 'none',
      batchBytesMax: this.#config.link.batchBytesMax,
      longPollMs: LONG_POLL_MS,
      observer: this.#observer,
      logger: this.#logger,
    });
    this.#addPump(pump, centralTopic);
  }

  #addPump(pump: PartitionPump, topic: string): void {
    this.#pumps.set(pump.key, { pump, topic, highWatermark: -1n, oldestUndeliveredMs: undefined, bytesPerRecord: 0, committedOffset: undefined });
    pump.start();
    this.#logger.info({ pump: pump.key, target: `${pump.options.targetTopic}/${pump.options.partition}` }, 'mirroring partition');
  }

  #stopTopic(topic: string, direction: 'forward' | 'reverse'): void {
    for (const [key, state] of this.#pumps) {
      if (state.topic !== topic || state.pump.options.direction !== direction) continue;
      this.#pumps.delete(key);
      this.#scheduler.remove(key);
      void state.pump.stop();
      this.#logger.info({ pump: key }, 'stopped mirroring a partition whose topic is gone');
    }
    this.#forwardPartitions.delete(topic);
  }

  readonly #observer: PumpObserver = {
    positioned: (pump, nextOffset) => {
      this.#metrics.tailScans.inc({ direction: pump.options.direction });
      const state = this.#pumps.get(pump.key);
      if (state) this.#setLag(state, nextOffset);
    },
    sent: (pump, bytes) => {
      if (pump.options.direction !== 'forward') return;
      this.#metrics.bytesSent.inc(bytes);
      this.#bytesSent += bytes;
    },
    delivered: (pump, delivery) => {
      const direction = pump.options.direction;
      this.#metrics.recordsDelivered.inc({ topic: pump.options.sourceTopic, direction }, delivery.records);
      this.#metrics.sourceBytesDelivered.inc({ direction }, delivery.sourceBytes);
      if (direction === 'forward') this.#recordsDelivered += delivery.records;
      const state = this.#pumps.get(pump.key);
      if (state) this.#setLag(state, delivery.nextOffset);
    },
    progress: (pump, progress) => {
      const state = this.#pumps.get(pump.key);
      if (!state) return;
      state.highWatermark = progress.highWatermark;
      state.oldestUndeliveredMs = progress.oldestUndeliveredMs;
      if (progress.bytesPerRecord > 0) state.bytesPerRecord = progress.bytesPerRecord;
      this.#setLag(state, pump.nextOffset ?? progress.nextOffset);
    },
    lost: (pump, records) => {
      this.#metrics.recordsLost.inc({ topic: pump.options.sourceTopic }, Number(records));
      this.#recordsLost += Number(records);
      this.#recordError('lost', `${records} records of ${pump.options.sourceTopic}/${pump.options.partition} were evicted before delivery`);
    },
  };

  #setLag(state: PumpState, nextOffset: bigint): void {
    const labels = { topic: state.pump.options.sourceTopic, partition: String(state.pump.options.partition), direction: state.pump.options.direction };
    const lag = state.highWatermark < 0n ? 0 : Math.max(0, Number(state.highWatermark - nextOffset));
    this.#metrics.lagRecords.set(labels, lag);
    this.#metrics.lagBytes.set(labels, Math.round(lag * state.bytesPerRecord));
    this.#metrics.lagSeconds.set(labels, lag > 0 && state.oldestUndeliveredMs !== undefined ? Math.max(0, (Date.now() - state.oldestUndeliveredMs) / 1000) : 0);
  }

  /** Refused credentials are said once at error level (and again when what the cluster says changes): retrying will not fix them. */
  #connectionFailure(message: string, error: unknown): void {
    const refusal = error instanceof TributaryError ? error.details.authentication : undefined;
    if (typeof refusal !== 'string') return;
    this.#recordError('authentication', message);
    if (this.#authenticationRefusal === refusal) return;
    this.#authenticationRefusal = refusal;
    this.#logger.error({ event: 'authentication-failed', err: message }, 'the central cluster refused the mirror\'s credentials; check mirror.target.sasl (retrying with backoff)');
  }

  #recordError(kind: string, message: string): void {
    this.#metrics.errors.inc({ kind });
    this.#metrics.setLastError(message, Date.now());
  }

  /** Commits how far each edge partition is delivered, under the configured group, on the edge. */
  async #commitDelivered(): Promise<void> {
    const entries: { topic: string; partition: number; offset: bigint; state: PumpState }[] = [];
    for (const state of this.#pumps.values()) {
      const offset = state.pump.nextOffset;
      if (state.pump.options.direction !== 'forward' || offset === undefined || offset === state.committedOffset) continue;
      entries.push({ topic: state.pump.options.sourceTopic, partition: state.pump.options.partition, offset, state });
    }
    if (entries.length === 0) return;
    try {
      await this.#options.edge.commitOffsets(this.#config.source.deliveredGroup, entries);
      for (const entry of entries) entry.state.committedOffset = entry.offset;
    } catch (error) {
      this.#logger.warn({ err: describeError(error) }, 'could not commit delivered offsets to the edge; retrying');
    }
  }
}

function lagOf(state: PumpState): number {
  const next = state.pump.nextOffset;
  if (next === undefined || state.highWatermark < 0n) return 0;
  return Math.max(0, Number(state.highWatermark - next));
}

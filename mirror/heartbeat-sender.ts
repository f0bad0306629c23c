// Sends the edge's heartbeat (shared/heartbeat.ts) to the central heartbeat topic every interval:
// one small record, keyed by the edge id, always to the same partition, before any topic and
// outside sync windows. `tributary fleet` (cloud/) reads them.
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../shared/errors.ts';
import { encodeRecordBatch } from '../shared/kafka/record-batch.ts';
import type { Logger } from '../shared/logger.ts';
import { kafkaFailure, type LogEndpoint } from './endpoint.ts';
import { encodeHeartbeat, topicBacklogs, type Heartbeat } from '../shared/heartbeat.ts';
import { SOFTWARE_VERSION } from '../shared/version.ts';
import { describeError, KafkaError } from '../shared/kafka/client/kafka-errors.ts';
import type { LinkMonitor } from './link-monitor.ts';
import type { LinkScheduler, SenderClass } from './link-scheduler.ts';
import type { MirrorStatus } from './status-route.ts';
import type { TargetTopics } from './target-topics.ts';

/** Heartbeats go before any topic and outside sync windows: they are tiny and say the edge is alive. */
const HEARTBEAT_SENDER: SenderClass = { priority: 10, anytime: true };
/** Partitions of a heartbeat topic the mirror creates: a heartbeat every 30 s per edge is little. */
const HEARTBEAT_TOPIC_PARTITIONS = 1;

export interface HeartbeatSenderOptions {
  edgeId: string;
  topic: string;
  intervalMs: number;
  central: LogEndpoint;
  targetTopics: TargetTopics;
  scheduler: LinkScheduler;
  link: LinkMonitor;
  /** The mirror's state now, which the heartbeat reports. */
  status: () => MirrorStatus;
  /** The backlog of each mirrored partition now, summed per topic in the heartbeat. */
  partitionBacklogs: () => readonly { topic: string; backlogRecords: number }[];
  /** The edge's configuration version, reported for the fleet view. */
  configVersion: string | undefined;
  startedAtMs: number;
  /** A heartbeat of `bytes` is about to cross the link. */
  onSent: (bytes: number) => void;
  /** The central took a heartbeat. */
  onDelivered: () => void;
  logger: Logger;
}

export class HeartbeatSender {
  readonly #options: HeartbeatSenderOptions;
  #timer: NodeJS.Timeout | undefined;
  #partition: number | undefined;
  #bytesMark = { bytes: 0, atMs: Date.now() };
  #closed = false;

  constructor(options: HeartbeatSenderOptions) {
    this.#options = options;
  }

  /** Sends the first heartbeat now and the next ones every interval; none when the interval is 0. */
  start(): void {
    if (this.#options.intervalMs > 0) this.#schedule(0);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  heartbeat(): Heartbeat {
    const status = this.#options.status();
    const now = Date.now();
    const elapsedMs = Math.max(1, now - this.#bytesMark.atMs);
    return {
      edge: this.#options.edgeId,
      sentAtMs: now,
      startedAtMs: this.#options.startedAtMs,
      linkState: status.linkState,
      lagRecords: status.lagRecords,
      lagBytes: status.lagBytes,
      lagSeconds: status.lagSeconds,
      bytesSent: status.bytesSent,
      recordsDelivered: status.recordsDelivered,
      throughputBytesPerSecond: ((status.bytesSent - this.#bytesMark.bytes) * 1000) / elapsedMs,
      errors: status.errors,
      lastError: status.lastError?.message ?? null,
      lastErrorAtMs: status.lastError?.atMs ?? 0,
      evictedUndeliveredRecords: status.recordsLost,
      partitions: status.partitions,
      configVersion: this.#options.configVersion ?? null,
      softwareVersion: SOFTWARE_VERSION,
      topics: topicBacklogs(this.#options.partitionBacklogs()),
    };
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#send().finally(() => this.#schedule(this.#options.intervalMs));
    }, delayMs);
  }

  async #send(): Promise<void> {
    const { central, link, topic } = this.#options;
    // A heartbeat is not queued while the link is down: the next one, after it, says more.
    if (this.#closed || link.state === 'down') return;
    try {
      if (this.#partition === undefined) {
        const partitions = await this.#options.targetTopics.ensure(topic, HEARTBEAT_TOPIC_PARTITIONS);
        if (partitions === undefined) return;
        // One partition per edge, always the same (a hash of its id), so its heartbeats stay in order.
        this.#partition = (crc32c(this.#options.edgeId) >>> 0) % partitions;
      }
      const heartbeat = this.heartbeat();
      const batch = encodeRecordBatch({ records: [{ key: this.#options.edgeId, value: encodeHeartbeat(heartbeat) }] });
      const grant = await this.#options.scheduler.acquire('heartbeat', HEARTBEAT_SENDER, batch.length);
      let outcome;
      try {
        this.#options.onSent(batch.length);
        outcome = await central.append(topic, this.#partition, batch);
      } finally {
        grant.release();
      }
      if (outcome.errorCode !== KafkaError.NONE) throw kafkaFailure('MIRROR_TARGET_FAILED', central.name, `heartbeat to ${topic}/${this.#partition}`, outcome.errorCode, outcome.errorMessage);
      link.succeeded();
      this.#bytesMark = { bytes: heartbeat.bytesSent, atMs: heartbeat.sentAtMs };
      this.#options.onDelivered();
    } catch (error) {
      if (this.#closed) return;
      const message = describeError(error);
      if (error instanceof TributaryError && error.details.network === true) await link.connectionFailed(message, error);
      else this.#options.logger.warn({ err: message }, 'heartbeat not sent');
    }
  }
}

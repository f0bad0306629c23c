// The central topics the mirror makes: each mirrored edge topic's target and the heartbeat
// topic, created with the edge topic's partition count and mirror.target.replicationFactor
// (a cluster with auto.create.topics.enable=false creates nothing by itself).
//
// A cluster may refuse to create a topic for as long as nobody changes something: a
// replication factor larger than its broker count (INVALID_REPLICATION_FACTOR), a creation
// policy (POLICY_VIOLATION), missing ACLs (TOPIC_AUTHORIZATION_FAILED). Such a refusal
// concerns that topic only: the others go on. It is said once in the log (and again when
// what the cluster says changes), shown per topic in the report, the metrics and the
// heartbeat's last error, and the creation is tried again with a growing pause, so that a
// fixed cluster is noticed without asking it every few seconds for days.
import { Gauge, type Registry } from 'prom-client';
import { TributaryError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { LogEndpoint } from './endpoint.ts';
import { describeError, kafkaAnswerName } from '../shared/kafka/client/kafka-errors.ts';

/** First pause before a refused topic is asked for again; it doubles up to the maximum. */
const REFUSED_RETRY_MS_MIN = 5_000;
/** A refusal needs an operator; once every ten minutes is often enough to notice the fix. */
const REFUSED_RETRY_MS_MAX = 10 * 60_000;
/** Refused topics remembered (and labelled in the metrics) at most; more would be a configuration that refuses everything. */
const REFUSED_TOPICS_MAX = 1_000;

/**
 * mirror.target.replicationFactor: -1 (the cluster's default.replication.factor, KIP-464)
 * or a count of replicas. 0 passes the schema's range but no cluster can create a topic
 * with it, so it is refused at start rather than by the cluster for every topic.
 */
export function checkReplicationFactor(factor: number): void {
  if (factor === 0) throw new TributaryError('CONFIG_INVALID', 'mirror.target.replicationFactor: 0 replicas cannot hold a topic; give a count of replicas (1 or more), or -1 for the cluster\'s default.replication.factor', { key: 'mirror.target.replicationFactor' });
}

export interface TopicRefusal {
  /** The central topic the cluster refused to create or grow. */
  target: string;
  /** What the cluster said, in a line. */
  error: string;
  /** Kafka's error name, e.g. INVALID_REPLICATION_FACTOR, when it gave one. */
  kafkaError: string | undefined;
  sinceMs: number;
  attempts: number;
  retryAtMs: number;
}

export interface TargetTopicsOptions {
  central: LogEndpoint;
  registry: Registry;
  logger: Logger;
  /** Counts an error in the mirror's error metrics and last error. */
  recordError: (message: string) => void;
  now?: () => number;
}

export class TargetTopics {
  readonly #options: TargetTopicsOptions;
  readonly #refusals = new Map<string, TopicRefusal>();
  readonly #refusedGauge: Gauge<'topic' | 'error'>;

  constructor(options: TargetTopicsOptions) {
    this.#options = options;
    this.#refusedGauge = new Gauge({ name: 'tributary_mirror_target_topic_refused', help: 'Central topics the cluster refuses to create or grow (1 while refused), with Kafka\'s error', labelNames: ['topic', 'error'], registers: [options.registry] });
  }

  /**
   * Makes sure `target` exists with at least `partitions` partitions. Returns its count, or
   * undefined while the cluster refuses it (the refusal is recorded; connection failures are
   * thrown, as they concern the link and not the topic).
   */
  async ensure(target: string, partitions: number): Promise<number | undefined> {
    const now = this.#now();
    const refused = this.#refusals.get(target);
    if (refused !== undefined && now < refused.retryAtMs) return undefined;
    try {
      const count = await this.#options.central.ensureTopic(target, partitions);
      if (refused !== undefined) {
        this.#refusals.delete(target);
        this.#refusedGauge.remove({ topic: target, error: refused.kafkaError ?? 'unknown' });
        this.#options.logger.info({ event: 'topic-created', topic: target, attempts: refused.attempts + 1 }, 'the central cluster created the target topic it had refused');
      }
      return count;
    } catch (error) {
      if (error instanceof TributaryError && error.details.network === true) throw error;
      this.#refused(target, error, refused, now);
      return undefined;
    }
  }

  /** Topics refused now, oldest first. */
  refusals(): TopicRefusal[] {
    return [...this.#refusals.values()].sort((a, b) => a.sinceMs - b.sinceMs);
  }

  #refused(target: string, error: unknown, previous: TopicRefusal | undefined, now: number): void {
    const message = describeError(error);
    const kafkaError = kafkaAnswerName(error);
    const attempts = (previous?.attempts ?? 0) + 1;
    const pauseMs = Math.min(REFUSED_RETRY_MS_MAX, REFUSED_RETRY_MS_MIN * 2 ** Math.min(attempts - 1, 20));
    if (previous === undefined && this.#refusals.size >= REFUSED_TOPICS_MAX) {
      // Forget the oldest: it is tried again as if new, and logged again then.
      const oldest = this.refusals()[0]!;
      this.#refusals.delete(oldest.target);
      this.#refusedGauge.remove({ topic: oldest.target, error: oldest.kafkaError ?? 'unknown' });
    }
    if (previous !== undefined && previous.kafkaError !== kafkaError) this.#refusedGauge.remove({ topic: target, error: previous.kafkaError ?? 'unknown' });
    this.#refusals.set(target, { target, error: message, kafkaError, sinceMs: previous?.sinceMs ?? now, attempts, retryAtMs: now + pauseMs });
    this.#refusedGauge.set({ topic: target, error: kafkaError ?? 'unknown' }, 1);
    this.#options.recordError(message);
    if (previous === undefined || previous.error !== message) {
      this.#options.logger.error({ event: 'topic-refused', topic: target, kafkaError, err: message, retryInMs: pauseMs }, 'the central cluster refused to create or grow a target topic; its partitions wait, the others go on, and the mirror asks again later');
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

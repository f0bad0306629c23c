// What the client knows of a cluster's layout: its brokers and, per topic, the leader of each
// partition, from Metadata v12 answers. Leaders are cached for a short while, as Kafka's
// clients cache them, and forgotten when a request says they moved (NOT_LEADER_OR_FOLLOWER,
// UNKNOWN_TOPIC_OR_PARTITION) or a connection fails.
import { TributaryError } from '../../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ZERO_UUID } from '../protocol/schema.ts';
import type { BrokerAddress, BrokerConnection } from './broker-connection.ts';
import type { BrokerPool } from './broker-pool.ts';
import { versionFor } from './client-versions.ts';
import { kafkaAnswerError } from './kafka-errors.ts';

/**
 * How long a topic's leaders are trusted without asking again. A moved leader is noticed
 * sooner, from the error of the next request to it; this bounds how long a partition whose
 * leader moved without an error (a new broker after a reassignment) is read from the old one.
 */
const METADATA_MAX_AGE_MS = 5_000;
/**
 * Topics whose leaders are cached. The mirror asks for the topics it mirrors; beyond this
 * many the oldest entry is dropped and asked again when needed.
 */
const CACHED_TOPICS_MAX = 10_000;

export interface TopicLayout {
  /** Leader node id by partition index; -1 while a partition has none. */
  leaders: number[];
}

export interface MetadataAnswer {
  brokers: Map<number, BrokerAddress>;
  /** Topics the cluster has, without those it answered with an error for. */
  topics: Map<string, TopicLayout>;
  /** Errors the cluster answered per topic (UNKNOWN_TOPIC_OR_PARTITION for those it does not have). */
  topicErrors: Map<string, { errorCode: number }>;
}

export class ClusterMetadata {
  readonly #pool: BrokerPool;
  readonly #requestTimeoutMs: number;
  readonly #topics = new Map<string, { layout: TopicLayout; fetchedAtMs: number }>();

  constructor(pool: BrokerPool, requestTimeoutMs: number) {
    this.#pool = pool;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** Asks one broker (any, when none is given) about `topics` (null: every topic), and remembers what it says. */
  async ask(topics: readonly string[] | null, connection?: BrokerConnection): Promise<MetadataAnswer> {
    const broker = connection ?? (await this.#pool.anyConnection());
    const response = await broker.request(ApiKey.Metadata, versionFor(broker, ApiKey.Metadata), {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }, this.#requestTimeoutMs);
    const brokers = new Map(response.brokers.map((entry) => [entry.nodeId, { host: entry.host, port: entry.port }]));
    this.#pool.learn(brokers);
    const answer: MetadataAnswer = { brokers, topics: new Map(), topicErrors: new Map() };
    const now = Date.now();
    for (const topic of response.topics) {
      if (topic.name === null) continue;
      if (topic.errorCode !== ErrorCode.NONE) {
        answer.topicErrors.set(topic.name, { errorCode: topic.errorCode });
        this.#topics.delete(topic.name);
        continue;
      }
      const leaders: number[] = [];
      for (const partition of topic.partitions) leaders[partition.partitionIndex] = partition.errorCode === ErrorCode.NONE ? partition.leaderId : -1;
      const layout: TopicLayout = { leaders: Array.from(leaders, (leader) => leader ?? -1) };
      answer.topics.set(topic.name, layout);
      this.#remember(topic.name, layout, now);
    }
    return answer;
  }

  #remember(topic: string, layout: TopicLayout, now: number): void {
    this.#topics.delete(topic);
    if (this.#topics.size >= CACHED_TOPICS_MAX) this.#topics.delete(this.#topics.keys().next().value!);
    this.#topics.set(topic, { layout, fetchedAtMs: now });
  }

  /**
   * One topic's layout, asked for now when `fresh` or when the cache holds none young enough;
   * undefined when the cluster does not have the topic. Other topic errors are thrown.
   */
  async topic(name: string, fresh: boolean): Promise<TopicLayout | undefined> {
    const cached = this.#topics.get(name);
    if (!fresh && cached !== undefined && Date.now() - cached.fetchedAtMs < METADATA_MAX_AGE_MS) return cached.layout;
    const answer = await this.ask([name]);
    const error = answer.topicErrors.get(name);
    if (error?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
    if (error !== undefined) throw kafkaAnswerError(error.errorCode, null, `metadata of topic ${name}`);
    return answer.topics.get(name);
  }

  /** The connection to the leader of one partition; a retriable failure when none is known now. */
  async leader(topic: string, partition: number): Promise<BrokerConnection> {
    const layout = await this.topic(topic, false);
    const leaderId = layout?.leaders[partition];
    const broker = leaderId === undefined || leaderId < 0 ? undefined : this.#pool.broker(leaderId);
    if (broker === undefined) {
      this.forget();
      throw new TributaryError('BROKER_REQUEST_FAILED', `${this.#pool.description}: no leader known for ${topic}/${partition}`, { topic, partition, retriable: true });
    }
    return this.#pool.connection(broker);
  }

  /** Forgets every cached layout, so that the next request asks again. */
  forget(): void {
    this.#topics.clear();
  }
}

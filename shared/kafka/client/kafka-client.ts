// The Kafka client of the mirror (for the central cluster and, standalone, for the edge's
// own Kafka listener) and of the fleet view (reading heartbeats from the central), built on
// the project's own codecs: broker-pool.ts holds the connections (TLS, SASL, ApiVersions,
// the address map), cluster-metadata.ts the brokers and partition leaders, kafka-requests.ts
// the bodies of the two hot requests, so that record batches travel as the bytes we made.
//
// Admin requests (metadata, topics, offsets, producer ids, group offsets) are retried once
// inside the client after a connection failure or a retriable answer; the mirror's own loop
// retries the rest. Produce and Fetch are not retried here: their callers decide.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { TributaryError } from '../../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode as KafkaError } from '../protocol/error-codes.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { BrokerPool, type BrokerPoolOptions } from './broker-pool.ts';
import { versionFor } from './client-versions.ts';
import { ClusterMetadata } from './cluster-metadata.ts';
import { isNetworkError, isRetriableKafkaAnswer, kafkaAnswerError } from './kafka-errors.ts';
import { fetchedPartition, fetchRequest, produceOutcome, produceRequest, READ_COMMITTED, READ_UNCOMMITTED, type FetchedPartition, type ProduceOutcome } from './kafka-requests.ts';

export type { SaslOptions } from './sasl-client.ts';

/** Admin requests are retried this many times inside the client; the mirror's own loop retries the rest. */
const ADMIN_RETRIES = 1;
const ADMIN_RETRY_DELAY_MS = 250;
/** ListOffsets timestamps (KIP-79): the log start offset and the high watermark. */
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;
/** FindCoordinator key type of a consumer group. */
const GROUP_KEY_TYPE = 0;

export type KafkaClientOptions = BrokerPoolOptions;

export function tlsOptionsFromConfig(config: { enabled: boolean; caFile: string; certFile: string; keyFile: string; serverName: string; rejectUnauthorized: boolean }, where: string): TlsOptions | undefined {
  if (!config.enabled) return undefined;
  const read = (file: string, key: string): Buffer | undefined => {
    if (file === '') return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new TributaryError('CONFIG_INVALID', `${where}.${key}: cannot read ${file}: ${(error as Error).message}`, { key: `${where}.${key}` }, { cause: error });
    }
  };
  return {
    ca: read(config.caFile, 'caFile'),
    cert: read(config.certFile, 'certFile'),
    key: read(config.keyFile, 'keyFile'),
    servername: config.serverName === '' ? undefined : config.serverName,
    rejectUnauthorized: config.rejectUnauthorized,
  };
}

export class KafkaClient {
  readonly #options: KafkaClientOptions;
  readonly #pool: BrokerPool;
  readonly #metadata: ClusterMetadata;

  constructor(options: KafkaClientOptions) {
    this.#options = options;
    this.#pool = new BrokerPool(options);
    this.#metadata = new ClusterMetadata(this.#pool, options.requestTimeoutMs);
  }

  get description(): string {
    return this.#pool.description;
  }

  /** Runs an admin request, once more after a connection failure or a retriable answer. */
  async #admin<T>(work: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work(attempt);
      } catch (error) {
        if (attempt >= ADMIN_RETRIES || !(isNetworkError(error) || isRetriableKafkaAnswer(error))) throw error;
        this.#metadata.forget();
        await delay(ADMIN_RETRY_DELAY_MS);
      }
    }
  }

  /** Partition count of a topic, or undefined when the cluster does not have it. */
  async partitionCount(topic: string): Promise<number | undefined> {
    // Metadata for this one topic: on a cluster with thousands of topics, listing them all
    // every few seconds from every edge would cost the brokers more than the mirroring.
    return this.#admin(async () => (await this.#metadata.topic(topic, true))?.leaders.length);
  }

  /** Every topic of the cluster (internal ones included) with its partition count. */
  async listTopics(): Promise<Map<string, number>> {
    return this.#admin(async (attempt) => {
      const answer = await this.#metadata.ask(null, await this.#pool.anyConnection(attempt));
      return new Map([...answer.topics].map(([name, layout]) => [name, layout.leaders.length]));
    });
  }

  /**
   * Makes sure the topic exists with at least `partitions` partitions: creates it, or adds
   * partitions. Returns the partition count it has. Another client creating it at the same
   * moment is fine.
   */
  async ensureTopic(topic: string, partitions: number, replicationFactor: number): Promise<number> {
    let count = await this.partitionCount(topic);
    if (count === undefined) {
      await this.#admin(async (attempt) => {
        const broker = await this.#pool.anyConnection(attempt);
        const response = await broker.request(ApiKey.CreateTopics, versionFor(broker, ApiKey.CreateTopics), {
          topics: [{ name: topic, numPartitions: partitions, replicationFactor, assignments: [], configs: [] }],
          timeoutMs: this.#options.requestTimeoutMs,
          validateOnly: false,
        }, this.#options.requestTimeoutMs);
        const result = response.topics.find((entry) => entry.name === topic);
        if (result !== undefined && result.errorCode !== KafkaError.NONE && result.errorCode !== KafkaError.TOPIC_ALREADY_EXISTS) {
          throw kafkaAnswerError(result.errorCode, result.errorMessage, `create topic ${topic}`);
        }
      });
      count = await this.partitionCount(topic);
      if (count === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', `${this.description}: topic ${topic} was created but the cluster does not list it`, { topic });
    }
    if (count < partitions) {
      await this.#admin(async (attempt) => {
        const broker = await this.#pool.anyConnection(attempt);
        const response = await broker.request(ApiKey.CreatePartitions, versionFor(broker, ApiKey.CreatePartitions), {
          topics: [{ name: topic, count: partitions, assignments: null }],
          timeoutMs: this.#options.requestTimeoutMs,
          validateOnly: false,
        }, this.#options.requestTimeoutMs);
        const result = response.results.find((entry) => entry.name === topic);
        if (result !== undefined && result.errorCode !== KafkaError.NONE) throw kafkaAnswerError(result.errorCode, result.errorMessage, `add partitions to ${topic}`);
      });
      this.#metadata.forget();
      count = partitions;
    }
    return count;
  }

  /** Log start and high watermark of one partition (ListOffsets earliest and latest, from its leader). */
  async offsets(topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }> {
    const [logStartOffset, highWatermark] = await Promise.all([
      this.#listOffset(topic, partition, EARLIEST_TIMESTAMP, READ_UNCOMMITTED),
      this.#listOffset(topic, partition, LATEST_TIMESTAMP, READ_UNCOMMITTED),
    ]);
    return { logStartOffset, highWatermark };
  }

  /** The last stable offset of one partition: ListOffsets latest at read_committed answers it (KIP-98). */
  lastStableOffset(topic: string, partition: number): Promise<bigint> {
    return this.#listOffset(topic, partition, LATEST_TIMESTAMP, READ_COMMITTED);
  }

  #listOffset(topic: string, partition: number, timestamp: bigint, isolationLevel: number): Promise<bigint> {
    return this.#admin(async () => {
      const leader = await this.#metadata.leader(topic, partition);
      const response = await this.#resetOnFailure(leader, leader.request(ApiKey.ListOffsets, versionFor(leader, ApiKey.ListOffsets), {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
        timeoutMs: this.#options.requestTimeoutMs,
      }, this.#options.requestTimeoutMs));
      const found = response.topics.find((entry) => entry.name === topic)?.partitions.find((entry) => entry.partitionIndex === partition);
      if (found === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', `${this.description}: no offsets for ${topic}/${partition}`, { topic, partition });
      if (found.errorCode !== KafkaError.NONE) {
        this.#forgetIfMoved(found.errorCode);
        throw kafkaAnswerError(found.errorCode, null, `list offsets of ${topic}/${partition}`);
      }
      return found.offset;
    });
  }

  /**
   * The connection to a partition's leader. Its metadata is an admin request, retried as
   * they are; the connection to the leader and the request on it are not.
   */
  async #leader(topic: string, partition: number): Promise<BrokerConnection> {
    await this.#admin(() => this.#metadata.topic(topic, false));
    return this.#metadata.leader(topic, partition);
  }

  #forgetIfMoved(errorCode: number): void {
    if (errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER || errorCode === KafkaError.UNKNOWN_TOPIC_OR_PARTITION) this.#metadata.forget();
  }

  /** Produces one record batch to one partition with acks=all. Kafka errors come back as codes, not exceptions. */
  async produce(topic: string, partition: number, batch: Buffer): Promise<ProduceOutcome> {
    const leader = await this.#leader(topic, partition);
    const timeoutMs = this.#options.requestTimeoutMs;
    const response = await this.#resetOnFailure(leader, leader.request(ApiKey.Produce, versionFor(leader, ApiKey.Produce), produceRequest(topic, partition, batch, timeoutMs), timeoutMs));
    const outcome = produceOutcome(response);
    this.#forgetIfMoved(outcome.errorCode);
    return outcome;
  }

  /** Fetches stored batches of one partition from `offset`, waiting up to maxWaitMs for data. */
  async fetch(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Promise<FetchedPartition> {
    const leader = await this.#leader(topic, partition);
    // The broker may hold the request for maxWaitMs before it answers: that is not a timeout.
    const timeoutMs = this.#options.requestTimeoutMs + maxWaitMs;
    const response = await this.#resetOnFailure(leader, leader.request(ApiKey.Fetch, versionFor(leader, ApiKey.Fetch), fetchRequest(topic, partition, offset, maxBytes, maxWaitMs), timeoutMs));
    const fetched = fetchedPartition(response);
    this.#forgetIfMoved(fetched.errorCode);
    return fetched;
  }

  /**
   * A request that failed on its connection (reset, timed out) may still sit in a buffer on
   * the way: the connection is reset, so that nothing written to it reaches the broker later,
   * and the metadata is read again, since its broker may have gone.
   */
  async #resetOnFailure<T>(connection: BrokerConnection, request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (isNetworkError(error)) {
        connection.reset();
        this.#metadata.forget();
      }
      throw error;
    }
  }

  /**
   * Resolves when some broker of the cluster answers a metadata request now; fails when
   * none does. Every known broker is asked at once, without retry: the question is whether
   * the cluster answers at this moment, and a connection that is open but dead (its broker
   * killed a moment ago) must not stand for the whole cluster.
   */
  async probe(): Promise<void> {
    await Promise.any(this.#pool.candidates().map(async (broker) => {
      const connection = await this.#pool.connection(broker);
      await this.#resetOnFailure(connection, this.#metadata.ask([], connection));
    }));
  }

  /** A new idempotent producer id (KIP-98). */
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    return this.#admin(async (attempt) => {
      const broker = await this.#pool.anyConnection(attempt);
      const response = await broker.request(ApiKey.InitProducerId, versionFor(broker, ApiKey.InitProducerId), {
        transactionalId: null,
        transactionTimeoutMs: this.#options.requestTimeoutMs,
        producerId: -1n,
        producerEpoch: -1,
      }, this.#options.requestTimeoutMs);
      if (response.errorCode !== KafkaError.NONE) throw kafkaAnswerError(response.errorCode, null, 'init producer id');
      return { producerId: response.producerId, producerEpoch: response.producerEpoch };
    });
  }

  /** The connection to a group's coordinator (FindCoordinator), which alone takes and serves its offsets. */
  async #coordinator(groupId: string, attempt: number): Promise<BrokerConnection> {
    const broker = await this.#pool.anyConnection(attempt);
    const response = await broker.request(ApiKey.FindCoordinator, versionFor(broker, ApiKey.FindCoordinator), { key: groupId, keyType: GROUP_KEY_TYPE, coordinatorKeys: [] }, this.#options.requestTimeoutMs);
    if (response.errorCode !== KafkaError.NONE) throw kafkaAnswerError(response.errorCode, response.errorMessage, `find the coordinator of group ${groupId}`);
    return this.#pool.connection({ host: response.host, port: response.port });
  }

  /** Commits offsets as a group that is not managed (generation -1), as a standalone consumer does. */
  async commitOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: null }[]>();
    for (const entry of offsets) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push({ partitionIndex: entry.partition, committedOffset: entry.offset, committedLeaderEpoch: -1, committedMetadata: null });
      byTopic.set(entry.topic, list);
    }
    await this.#admin(async (attempt) => {
      const coordinator = await this.#coordinator(groupId, attempt);
      const response = await this.#resetOnFailure(coordinator, coordinator.request(ApiKey.OffsetCommit, versionFor(coordinator, ApiKey.OffsetCommit), {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }, this.#options.requestTimeoutMs));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== KafkaError.NONE) throw kafkaAnswerError(partition.errorCode, null, `commit the offset of group ${groupId} for ${topic.name}/${partition.partitionIndex}`);
        }
      }
    });
  }

  /** The offsets a group committed, as "topic/partition" → offset; `topics` narrows the question. */
  async groupOffsets(groupId: string, topics: readonly { name: string; partitionIndexes: number[] }[] | null = null): Promise<Map<string, bigint>> {
    return this.#admin(async (attempt) => {
      const coordinator = await this.#coordinator(groupId, attempt);
      const response = await this.#resetOnFailure(coordinator, coordinator.request(ApiKey.OffsetFetch, versionFor(coordinator, ApiKey.OffsetFetch), {
        groupId,
        topics: topics === null ? null : topics.map((entry) => ({ name: entry.name, partitionIndexes: entry.partitionIndexes })),
        groups: [],
        requireStable: false,
      }, this.#options.requestTimeoutMs));
      if (response.errorCode !== KafkaError.NONE) throw kafkaAnswerError(response.errorCode, null, `read the offsets of group ${groupId}`);
      const offsets = new Map<string, bigint>();
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== KafkaError.NONE) throw kafkaAnswerError(partition.errorCode, null, `read the offset of group ${groupId} for ${topic.name}/${partition.partitionIndex}`);
          if (partition.committedOffset >= 0n) offsets.set(`${topic.name}/${partition.partitionIndex}`, partition.committedOffset);
        }
      }
      return offsets;
    });
  }

  /** The offset a group committed for one partition; undefined when it committed none. */
  async committedOffset(groupId: string, topic: string, partition: number): Promise<bigint | undefined> {
    return (await this.groupOffsets(groupId, [{ name: topic, partitionIndexes: [partition] }])).get(`${topic}/${partition}`);
  }

  /**
   * Drops every connection with a TCP reset. After a failure nothing written to an old
   * socket may still reach the cluster later: a reset discards what the kernel (or a
   * proxy on the way) still holds, where a graceful close would deliver it.
   */
  resetConnections(): void {
    this.#pool.resetAll();
    this.#metadata.forget();
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }
}

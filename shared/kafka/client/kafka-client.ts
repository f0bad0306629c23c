// The Kafka client of the mirror (for the central cluster and, standalone, for the edge's
// own Kafka listener) and of the fleet view (reading heartbeats from the central): @platformatic/kafka does the connections, TLS, SASL, API negotiation,
// metadata and admin requests; the two hot requests are sent through its connections
// with request bodies of our own (kafka-requests.ts), so that record batches travel as the
// bytes we made:
//
// - Produce v9 carries a RecordBatch the mirror encoded itself (shared/kafka/record-batch.ts)
//   with the producer id, epoch and sequence numbers it chose (see partition-pump.ts);
// - Fetch v12 returns the stored batches as bytes, decoded with the same codec.
//
// Brokers are dialled through `addressMap` when one is configured: a cluster advertises
// the addresses its brokers know themselves by, which a device behind a tunnel, a NAT or
// a link simulator cannot reach directly.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import {
  Admin,
  findErrorBy,
  initProducerIdV4,
  kGetBootstrapConnection,
  kGetConnection,
  metadataV12,
  type Broker,
  type Connection,
  type SASLOptions,
} from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import { isNetworkError, KafkaError } from './kafka-errors.ts';
import { fetchV12, produceV9, type FetchedPartition, type ProduceOutcome } from './kafka-requests.ts';

/** Admin requests (metadata, topic creation) are retried this many times inside the client; the mirror's own loop retries the rest. */
const ADMIN_RETRIES = 1;
const ADMIN_RETRY_DELAY_MS = 250;

export interface KafkaClientOptions {
  bootstrap: readonly string[];
  clientId: string;
  addressMap?: Readonly<Record<string, string>>;
  tls?: TlsOptions;
  sasl?: SASLOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

function parseHostPort(address: string): Broker {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/** An Admin client that dials brokers through the address map. */
class MappedAdmin extends Admin {
  readonly #map: ReadonlyMap<string, Broker>;
  #known: Broker[] = [];

  constructor(options: ConstructorParameters<typeof Admin>[0], map: ReadonlyMap<string, Broker>) {
    super(options);
    this.#map = map;
  }

  override clearMetadata(): void {
    this.#remember();
    super.clearMetadata();
  }

  /** Every broker worth dialling, as dialled (through the map): the bootstrap brokers, then those learnt from metadata. */
  candidates(): Broker[] {
    this.#remember();
    const seen = new Set<string>();
    return [...this.bootstrapBrokers, ...this.#known].map((broker) => this.mapped(broker)).filter((broker) => {
      const key = `${broker.host}:${broker.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  #remember(): void {
    if (this.currentMetadata && this.currentMetadata.brokers.size > 0) this.#known = [...this.currentMetadata.brokers.values()];
  }

  mapped(broker: Broker): Broker {
    return this.#map.get(`${broker.host}:${broker.port}`) ?? broker;
  }

  override [kGetConnection](broker: Broker, callback: (error: Error | null, connection?: Connection) => void): void {
    super[kGetConnection](broker === undefined ? broker : this.mapped(broker), callback);
  }

  // The bootstrap connection may also go to a discovered broker: map those too. Brokers are
  // remembered past a metadata reset, so that a mirror given one bootstrap broker still
  // reaches the others when that one is down.
  override [kGetBootstrapConnection](callback: (error: Error | null, connection?: Connection) => void, attempt = 0): void {
    let brokers = this.candidates();
    if (attempt > 0 && brokers.length > 1) {
      const offset = attempt % brokers.length;
      brokers = [...brokers.slice(offset), ...brokers.slice(0, offset)];
    }
    this.connections.getFirstAvailable(brokers, callback);
  }

  bootstrapBrokers: Broker[] = [];
}

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
  readonly admin: MappedAdmin;
  readonly #options: KafkaClientOptions;

  constructor(options: KafkaClientOptions) {
    this.#options = options;
    const map = new Map(Object.entries(options.addressMap ?? {}).map(([from, to]) => [from, parseHostPort(to)]));
    this.admin = new MappedAdmin({
      clientId: options.clientId,
      bootstrapBrokers: [...options.bootstrap],
      connectTimeout: options.connectTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      timeout: options.requestTimeoutMs,
      retries: ADMIN_RETRIES,
      retryDelay: ADMIN_RETRY_DELAY_MS,
      tls: options.tls,
      sasl: options.sasl,
    }, map);
    this.admin.bootstrapBrokers = options.bootstrap.map(parseHostPort);
  }

  get description(): string {
    return this.#options.bootstrap.join(',');
  }

  /** Partition count of a topic, or undefined when the cluster does not have it. */
  async partitionCount(topic: string): Promise<number | undefined> {
    // Metadata for this one topic: on a cluster with thousands of topics, listing them all
    // every few seconds from every edge would cost the brokers more than the mirroring.
    try {
      const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false });
      return metadata.topics.get(topic)?.partitionsCount;
    } catch (error) {
      // The client turns the broker's UNKNOWN_TOPIC_OR_PARTITION into a UserError "Unknown topic T.".
      if (findErrorBy(error as Error, 'apiId', 'UNKNOWN_TOPIC_OR_PARTITION') || ((error as { code?: string }).code === 'PLT_KFK_USER' && (error as Error).message === `Unknown topic ${topic}.`)) return undefined;
      throw error;
    }
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /**
   * Makes sure the topic exists with at least `partitions` partitions: creates it, or adds
   * partitions. Returns the partition count it has. Another client creating it at the same
   * moment is fine.
   */
  async ensureTopic(topic: string, partitions: number, replicationFactor: number): Promise<number> {
    let count = await this.partitionCount(topic);
    if (count === undefined) {
      try {
        await this.admin.createTopics({ topics: [topic], partitions, replicas: replicationFactor });
      } catch (error) {
        if (!findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
      }
      count = await this.partitionCount(topic);
      if (count === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', `${this.description}: topic ${topic} was created but the cluster does not list it`, { topic });
    }
    if (count < partitions) {
      await this.admin.createPartitions({ topics: [{ name: topic, count: partitions, assignments: [] }] });
      count = partitions;
    }
    return count;
  }

  /** Log start and high watermark of one partition (ListOffsets earliest and latest). */
  async offsets(topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }> {
    const ask = async (timestamp: bigint): Promise<bigint> => {
      const topics = await this.admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }] });
      const found = topics.find((entry) => entry.name === topic)?.partitions.find((entry) => entry.partitionIndex === partition);
      if (found === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', `${this.description}: no offsets for ${topic}/${partition}`, { topic, partition });
      return found.offset;
    };
    const [logStartOffset, highWatermark] = await Promise.all([ask(-2n), ask(-1n)]);
    return { logStartOffset, highWatermark };
  }

  async #leaderConnection(topic: string, partition: number): Promise<Connection> {
    const metadata = await this.admin.metadata({ topics: [topic] });
    const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
    const broker = leader === undefined ? undefined : metadata.brokers.get(leader);
    if (broker === undefined) {
      this.admin.clearMetadata();
      throw new TributaryError('MIRROR_TARGET_FAILED', `${this.description}: no leader known for ${topic}/${partition}`, { topic, partition, retriable: true });
    }
    return new Promise<Connection>((resolve, reject) => {
      this.admin[kGetConnection](broker, (error, connection) => (error ? reject(error) : resolve(connection!)));
    });
  }

  /** Produces one record batch to one partition with acks=all. Kafka errors come back as codes, not exceptions. */
  async produce(topic: string, partition: number, batch: Buffer): Promise<ProduceOutcome> {
    const connection = await this.#leaderConnection(topic, partition);
    const outcome = await this.#resetOnFailure(connection, produceV9.async(connection, topic, partition, batch, this.#options.requestTimeoutMs));
    if (outcome.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER || outcome.errorCode === KafkaError.UNKNOWN_TOPIC_OR_PARTITION) this.admin.clearMetadata();
    return outcome;
  }

  /** Fetches stored batches of one partition from `offset`, waiting up to maxWaitMs for data. */
  async fetch(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Promise<FetchedPartition> {
    const connection = await this.#leaderConnection(topic, partition);
    const fetched = await this.#resetOnFailure(connection, fetchV12.async(connection, topic, partition, offset, maxBytes, maxWaitMs));
    if (fetched.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER || fetched.errorCode === KafkaError.UNKNOWN_TOPIC_OR_PARTITION) this.admin.clearMetadata();
    return fetched;
  }

  /**
   * A request that failed on its connection (reset, timed out) may still sit in a buffer on
   * the way: the connection is reset, so that nothing written to it reaches the broker later,
   * and the metadata is read again, since its broker may have gone.
   */
  async #resetOnFailure<T>(connection: Connection, request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (isNetworkError(error)) {
        resetSocket(connection);
        this.admin.clearMetadata();
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
    await Promise.any(this.admin.candidates().map(async (broker) => {
      const connection = await new Promise<Connection>((resolve, reject) => {
        this.admin.connections.get(broker, (error, found) => (error ? reject(error) : resolve(found!)));
      });
      await this.#resetOnFailure(connection, metadataV12.api.async(connection, []));
    }));
  }

  /** A connection to the first broker that accepts one, bootstrap brokers first. */
  #anyBroker(): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      this.admin[kGetBootstrapConnection]((error, found) => (error ? reject(error) : resolve(found!)));
    });
  }

  /** A new idempotent producer id (KIP-98). */
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    const connection = await this.#anyBroker();
    const response = await initProducerIdV4.api.async(connection, null, this.#options.requestTimeoutMs, -1n, -1);
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  /** Commits offsets as a group that is not managed (generation -1), as a standalone consumer does. */
  async commitOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const entry of offsets) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push({ partition: entry.partition, offset: entry.offset });
      byTopic.set(entry.topic, list);
    }
    await this.admin.alterConsumerGroupOffsets({ groupId, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) });
  }

  /** The offset a group committed for one partition; undefined when it committed none. */
  async committedOffset(groupId: string, topic: string, partition: number): Promise<bigint | undefined> {
    const groups = await this.admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] }] });
    const offset = groups[0]?.topics.find((entry) => entry.name === topic)?.partitions.find((entry) => entry.partitionIndex === partition)?.committedOffset;
    return offset !== undefined && offset >= 0n ? offset : undefined;
  }

  /**
   * Drops every connection with a TCP reset. After a failure nothing written to an old
   * socket may still reach the cluster later: a reset discards what the kernel (or a
   * proxy on the way) still holds, where a graceful close would deliver it.
   */
  resetConnections(): void {
    for (const [, connection] of this.admin.connections) resetSocket(connection);
    this.admin.clearMetadata();
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}

function resetSocket(connection: Connection): void {
  const socket = connection.socket as { resetAndDestroy?: () => void; destroyed?: boolean } | undefined;
  if (socket && !socket.destroyed) socket.resetAndDestroy?.();
}

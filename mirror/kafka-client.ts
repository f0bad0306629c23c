// The mirror's Kafka client, for the central cluster and (standalone) for the edge's own
// Kafka listener: @platformatic/kafka does the connections, TLS, SASL, API negotiation,
// metadata and admin requests; the two hot requests are sent through its connections
// with request bodies of our own, so that record batches travel as the bytes we made:
//
// - Produce v9 carries a RecordBatch the mirror encoded itself (shared/kafka/record-batch.ts)
//   with the producer id, epoch and sequence numbers it chose (see partition-mirror.ts);
// - Fetch v12 returns the stored batches as bytes, decoded with the same codec.
//
// Both versions are flexible (KIP-482) and served by Apache Kafka 2.4+ (Produce 3-13 and
// Fetch 4-18 in Kafka 4) and by Tributary.
//
// Brokers are dialled through `addressMap` when one is configured: a cluster advertises
// the addresses its brokers know themselves by, which a device behind a tunnel, a NAT or
// a link simulator cannot reach directly.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import {
  Admin,
  createAPI,
  findErrorBy,
  initProducerIdV4,
  kGetBootstrapConnection,
  kGetConnection,
  NetworkError,
  Writer,
  type Broker,
  type Connection,
  type Reader,
  type SASLOptions,
} from '@platformatic/kafka';
import { TributaryError } from '../shared/errors.ts';
import { ErrorCode as KafkaError } from '../shared/kafka/protocol/error-codes.ts';

/** Produce and Fetch versions the mirror speaks; both flexible, both in every Kafka since 2.4 (KIP-482). */
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const PRODUCE_API_KEY = 0;
const FETCH_API_KEY = 1;
/** Fetch isolation level READ_UNCOMMITTED: the mirror reads what is there; it writes no transactions. */
const READ_UNCOMMITTED = 0;
/** acks=-1: the central cluster answers once the batch is on every in-sync replica. */
const ACKS_ALL = -1;
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

export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Whole and possibly a partial last batch, as the broker sent them. */
  records: Buffer;
}

export interface ProduceOutcome {
  errorCode: number;
  baseOffset: bigint;
  logStartOffset: bigint;
  errorMessage: string | null;
}

function parseHostPort(address: string): Broker {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/** An Admin client that dials brokers through the address map. */
class MappedAdmin extends Admin {
  readonly #map: ReadonlyMap<string, Broker>;

  constructor(options: ConstructorParameters<typeof Admin>[0], map: ReadonlyMap<string, Broker>) {
    super(options);
    this.#map = map;
  }

  mapped(broker: Broker): Broker {
    return this.#map.get(`${broker.host}:${broker.port}`) ?? broker;
  }

  override [kGetConnection](broker: Broker, callback: (error: Error | null, connection?: Connection) => void): void {
    super[kGetConnection](broker === undefined ? broker : this.mapped(broker), callback);
  }

  // The bootstrap connection may also go to a discovered broker: map those too.
  override [kGetBootstrapConnection](callback: (error: Error | null, connection?: Connection) => void, attempt = 0): void {
    const discovered = this.currentMetadata ? [...this.currentMetadata.brokers.values()] : [];
    let brokers = [...this.bootstrapBrokers, ...discovered].map((broker) => this.mapped(broker));
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
  readonly #produce = createAPI<[topic: string, partition: number, batch: Buffer, timeoutMs: number], ProduceOutcome>(PRODUCE_API_KEY, PRODUCE_VERSION, createProduceRequest, parseProduceResponse);
  readonly #fetch = createAPI<[topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number], FetchedPartition>(FETCH_API_KEY, FETCH_VERSION, createFetchRequest, parseFetchResponse);

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
    const outcome = await this.#produce.async(connection, topic, partition, batch, this.#options.requestTimeoutMs);
    if (outcome.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER || outcome.errorCode === KafkaError.UNKNOWN_TOPIC_OR_PARTITION) this.admin.clearMetadata();
    return outcome;
  }

  /** Fetches stored batches of one partition from `offset`, waiting up to maxWaitMs for data. */
  async fetch(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Promise<FetchedPartition> {
    const connection = await this.#leaderConnection(topic, partition);
    const fetched = await this.#fetch.async(connection, topic, partition, offset, maxBytes, maxWaitMs);
    if (fetched.errorCode === KafkaError.NOT_LEADER_OR_FOLLOWER || fetched.errorCode === KafkaError.UNKNOWN_TOPIC_OR_PARTITION) this.admin.clearMetadata();
    return fetched;
  }

  /** A new idempotent producer id (KIP-98). */
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    const connection = await new Promise<Connection>((resolve, reject) => {
      this.admin[kGetBootstrapConnection]((error, found) => (error ? reject(error) : resolve(found!)));
    });
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

  /**
   * Drops every connection with a TCP reset. After a failure nothing written to an old
   * socket may still reach the cluster later: a reset discards what the kernel (or a
   * proxy on the way) still holds, where a graceful close would deliver it.
   */
  resetConnections(): void {
    for (const [, connection] of this.admin.connections) {
      const socket = connection.socket as { resetAndDestroy?: () => void; destroyed?: boolean } | undefined;
      if (socket && !socket.destroyed) socket.resetAndDestroy?.();
    }
    this.admin.clearMetadata();
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}

/** A failure of the connection itself (refused, reset, timed out), as opposed to an answer from the broker. */
export function isNetworkError(error: unknown): boolean {
  return findErrorBy(error as Error, 'code', NetworkError.code) !== null || (error instanceof TributaryError && error.details.retriable === true);
}

/** One line saying what went wrong, for logs, metrics and heartbeats. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = error.errors.map((entry: unknown) => describeError(entry));
    return `${error.message} ${[...new Set(inner)].join('; ')}`;
  }
  const cause = (error as { cause?: unknown }).cause;
  const own = error instanceof Error ? error.message : String(error);
  return cause instanceof Error && !own.includes(cause.message) ? `${own}: ${cause.message}` : own;
}

// --- Produce v9 ----------------------------------------------------------------------
// Produce Request (Version: 9) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER
//   transactional_id => COMPACT_NULLABLE_STRING
//   topic_data => name [partition_data] TAG_BUFFER
//     partition_data => index records TAG_BUFFER      records => COMPACT_RECORDS

function createProduceRequest(topic: string, partition: number, batch: Buffer, timeoutMs: number): Writer {
  return Writer.create()
    .appendString(null)
    .appendInt16(ACKS_ALL)
    .appendInt32(timeoutMs)
    .appendArray([topic], (writer, name: string) => {
      writer.appendString(name).appendArray([partition], (inner, index: number) => {
        inner.appendInt32(index).appendUnsignedVarInt(batch.length + 1).append(batch);
      });
    })
    .appendTaggedFields();
}

// Produce Response (Version: 9) => [responses] throttle_time_ms TAG_BUFFER
//   responses => name [partition_responses] TAG_BUFFER
//     partition_responses => index error_code base_offset log_append_time_ms log_start_offset
//                            [record_errors] error_message TAG_BUFFER
//       record_errors => batch_index batch_index_error_message TAG_BUFFER

function parseProduceResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ProduceOutcome {
  let outcome: ProduceOutcome | undefined;
  reader.readArray((topicReader) => {
    topicReader.readString();
    topicReader.readArray((partitionReader) => {
      partitionReader.readInt32();
      const errorCode = partitionReader.readInt16();
      const baseOffset = partitionReader.readInt64();
      partitionReader.readInt64();
      const logStartOffset = partitionReader.readInt64();
      const recordErrors: string[] = [];
      partitionReader.readArray((errorReader) => {
        errorReader.readInt32();
        const message = errorReader.readNullableString();
        if (message) recordErrors.push(message);
      });
      const errorMessage = partitionReader.readNullableString();
      outcome = { errorCode, baseOffset, logStartOffset, errorMessage: [errorMessage, ...recordErrors].filter((text) => text).join('; ') || null };
    });
  });
  reader.readInt32();
  reader.readTaggedFields();
  if (outcome === undefined) throw new TributaryError('MIRROR_TARGET_FAILED', 'produce response holds no partition', {});
  return outcome;
}

// --- Fetch v12 -----------------------------------------------------------------------
// Fetch Request (Version: 12) => replica_id max_wait_ms min_bytes max_bytes isolation_level
//   session_id session_epoch [topics] [forgotten_topics_data] rack_id TAG_BUFFER
//   topics => topic [partitions] TAG_BUFFER
//     partitions => partition current_leader_epoch fetch_offset last_fetched_epoch
//                   log_start_offset partition_max_bytes TAG_BUFFER

function createFetchRequest(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Writer {
  return Writer.create()
    .appendInt32(-1)
    .appendInt32(maxWaitMs)
    .appendInt32(1)
    .appendInt32(maxBytes)
    .appendInt8(READ_UNCOMMITTED)
    // Session 0, epoch -1: a full fetch outside any fetch session (KIP-227).
    .appendInt32(0)
    .appendInt32(-1)
    .appendArray([topic], (writer, name: string) => {
      writer.appendString(name).appendArray([partition], (inner, index: number) => {
        inner.appendInt32(index).appendInt32(-1).appendInt64(offset).appendInt32(-1).appendInt64(-1n).appendInt32(maxBytes);
      });
    })
    .appendArray([], () => undefined)
    .appendString('')
    .appendTaggedFields();
}

// Fetch Response (Version: 12) => throttle_time_ms error_code session_id [responses] TAG_BUFFER
//   responses => topic [partitions] TAG_BUFFER
//     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
//                   [aborted_transactions] preferred_read_replica records TAG_BUFFER
//       aborted_transactions => producer_id first_offset TAG_BUFFER

function parseFetchResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): FetchedPartition {
  reader.readInt32();
  const topLevelError = reader.readInt16();
  reader.readInt32();
  let fetched: FetchedPartition | undefined;
  reader.readArray((topicReader) => {
    topicReader.readString();
    topicReader.readArray((partitionReader) => {
      partitionReader.readInt32();
      const errorCode = partitionReader.readInt16();
      const highWatermark = partitionReader.readInt64();
      partitionReader.readInt64();
      const logStartOffset = partitionReader.readInt64();
      partitionReader.readNullableArray((abortedReader) => {
        abortedReader.readInt64();
        abortedReader.readInt64();
      });
      partitionReader.readInt32();
      const records = partitionReader.readNullableBytes() ?? Buffer.alloc(0);
      fetched = { errorCode, highWatermark, logStartOffset, records: Buffer.from(records) };
    });
  });
  reader.readTaggedFields();
  if (fetched === undefined) {
    return { errorCode: topLevelError !== 0 ? topLevelError : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
  }
  return fetched;
}

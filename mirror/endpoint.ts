// The two ends of a mirrored partition, behind one interface: the central cluster, the
// edge's log read through its Kafka listener (standalone mirror), or the edge's log in the
// same process (embedded mirror, local-endpoint.ts). Forward mirroring reads the edge and
// writes the central cluster; reverse rules read the central cluster and write the edge.
//
// Reads that wait for data (long polls) each get their own connection: a Kafka broker
// answers the requests of one connection in order, so a fetch waiting on a quiet
// partition would hold up the answers to every request queued behind it.
import { TributaryError } from '../shared/errors.ts';
import { KafkaClient, type KafkaClientOptions } from '../shared/kafka/client/kafka-client.ts';
import { authenticationFailure, describeError, isNetworkError, isRetriableKafkaAnswer, KAFKA_ERROR_HINTS, KafkaError } from '../shared/kafka/client/kafka-errors.ts';
import type { ProduceOutcome } from '../shared/kafka/client/kafka-requests.ts';
import { iterateBatchHeaders } from '../shared/kafka/record-batch.ts';

export type { ProduceOutcome };

/** The offset after the last whole batch of a fetched buffer, or `offset` when it holds none. */
function endOfWholeBatches(records: Buffer, offset: bigint): bigint {
  let end = offset;
  for (const header of iterateBatchHeaders(records)) if (header.lastOffset + 1n > end) end = header.lastOffset + 1n;
  return end;
}

/** Connections kept for long polls per endpoint; beyond this, partitions share them (and may wait on each other). */
export const LONG_POLL_CONNECTIONS_MAX = 64;

export interface EndpointRead {
  /** Whole batches from the one holding the offset read; may end with a partial batch. */
  records: Buffer;
  /**
   * The end of what a committed read can reach: the last stable offset (KIP-98), which is
   * the high watermark when no transaction is open. The mirror's lag counts to it, as it
   * reads committed data only.
   */
  highWatermark: bigint;
  logStartOffset: bigint;
  /** The offset is below the log start (evicted) or past the end. */
  outOfRange: boolean;
  /** Aborted transactions among the records (read_committed, KIP-98): their batches are not mirrored. */
  abortedTransactions?: readonly { producerId: bigint; firstOffset: bigint }[];
}

export type EndpointErrorCode = 'MIRROR_TARGET_FAILED' | 'MIRROR_SOURCE_FAILED';

export interface LogEndpoint {
  /** Names the endpoint in logs and errors: "central 10.0.0.1:9092", "edge log". */
  readonly name: string;
  /** The code of this endpoint's failures: MIRROR_TARGET_FAILED for the central cluster, MIRROR_SOURCE_FAILED for the edge log. */
  readonly errorCode: EndpointErrorCode;
  /** Whether writes need an idempotent producer id: false when the log is in this process (no request can arrive late). */
  readonly needsProducerId: boolean;
  /** Topic names and partition counts. */
  listTopics(): Promise<Map<string, number>>;
  /** One topic's partition count, or undefined when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /** Creates the topic or adds partitions so that it has at least `partitions`; returns its count. */
  ensureTopic(topic: string, partitions: number): Promise<number>;
  offsets(topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }>;
  read(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number, signal?: AbortSignal): Promise<EndpointRead>;
  /** Appends one record batch; Kafka error codes are returned, connection failures thrown. */
  append(topic: string, partition: number, batch: Buffer): Promise<ProduceOutcome>;
  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }>;
  /** Stores offsets under a consumer group (delivered offsets, for the edge's retention). */
  commitOffsets(group: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void>;
  /** The offset a group committed for a partition, or undefined when it has none. */
  committedOffset(group: string, topic: string, partition: number): Promise<bigint | undefined>;
  /** Drops every connection at once after a failure (see KafkaClient.resetConnections). */
  reset(): void;
  close(): Promise<void>;
}

export interface KafkaEndpointOptions extends KafkaClientOptions {
  name: string;
  /** The error code of this endpoint's failures: the central cluster's, or the edge log's. */
  errorCode: EndpointErrorCode;
  replicationFactor: number;
}

export class KafkaEndpoint implements LogEndpoint {
  readonly name: string;
  readonly errorCode: EndpointErrorCode;
  readonly needsProducerId = true;
  readonly #options: KafkaEndpointOptions;
  readonly #client: KafkaClient;
  readonly #pollers = new Map<string, KafkaClient>();
  #pollerCount = 0;

  constructor(options: KafkaEndpointOptions) {
    this.name = options.name;
    this.errorCode = options.errorCode;
    this.#options = options;
    this.#client = this.#newClient('');
  }

  #newClient(suffix: string): KafkaClient {
    const options = this.#options;
    return new KafkaClient({
      bootstrap: options.bootstrap,
      clientId: `${options.clientId}${suffix}`,
      addressMap: options.addressMap,
      tls: options.tls,
      sasl: options.sasl,
      connectTimeoutMs: options.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
    });
  }

  /** The client for long polls of one partition: its own connection, up to the bound. */
  #poller(topic: string, partition: number): KafkaClient {
    const key = `${topic}/${partition}`;
    let client = this.#pollers.get(key);
    if (client === undefined) {
      if (this.#pollerCount < LONG_POLL_CONNECTIONS_MAX) {
        client = this.#newClient(`-poll-${this.#pollerCount}`);
        this.#pollerCount += 1;
      } else {
        const shared = [...new Set(this.#pollers.values())];
        client = shared[this.#pollers.size % shared.length]!;
      }
      this.#pollers.set(key, client);
    }
    return client;
  }

  /**
   * Runs a request; a connection failure becomes this endpoint's error, marked `network`, so
   * that it is told apart from the other end's. Refused credentials are a connection failure
   * too (no broker can be talked to), with `authentication` saying what the cluster said.
   */
  async #guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TributaryError && error.code === this.errorCode) throw error;
      const refusal = authenticationFailure(error);
      if (refusal !== undefined) {
        const sasl = this.#options.sasl;
        const as = sasl === undefined ? '' : ` (SASL ${sasl.mechanism} as user ${sasl.username})`;
        // No cause: the client's wrappers around the refusal ("metadata failed 2 times") say nothing more.
        throw new TributaryError(this.errorCode, `${this.name}: ${what}: the cluster refused the credentials${as}: ${refusal}`, { network: true, authentication: `${refusal}${as}` });
      }
      throw new TributaryError(this.errorCode, `${this.name}: ${what}: ${describeError(error)}`, { network: isNetworkError(error), retriable: isRetriableKafkaAnswer(error) }, { cause: error });
    }
  }

  /** Resolves when some broker of the cluster answers; fails as any request does otherwise. */
  probe(): Promise<void> {
    return this.#guard('reach any broker', () => this.#client.probe());
  }

  listTopics(): Promise<Map<string, number>> {
    return this.#guard('list topics', () => this.#listTopics());
  }

  async #listTopics(): Promise<Map<string, number>> {
    // Internal topics (__consumer_offsets, __transaction_state) are never mirrored.
    return new Map([...(await this.#client.listTopics())].filter(([name]) => !name.startsWith('__')));
  }

  partitionCount(topic: string): Promise<number | undefined> {
    return this.#guard(`look up topic ${topic}`, () => this.#client.partitionCount(topic));
  }

  ensureTopic(topic: string, partitions: number): Promise<number> {
    return this.#guard(`create or grow topic ${topic}`, () => this.#client.ensureTopic(topic, partitions, this.#options.replicationFactor));
  }

  offsets(topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }> {
    return this.#guard(`list offsets of ${topic}/${partition}`, () => this.#client.offsets(topic, partition));
  }

  async read(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number): Promise<EndpointRead> {
    const client = maxWaitMs > 0 ? this.#poller(topic, partition) : this.#client;
    const fetched = await this.#guard(`fetch ${topic}/${partition} at ${offset}`, () => client.fetch(topic, partition, offset, maxBytes, maxWaitMs));
    if (fetched.errorCode === KafkaError.OFFSET_OUT_OF_RANGE) {
      return { records: Buffer.alloc(0), highWatermark: fetched.highWatermark, logStartOffset: fetched.logStartOffset, outOfRange: true };
    }
    if (fetched.errorCode !== KafkaError.NONE) throw kafkaFailure(this.errorCode, this.name, `fetch ${topic}/${partition} at ${offset}`, fetched.errorCode, null);
    // A read_committed fetch stops at the last stable offset; only when it stopped short of the
    // high watermark can an open transaction lie between them, and only then is it asked for.
    const readableEnd = endOfWholeBatches(fetched.records, offset) < fetched.highWatermark ? await this.#lastStableOffset(topic, partition) : fetched.highWatermark;
    return { records: fetched.records, highWatermark: readableEnd, logStartOffset: fetched.logStartOffset, outOfRange: false, abortedTransactions: fetched.abortedTransactions };
  }

  /** ListOffsets for the latest offset at read_committed answers the last stable offset (KIP-98). */
  #lastStableOffset(topic: string, partition: number): Promise<bigint> {
    return this.#guard(`list the last stable offset of ${topic}/${partition}`, () => this.#client.lastStableOffset(topic, partition));
  }

  append(topic: string, partition: number, batch: Buffer): Promise<ProduceOutcome> {
    return this.#guard(`produce to ${topic}/${partition}`, () => this.#client.produce(topic, partition, batch));
  }

  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    return this.#guard('get a producer id', () => this.#client.initProducerId());
  }

  commitOffsets(group: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    return this.#guard(`commit offsets of group ${group}`, () => this.#client.commitOffsets(group, offsets));
  }

  committedOffset(group: string, topic: string, partition: number): Promise<bigint | undefined> {
    return this.#guard(`read the offset of group ${group} for ${topic}/${partition}`, () => this.#client.committedOffset(group, topic, partition));
  }

  reset(): void {
    this.#client.resetConnections();
    for (const client of new Set(this.#pollers.values())) client.resetConnections();
  }

  async close(): Promise<void> {
    await Promise.all([this.#client.close(), ...[...new Set(this.#pollers.values())].map((client) => client.close())]);
  }
}

/** Kafka errors worth retrying as they are: leadership moving, a replica lagging, a slow disk. */
const RETRIABLE_KAFKA_ERRORS: readonly number[] = [
  KafkaError.LEADER_NOT_AVAILABLE, KafkaError.NOT_LEADER_OR_FOLLOWER, KafkaError.REQUEST_TIMED_OUT, KafkaError.NOT_ENOUGH_REPLICAS,
  KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, KafkaError.KAFKA_STORAGE_ERROR, KafkaError.FENCED_LEADER_EPOCH, KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
];

export function kafkaErrorName(errorCode: number): string {
  return Object.entries(KafkaError).find(([, code]) => code === errorCode)?.[0] ?? `Kafka error ${errorCode}`;
}

/** A Kafka error code answered where none was expected, as an error that says where and whether a retry may help. */
export function kafkaFailure(code: EndpointErrorCode, endpoint: string, what: string, errorCode: number, message: string | null): TributaryError {
  const hint = KAFKA_ERROR_HINTS[errorCode];
  return new TributaryError(code, `${endpoint}: ${what}: ${kafkaErrorName(errorCode)}${message ? ` (${message})` : ''}${hint ? `; ${hint}` : ''}`, { kafkaErrorCode: errorCode, retriable: RETRIABLE_KAFKA_ERRORS.includes(errorCode) });
}

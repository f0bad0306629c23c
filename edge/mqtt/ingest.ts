// The durable publish path: an MQTT publish becomes a record in a log topic, and its
// acknowledgement waits until the record is durable.
//
// Publishes that arrive in the same turn of the event loop for the same partition are
// encoded into one RecordBatch and appended together, so a burst from many devices costs
// one batch header, one CRC and one place in the log's group commit, not one each. Within
// a partition, records keep the order their publishes arrived in.
import { encodeRecordBatch, RECORD_BATCH_HEADER_BYTES, type RecordInput, type RecordHeaderInput } from '../../shared/kafka/record-batch.ts';
import type { Logger } from '../../shared/logger.ts';
import type { MqttMetrics } from './metrics.ts';
import { partitionForKey } from './partitioner.ts';
import type { RouteTable } from './routes.ts';

/** Records in one batch; bounds the work of one append and the size of its batch. */
const RECORDS_PER_BATCH_MAX = 1_000;
/**
 * Bytes of record data waiting to become durable, across all partitions. Past it QoS 0
 * publishes are dropped (counted): QoS 0 promises at most once, and memory is finite.
 * QoS 1/2 publishes are bounded per client by mqtt.limits.maxInflightPerClient instead.
 */
const PENDING_BYTES_MAX = 32 * 1024 * 1024;
/** Estimated bytes of a record beyond its key, value and headers (length, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 16;

/** Header names of the record of an MQTT publish (documented in edge/mqtt/README.md). */
export const MqttHeaders = {
  topic: 'mqtt.topic',
  qos: 'mqtt.qos',
  retain: 'mqtt.retain',
  clientId: 'mqtt.clientId',
} as const;

/** Bytes of the four headers beyond the MQTT topic and client id: names, qos and retain values, lengths. */
const HEADERS_FIXED_BYTES = Object.values(MqttHeaders).reduce((sum, name) => sum + name.length, 0) + 5 + 1 + 4 * 2;

const QOS_VALUES = [Buffer.from('0'), Buffer.from('1'), Buffer.from('2')];
const RETAIN_VALUES = { true: Buffer.from('true'), false: Buffer.from('false') };

/** What the publish path needs from the log. */
export interface IngestTarget {
  /** Partitions of `topic`, or undefined if it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Creates `topic` with the topic defaults (no error if it appeared meanwhile). */
  createTopic(topic: string): Promise<void>;
  /** Largest batch the topic accepts (its maxMessageBytes). */
  maxBatchBytes(topic: string): number;
  /** Appends one RecordBatch; resolves once it is durable under the topic's flush policy. */
  append(topic: string, partition: number, batch: Buffer): Promise<void>;
}

export interface MqttPublish {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
}

interface PendingBatch {
  topic: string;
  partition: number;
  records: RecordInput[];
  bytes: number;
  startedAt: bigint;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class RefusedPublishError extends Error {
  readonly reason: 'route-reject' | 'record-too-large' | 'backpressure';
  constructor(reason: RefusedPublishError['reason'], message: string) {
    super(message);
    this.name = 'RefusedPublishError';
    this.reason = reason;
  }
}

export class PublishIngest {
  readonly #target: IngestTarget;
  readonly #routes: RouteTable;
  readonly #metrics: MqttMetrics;
  readonly #logger: Logger;
  readonly #pending = new Map<string, PendingBatch>();
  readonly #creating = new Map<string, Promise<void>>();
  /** Batches handed to the log and not yet durable. */
  readonly #appending = new Set<Promise<void>>();
  #pendingBytes = 0;
  #flushScheduled = false;

  constructor(target: IngestTarget, routes: RouteTable, metrics: MqttMetrics, logger: Logger) {
    this.#target = target;
    this.#routes = routes;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Whether a publish on `topic` has somewhere to go (false when the default route is "reject"). */
  isRouted(topic: string, clientId: string): boolean {
    return this.#routes.resolve(topic, clientId) !== null;
  }

  /**
   * Appends the record of a publish. Resolves once it is durable; rejects with a
   * RefusedPublishError when the route refuses it, or with the log's error.
   */
  async append(publish: MqttPublish, clientId: string): Promise<void> {
    const target = this.#routes.resolve(publish.topic, clientId);
    if (target === null) throw new RefusedPublishError('route-reject', `no route for MQTT topic "${publish.topic}" and mqtt.defaultRoute is "reject"`);
    let partitions = this.#target.partitionCount(target.topic);
    if (partitions === undefined) {
      await this.#createTopic(target.topic);
      partitions = this.#target.partitionCount(target.topic);
      if (partitions === undefined) throw new Error(`log topic "${target.topic}" was created but does not exist`);
    }
    const key = Buffer.from(target.key, 'utf8');
    const partition = partitionForKey(key, partitions);
    const value = typeof publish.payload === 'string' ? Buffer.from(publish.payload, 'utf8') : publish.payload;
    const topicBytes = Buffer.from(publish.topic, 'utf8');
    const clientIdBytes = Buffer.from(clientId, 'utf8');
    const headers: RecordHeaderInput[] = [
      { key: MqttHeaders.topic, value: topicBytes },
      { key: MqttHeaders.qos, value: QOS_VALUES[publish.qos] ?? QOS_VALUES[0]! },
      { key: MqttHeaders.retain, value: publish.retain ? RETAIN_VALUES.true : RETAIN_VALUES.false },
      { key: MqttHeaders.clientId, value: clientIdBytes },
    ];
    const recordBytes = RECORD_OVERHEAD_BYTES + key.length + value.length + topicBytes.length + clientIdBytes.length + HEADERS_FIXED_BYTES;
    const limit = this.#target.maxBatchBytes(target.topic);
    if (recordBytes + RECORD_BATCH_HEADER_BYTES > limit) {
      throw new RefusedPublishError('record-too-large', `a publish on "${publish.topic}" makes a record of about ${recordBytes} bytes, over the ${limit} bytes log topic "${target.topic}" accepts (maxMessageBytes)`);
    }
    if (publish.qos === 0 && this.#pendingBytes + recordBytes > PENDING_BYTES_MAX) {
      throw new RefusedPublishError('backpressure', `QoS 0 publish on "${publish.topic}" dropped: ${this.#pendingBytes} bytes are already waiting for the log`);
    }

    const batchKey = `${target.topic}\u0000${partition}`;
    let batch = this.#pending.get(batchKey);
    if (batch !== undefined && (batch.records.length >= RECORDS_PER_BATCH_MAX || RECORD_BATCH_HEADER_BYTES + batch.bytes + recordBytes > limit)) {
      this.#flush(batchKey, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = this.#newBatch(target.topic, partition);
      this.#pending.set(batchKey, batch);
    }
    batch.records.push({ key, value, headers });
    batch.bytes += recordBytes;
    this.#pendingBytes += recordBytes;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // The rest of this read (and of other clients' reads in this turn) joins the batch.
      setImmediate(() => this.#flushAll());
    }
    return batch.done;
  }

  #newBatch(topic: string, partition: number): PendingBatch {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A batch of QoS 0 publishes has no waiter; its failure is logged in #flush.
    done.catch(() => {});
    return { topic, partition, records: [], bytes: 0, startedAt: process.hrtime.bigint(), done, resolve, reject };
  }

  #flushAll(): void {
    this.#flushScheduled = false;
    for (const [batchKey, batch] of this.#pending) this.#flush(batchKey, batch);
  }

  #flush(batchKey: string, batch: PendingBatch): void {
    this.#pending.delete(batchKey);
    let encoded: Buffer;
    try {
      encoded = encodeRecordBatch({ records: batch.records });
    } catch (error) {
      this.#settle(batch, error as Error);
      return;
    }
    const appending = this.#target.append(batch.topic, batch.partition, encoded).then(
      () => this.#settle(batch, null),
      (error: unknown) => this.#settle(batch, error instanceof Error ? error : new Error(String(error))),
    );
    this.#appending.add(appending);
    void appending.finally(() => this.#appending.delete(appending));
  }

  #settle(batch: PendingBatch, error: Error | null): void {
    this.#pendingBytes -= batch.bytes;
    if (error === null) {
      this.#metrics.appendLatency.observe(Number(process.hrtime.bigint() - batch.startedAt) / 1e9);
      batch.resolve();
    } else {
      this.#logger.error({ err: error, topic: batch.topic, partition: batch.partition, records: batch.records.length }, 'appending MQTT publishes to the log failed; QoS 1/2 publishers are not acknowledged and will retry');
      batch.reject(error);
    }
  }

  #createTopic(topic: string): Promise<void> {
    let creating = this.#creating.get(topic);
    if (creating === undefined) {
      creating = this.#target.createTopic(topic).then(
        () => {
          this.#creating.delete(topic);
          this.#logger.info({ topic }, 'created log topic for MQTT publishes');
        },
        (error: unknown) => {
          this.#creating.delete(topic);
          throw error;
        },
      );
      this.#creating.set(topic, creating);
    }
    return creating;
  }

  /** Waits for every batch already started. */
  async drain(): Promise<void> {
    this.#flushAll();
    await Promise.all([...this.#appending]);
  }
}

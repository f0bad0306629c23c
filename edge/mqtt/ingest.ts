// The durable publish path: an MQTT publish becomes a record in a log topic, and its
// acknowledgement waits until the record is durable.
//
// Publishes that arrive in the same turn of the event loop for the same partition are
// encoded into one RecordBatch and appended together, so a burst from many devices costs
// one batch header, one CRC and one place in the log's group commit, not one each. Within
// a partition, records keep the order their publishes arrived in.
import { RECORD_BATCH_HEADER_BYTES } from '../../shared/kafka/record-batch.ts';
import { TributaryError, isTributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';
import type { MessageProperties } from './message.ts';
import type { MqttMetrics } from './metrics.ts';
import { partitionForKey } from './partitioner.ts';
import { encodeMqttRecordBatch, MqttHeaders, MQTT_RECORD_FIXED_BYTES_MAX, type MqttRecord } from './record-encoder.ts';
import type { RouteTable, RouteTarget } from './routes.ts';
import { lastingUtf8, Utf8Cache } from './utf8-cache.ts';

export { MqttHeaders } from './record-encoder.ts';

/** Records in one batch; bounds the work of one append and the size of its batch. */
const RECORDS_PER_BATCH_MAX = 1_000;
/**
 * Bytes of record data waiting to become durable, across all partitions. Past it QoS 0
 * publishes are dropped (counted): QoS 0 promises at most once, and memory is finite.
 * QoS 1/2 publishes are bounded per client by mqtt.limits.maxInflightPerClient instead.
 */
const PENDING_BYTES_MAX = 32 * 1024 * 1024;
/** Client ids whose UTF-8 bytes are kept; past this many the cache starts afresh. */
const CLIENT_ID_CACHE_ENTRIES_MAX = 10_000;

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

/** Decodes Sparkplug B payloads into record values (edge/connectors/sparkplug), for routes that ask. */
export interface SparkplugShaper {
  shape(mqttTopic: string, payload: Buffer, records: 'per-payload' | 'per-metric'): Buffer[];
}

export interface MqttPublish {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
  /** MQTT 5: the properties forwarded to subscribers, which the record carries as headers. */
  properties?: MessageProperties;
  /** MQTT 5: the Message Expiry Interval as received, in seconds. */
  messageExpiryInterval?: number;
}

const HEADER_NAME_BYTES = {
  payloadFormat: Buffer.from(MqttHeaders.payloadFormat),
  messageExpiryInterval: Buffer.from(MqttHeaders.messageExpiryInterval),
  contentType: Buffer.from(MqttHeaders.contentType),
  responseTopic: Buffer.from(MqttHeaders.responseTopic),
  correlationData: Buffer.from(MqttHeaders.correlationData),
};

/**
 * The record headers of a publish's MQTT 5 properties: the broker's mqtt.* ones, then
 * the User Properties under their own names, in order (edge/mqtt/README.md).
 */
export function propertyHeaders(publish: MqttPublish): Array<[Buffer, Buffer]> | undefined {
  const properties = publish.properties;
  if (properties === undefined && publish.messageExpiryInterval === undefined) return undefined;
  const headers: Array<[Buffer, Buffer]> = [];
  if (properties?.payloadFormatIndicator !== undefined) headers.push([HEADER_NAME_BYTES.payloadFormat, Buffer.from(String(properties.payloadFormatIndicator))]);
  if (publish.messageExpiryInterval !== undefined) headers.push([HEADER_NAME_BYTES.messageExpiryInterval, Buffer.from(String(publish.messageExpiryInterval))]);
  if (properties?.contentType !== undefined) headers.push([HEADER_NAME_BYTES.contentType, Buffer.from(properties.contentType, 'utf8')]);
  if (properties?.responseTopic !== undefined) headers.push([HEADER_NAME_BYTES.responseTopic, Buffer.from(properties.responseTopic, 'utf8')]);
  if (properties?.correlationData !== undefined) headers.push([HEADER_NAME_BYTES.correlationData, properties.correlationData]);
  for (const [name, value] of properties?.userProperties ?? []) headers.push([Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')]);
  return headers;
}

interface PendingBatch {
  topic: string;
  partition: number;
  records: MqttRecord[];
  bytes: number;
  startedAt: bigint;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The UTF-8 bytes of a route target, derived once per target object. */
interface EncodedTarget {
  mqttTopic: Buffer;
  key: Buffer;
}

export class RefusedPublishError extends TributaryError {
  readonly reason: 'route-reject' | 'record-too-large' | 'backpressure' | 'topic-limit';
  constructor(reason: RefusedPublishError['reason'], message: string, details: Record<string, unknown> = {}) {
    super('MQTT_PUBLISH_REFUSED', message, { ...details, reason });
    this.name = 'RefusedPublishError';
    this.reason = reason;
  }
}

export class PublishIngest {
  readonly #target: IngestTarget;
  readonly #routes: RouteTable;
  readonly #metrics: MqttMetrics;
  readonly #logger: Logger;
  /** A failing log fails every batch; the line is written once per interval with a count (refusedPublishes counts each). */
  readonly #failures: RepeatedWarnings;
  readonly #pending = new Map<string, PendingBatch>();
  readonly #creating = new Map<string, Promise<void>>();
  /** Batches handed to the log and not yet durable. */
  readonly #appending = new Set<Promise<void>>();
  readonly #encodedTargets = new WeakMap<RouteTarget, EncodedTarget>();
  readonly #clientIds = new Utf8Cache(CLIENT_ID_CACHE_ENTRIES_MAX);
  readonly #sparkplug: SparkplugShaper | undefined;
  #pendingBytes = 0;
  #flushScheduled = false;
  readonly #flushAll = (): void => {
    this.#flushScheduled = false;
    for (const [batchKey, batch] of this.#pending) this.#flush(batchKey, batch);
  };

  constructor(target: IngestTarget, routes: RouteTable, metrics: MqttMetrics, logger: Logger, sparkplug?: SparkplugShaper) {
    this.#target = target;
    this.#failures = new RepeatedWarnings(logger);
    this.#sparkplug = sparkplug;
    this.#routes = routes;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Where a publish on `topic` goes, or null when the default route "reject" refuses it. */
  route(topic: string, clientId: string): RouteTarget | null {
    return this.#routes.resolve(topic, clientId);
  }

  /**
   * Appends the record of a publish to the log topic and key of `target` (from route()).
   * Resolves once it is durable; rejects with a RefusedPublishError, or the log's error.
   */
  append(target: RouteTarget, publish: MqttPublish, clientId: string): Promise<void> {
    const partitions = this.#target.partitionCount(target.topic);
    if (partitions === undefined) return this.#createTopic(target.topic).then(() => this.append(target, publish, clientId));

    let encoded = this.#encodedTargets.get(target);
    if (encoded === undefined) {
      // Kept as long as the route: packed apart from Node's shared pool (utf8-cache.ts).
      const mqttTopic = lastingUtf8(publish.topic);
      encoded = { mqttTopic, key: target.key === publish.topic ? mqttTopic : lastingUtf8(target.key) };
      this.#encodedTargets.set(target, encoded);
    }
    const payload = typeof publish.payload === 'string' ? Buffer.from(publish.payload, 'utf8') : publish.payload;
    // A Sparkplug B route makes the payload into one or more JSON records (edge/connectors/sparkplug).
    const values = target.sparkplug !== undefined && this.#sparkplug !== undefined ? this.#sparkplug.shape(publish.topic, payload, target.sparkplug) : [payload];
    const clientIdBytes = this.#clientIds.bytes(clientId);
    const extraHeaders = propertyHeaders(publish);
    // Each extra header: its name and value with a varint length prefix of at most five bytes each.
    let headerBytes = 0;
    if (extraHeaders !== undefined) for (const [name, headerValue] of extraHeaders) headerBytes += 10 + name.length + headerValue.length;
    // A record's bytes are these plus its value's: computed without a list per publish.
    const recordBytesBesideValue = MQTT_RECORD_FIXED_BYTES_MAX + encoded.key.length + encoded.mqttTopic.length + clientIdBytes.length + headerBytes;
    let recordBytes = 0;
    let largest = 0;
    for (const value of values) {
      const size = recordBytesBesideValue + value.length;
      recordBytes += size;
      if (size > largest) largest = size;
    }
    const limit = this.#target.maxBatchBytes(target.topic);
    if (largest + RECORD_BATCH_HEADER_BYTES > limit) {
      return Promise.reject(new RefusedPublishError('record-too-large', `a publish on "${publish.topic}" makes a record of about ${largest} bytes, over the ${limit} bytes log topic "${target.topic}" accepts (maxMessageBytes)`, { topic: target.topic, recordBytes: largest, limit }));
    }
    if (publish.qos === 0 && this.#pendingBytes + recordBytes > PENDING_BYTES_MAX) {
      return Promise.reject(new RefusedPublishError('backpressure', `QoS 0 publish on "${publish.topic}" dropped: ${this.#pendingBytes} bytes are already waiting for the log`, { pendingBytes: this.#pendingBytes }));
    }

    const partition = partitions === 1 ? 0 : partitionForKey(encoded.key, partitions);
    const batchKey = partition === 0 ? target.topic : `${target.topic}\u0000${partition}`;
    // The batch each record joined; a Sparkplug payload of many metrics may fill more than one.
    let done: Promise<void> | undefined;
    let moreDone: Promise<void>[] | undefined;
    for (let index = 0; index < values.length; index++) {
      let batch = this.#pending.get(batchKey);
      const value = values[index]!;
      const size = recordBytesBesideValue + value.length;
      if (batch !== undefined && (batch.records.length >= RECORDS_PER_BATCH_MAX || RECORD_BATCH_HEADER_BYTES + batch.bytes + size > limit)) {
        this.#flush(batchKey, batch);
        batch = undefined;
      }
      if (batch === undefined) {
        batch = this.#newBatch(target.topic, partition);
        this.#pending.set(batchKey, batch);
      }
      const record: MqttRecord = { key: encoded.key, value, topic: encoded.mqttTopic, qos: publish.qos, retain: publish.retain, clientId: clientIdBytes, timestampMs: Date.now() };
      if (extraHeaders !== undefined) record.extraHeaders = extraHeaders;
      batch.records.push(record);
      batch.bytes += size;
      if (done === undefined) done = batch.done;
      else if (batch.done !== done && !moreDone?.includes(batch.done)) (moreDone ??= []).push(batch.done);
    }
    this.#pendingBytes += recordBytes;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // The rest of this read (and of other clients' reads in this turn) joins the batch.
      setImmediate(this.#flushAll);
    }
    return moreDone === undefined ? done! : Promise.all([done!, ...moreDone]).then(() => {});
  }

  #newBatch(topic: string, partition: number): PendingBatch {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    // A batch of QoS 0 publishes has no waiter; its failure is logged in #settle.
    promise.catch(() => {});
    return { topic, partition, records: [], bytes: 0, startedAt: process.hrtime.bigint(), done: promise, resolve, reject };
  }

  #flush(batchKey: string, batch: PendingBatch): void {
    this.#pending.delete(batchKey);
    let encoded: Buffer;
    try {
      encoded = encodeMqttRecordBatch(batch.records);
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
      this.#failures.error(`append-failed:${isTributaryError(error) ? error.code : error.name}`, { err: error, topic: batch.topic, partition: batch.partition, records: batch.records.length }, 'appending MQTT publishes to the log failed; QoS 1/2 publishers are not acknowledged and will retry');
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
          // The store counted and logged the refusal (once per interval); the publisher is told why.
          if (isTributaryError(error, 'TOPIC_LIMIT_REACHED')) throw new RefusedPublishError('topic-limit', `log topic "${topic}" for this publish cannot be created: ${error.message}`, { topic });
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

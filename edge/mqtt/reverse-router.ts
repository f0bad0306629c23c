// Reverse routes: records appended to a log topic (by a Kafka client, or pulled down from
// the cloud by the mirror) are published to MQTT subscribers. One tailer per partition
// follows the log: it sleeps in waitForData until the last stable offset moves (no polling),
// reads the new batches, publishes each record to the MQTT broker with the route's QoS,
// and then records its position in SQLite. A record's headers reach MQTT 5 subscribers
// as properties: the mqtt.* ones as the properties they name, the others as User
// Properties (record-properties.ts).
//
// Delivery is at least once: the position is stored after the records are published (and,
// for persistent sessions, queued durably by the session store), so a crash between the two
// publishes the last records again after the restart. Records that came from MQTT (they
// carry the mqtt.* headers) are skipped: their subscribers had them live already.
import { AbortedBatchFilter } from '../../shared/kafka/read-committed.ts';
import { isUtf8 } from 'node:buffer';
import { decodeRecords, readBatchHeader, RECORD_BATCH_HEADER_BYTES, type DecodedRecord } from '../../shared/kafka/record-batch.ts';
import { isTributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Database } from '../../shared/sqlite.ts';
import { MqttHeaders } from './ingest.ts';
import type { Broker } from './broker/broker.ts';
import { messageFromRecord } from './record-properties.ts';
import type { MqttLogStore } from './log-adapter.ts';
import type { DurableEvent } from '../storage/index.ts';
import type { MqttMetrics } from './metrics.ts';
import type { ReverseRoute } from './routes.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { topicNameProblem } from './topic-filter.ts';

/** Bytes read from the log at a time; bounds the memory of one tailer. */
const READ_BYTES_MAX = 1024 * 1024;
/**
 * Longest single wait for new data. The wait ends early when data arrives; this only
 * bounds how long a tailer sleeps before it looks at its partition again.
 */
const WAIT_TIMEOUT_MS = 60_000;
/** Pause after the log refused a wait at once (too many waiters), before asking again. */
const WAIT_REFUSED_BACKOFF_MS = 100;
/** Pause after a failed read before trying again; the failure is logged each time. */
const READ_FAILURE_BACKOFF_MS = 1_000;

const POSITIONS_SCHEMA = `CREATE TABLE IF NOT EXISTS mqtt_reverse_positions (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition))`;

export interface ReverseRouterOptions {
  routes: ReverseRoute[];
  store: MqttLogStore;
  broker: Broker;
  database: Database;
  writes: SqliteWriteQueue;
  metrics: MqttMetrics;
  logger: Logger;
  maxTopicLevels: number;
}

export class ReverseRouter {
  readonly #options: ReverseRouterOptions;
  readonly #abort = new AbortController();
  readonly #tailers: Promise<void>[] = [];
  readonly #running = new Set<string>();
  /** Stored positions, read once at start. */
  #positions = new Map<string, bigint>();
  /**
   * Starts a tailer for a partition added while running (Kafka CreatePartitions) at its
   * first durable record, following it from its start: all of it came after the route was on.
   */
  readonly #onDurable = (event: DurableEvent): void => {
    // Every append of every topic passes here: other topics are one map lookup.
    const routes = this.#routesByTopic.get(event.topic);
    if (routes === undefined || this.#running.has(`${event.topic}\u0000${event.partition}`)) return;
    for (const route of routes) this.#startPartitions(route, true);
  };
  readonly #routesByTopic = new Map<string, ReverseRoute[]>();

  constructor(options: ReverseRouterOptions) {
    this.#options = options;
    for (const route of options.routes) this.#routesByTopic.set(route.topic, [...(this.#routesByTopic.get(route.topic) ?? []), route]);
  }

  async start(): Promise<void> {
    const { database, store, routes, logger } = this.#options;
    if (routes.length === 0) return;
    await database.exec(POSITIONS_SCHEMA);
    const rows = await database.all<{ topic: string; partition: number; next_offset: number }>('SELECT topic, partition, next_offset FROM mqtt_reverse_positions');
    this.#positions = new Map(rows.map((row) => [`${row.topic}\u0000${row.partition}`, BigInt(row.next_offset)]));
    for (const route of routes) {
      let created = false;
      if (store.describeTopic(route.topic) === undefined) {
        await store.createTopic(route.topic);
        created = true;
        logger.info({ topic: route.topic }, 'created reverse-routed log topic');
      }
      this.#startPartitions(route, created);
    }
    store.on('durable', this.#onDurable);
  }

  #startPartitions(route: ReverseRoute, fromStart: boolean): void {
    const partitions = this.#options.store.describeTopic(route.topic)?.partitions ?? 0;
    for (let partition = 0; partition < partitions; partition++) {
      const name = `${route.topic}\u0000${partition}`;
      if (this.#running.has(name)) continue;
      this.#running.add(name);
      this.#tailers.push(this.#tail(route, partition, this.#positions.get(name), fromStart));
    }
  }

  async #tail(route: ReverseRoute, partition: number, stored: bigint | undefined, fromStart: boolean): Promise<void> {
    const { store, logger } = this.#options;
    const signal = this.#abort.signal;
    const log = store.partition(route.topic, partition);
    // Without a stored position a new topic, or a partition added while running, is followed
    // from its start, and an existing one from its end: switching a route on must not
    // replay a topic's whole history.
    let position = stored ?? (fromStart ? log.logStartOffset : log.highWatermark);
    if (stored === undefined) await this.#savePosition(route.topic, partition, position);
    logger.info({ topic: route.topic, partition, from: position }, 'reverse route following log partition');
    while (!signal.aborted) {
      try {
        if (position < log.logStartOffset) {
          logger.warn({ topic: route.topic, partition, position, logStartOffset: log.logStartOffset }, 'reverse route: records before the log start were removed by retention before they were published to MQTT');
          position = log.logStartOffset;
        }
        // Committed data only (KIP-98): nothing past the last stable offset, no aborted transaction.
        if (position >= log.lastStableOffset) {
          const startedAt = Date.now();
          const arrived = await log.waitForData(position, WAIT_TIMEOUT_MS, signal, true);
          if (!arrived && Date.now() - startedAt < WAIT_REFUSED_BACKOFF_MS && !signal.aborted) await sleep(WAIT_REFUSED_BACKOFF_MS, signal);
          continue;
        }
        const { batches, abortedTransactions } = await log.read(position, READ_BYTES_MAX, { committedOnly: true });
        const next = await this.#publishBatches(route, partition, batches, position, new AbortedBatchFilter(abortedTransactions ?? []));
        if (next > position) {
          position = next;
          await this.#savePosition(route.topic, partition, position);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (isTributaryError(error, 'STORAGE_CLOSED') || isTributaryError(error, 'TOPIC_NOT_FOUND')) {
          logger.info({ topic: route.topic, partition, reason: (error as Error).message }, 'reverse route stopped following log partition');
          break;
        }
        logger.error({ err: error, topic: route.topic, partition, position }, 'reverse route: reading the log failed; retrying');
        await sleep(READ_FAILURE_BACKOFF_MS, signal);
      }
    }
  }

  /** Publishes the records at or after `from` in `batches`; returns the next offset to read. */
  async #publishBatches(route: ReverseRoute, partition: number, batches: Buffer, from: bigint, aborted: AbortedBatchFilter): Promise<bigint> {
    const { metrics, logger } = this.#options;
    let next = from;
    let position = 0;
    while (position + RECORD_BATCH_HEADER_BYTES <= batches.length) {
      const header = readBatchHeader(batches, position);
      const end = position + header.sizeBytes;
      if (end > batches.length) break;
      if (header.lastOffset >= from && !aborted.skips(header, batches)) {
        let records: DecodedRecord[];
        try {
          records = decodeRecords(batches, position);
        } catch (error) {
          metrics.reverseSkipped.labels('undecodable').inc(header.recordCount);
          logger.error({ err: error, topic: route.topic, partition, baseOffset: header.baseOffset }, 'reverse route: a record batch cannot be decoded; its records are not published to MQTT');
          records = [];
        }
        for (const record of records) {
          if (record.offset < from) continue;
          await this.#publish(route, partition, record);
        }
      }
      if (header.lastOffset + 1n > next) next = header.lastOffset + 1n;
      position = end;
    }
    return next;
  }

  async #publish(route: ReverseRoute, partition: number, record: DecodedRecord): Promise<void> {
    const { broker, metrics, logger, maxTopicLevels } = this.#options;
    if (record.headers.some((header) => header.key === MqttHeaders.topic)) {
      metrics.reverseSkipped.labels('from-mqtt').inc();
      return;
    }
    if (record.key !== null && !isUtf8(record.key)) {
      metrics.reverseSkipped.labels('invalid-topic').inc();
      logger.warn({ topic: route.topic, partition, offset: record.offset }, 'reverse route: record key is not UTF-8; not published to MQTT');
      return;
    }
    const mqttTopic = route.mqttTopic(record.key === null ? null : record.key.toString('utf8'));
    const problem = mqttTopic === null ? 'the record has no key' : topicNameProblem(mqttTopic, maxTopicLevels);
    if (mqttTopic === null || problem !== null) {
      metrics.reverseSkipped.labels('invalid-topic').inc();
      logger.warn({ topic: route.topic, partition, offset: record.offset }, `reverse route: record not published to MQTT: ${problem}`);
      return;
    }
    const { message, skippedHeaders } = messageFromRecord(record, mqttTopic, route.qos);
    if (skippedHeaders > 0) {
      metrics.reverseSkippedHeaders.inc(skippedHeaders);
      logger.warn({ topic: route.topic, partition, offset: record.offset, skippedHeaders }, 'reverse route: headers whose name or value is not UTF-8 (or whose mqtt.* value is invalid) are not sent as MQTT properties');
    }
    // [MQTT-3.3.2-5] A command whose Message Expiry Interval ran out in the log is not delivered.
    if (message.expiresAtMs !== undefined && message.expiresAtMs <= Date.now()) {
      metrics.reverseSkipped.labels('expired').inc();
      return;
    }
    await broker.publishFromLog(message);
    metrics.reversePublished.labels(route.topic).inc();
  }

  #savePosition(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    return this.#options.writes.durable('INSERT OR REPLACE INTO mqtt_reverse_positions (topic, partition, next_offset) VALUES (?, ?, ?)', [topic, partition, nextOffset]);
  }

  async close(): Promise<void> {
    this.#options.store.off('durable', this.#onDurable);
    this.#abort.abort(new Error('the MQTT front end is stopping'));
    await Promise.allSettled(this.#tailers);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}


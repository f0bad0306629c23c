// Where a source connector's records go, and how its position survives a crash.
//
// A source's position (the byte offset in a tailed file, a Modbus poll sequence, the
// source timestamps an OPC UA server has sent) travels inside the log, in a header of the
// last record of each batch it appends. A record batch is appended whole or not at all
// (recovery truncates a torn batch, edge/storage), so a record and the position after it
// become durable together: this is the "outputs and input positions are committed
// together" of the design, with the log itself as the transaction.
//
// Reading the whole topic back at every start would cost too much, so a checkpoint file
// (the position and the log offset it is good up to) is written beside, at most once a
// second. At start the position is the checkpoint's, advanced by every record of this
// connector appended after it: those the checkpoint had not caught up with before a
// crash. The checkpoint may lag; it is never ahead of the log under the default flush
// policy (always), because it is written only after the records it covers are durable.
import { join } from 'node:path';
import { TributaryError } from '../../../shared/errors.ts';
import { encodeRecordBatch, RECORD_BATCH_HEADER_BYTES, type RecordHeaderInput } from '../../../shared/kafka/record-batch.ts';
import type { Logger } from '../../../shared/logger.ts';
import { partitionForKey } from '../../mqtt/index.ts';
import { readJsonFile, writeJsonDurably } from './checkpoint-file.ts';
import type { ConnectorLog } from './log-access.ts';
import type { ConnectorMeter } from './metrics.ts';

/** Header of the last record of each appended batch: the position after that batch, as JSON. */
export const POSITION_HEADER = 'connector.position';
/** Checkpoints are written at most this often; between them the records themselves carry the position. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** Records in one appended batch; bounds the work of one append (as the MQTT ingest does). */
export const RECORDS_PER_BATCH_MAX = 1000;
/** Records and bytes read per step while scanning for records appended after the checkpoint. */
const SCAN_RECORDS_PER_READ = 1000;
const SCAN_BYTES_PER_READ = 4 * 1024 * 1024;
/** Without a checkpoint (first start, or the file was lost), only this many of the partition's newest records are looked at. */
export const NO_CHECKPOINT_SCAN_RECORDS_MAX = 100_000n;
/** Bytes a record adds to its key, value and headers in a batch: lengths, deltas, attributes (varints at their largest). */
const RECORD_OVERHEAD_BYTES = 32;

export interface SourceRecord<P> {
  value: Buffer | string | null;
  headers?: RecordHeaderInput[];
  /** Defaults to the time of the append. */
  timestampMs?: number;
  /** The position once this record is in the log (for a file: the offset after its line). */
  position?: P;
}

/** How positions add up; a file's or a poll sequence's newest replaces the last, an OPC UA source's are merged per node. */
export type CombinePositions<P> = (position: P | undefined, next: P) => P;

export const replacePosition = <P>(_position: P | undefined, next: P): P => next;

interface Checkpoint<P> {
  version: 1;
  topic: string;
  partition: number;
  /** Every record of this connector below this offset is reflected in `position`. */
  nextOffset: string;
  position: P | undefined;
}

export interface SourceOutputOptions<P> {
  connector: string;
  topic: string;
  log: ConnectorLog;
  /** Directory of the connector's own files. */
  directory: string;
  combine: CombinePositions<P>;
  logger: Logger;
  meter: ConnectorMeter;
}

export class SourceOutput<P> {
  readonly #options: SourceOutputOptions<P>;
  readonly #key: Buffer;
  readonly #checkpointPath: string;
  #position: P | undefined;
  #partition = 0;
  #nextOffset = 0n;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #checkpointWrite: Promise<void> = Promise.resolve();
  #checkpointedOffset = -1n;

  constructor(options: SourceOutputOptions<P>) {
    this.#options = options;
    this.#key = Buffer.from(options.connector, 'utf8');
    this.#checkpointPath = join(options.directory, 'source-position.json');
  }

  /** The position of the newest durable record: where the source resumes. */
  get position(): P | undefined {
    return this.#position;
  }

  /**
   * Finds the position the log holds: the checkpoint's, advanced by this connector's
   * records appended after it. Run before a session starts; it reads the partition up to
   * its high watermark as it is now.
   */
  async recover(): Promise<P | undefined> {
    const { topic, log, logger, connector } = this.#options;
    const layout = await log.ensureTopic(topic);
    this.#partition = partitionForKey(this.#key, layout.partitions);
    const checkpoint = await this.#readCheckpoint();
    let scanPartition = this.#partition;
    let from: bigint;
    if (checkpoint !== undefined) {
      this.#position = checkpoint.position;
      // The partition of the connector's key moves when partitions are added; its records up to now are where they were.
      scanPartition = checkpoint.partition < layout.partitions ? checkpoint.partition : this.#partition;
      from = BigInt(checkpoint.nextOffset);
    } else {
      const end = log.partition(topic, scanPartition).highWatermark;
      from = end > NO_CHECKPOINT_SCAN_RECORDS_MAX ? end - NO_CHECKPOINT_SCAN_RECORDS_MAX : 0n;
    }
    const partition = log.partition(topic, scanPartition);
    const end = partition.highWatermark;
    if (from > end) {
      logger.warn({ connector, topic, partition: scanPartition, checkpointOffset: from, highWatermark: end }, 'the log ends before the connector\'s checkpoint (records lost under flush policy interval or os, or the topic was recreated); resuming from the checkpoint\'s position');
    }
    if (from < partition.logStartOffset) from = partition.logStartOffset;
    let found = 0;
    for (let offset = from; offset < end;) {
      const records = await log.read(topic, scanPartition, offset, SCAN_RECORDS_PER_READ, SCAN_BYTES_PER_READ);
      if (records.length === 0) break;
      for (const record of records) {
        if (record.key === null || !this.#key.equals(record.key)) continue;
        const header = record.headers.find((entry) => entry.key !== null && Buffer.from(entry.key).toString('utf8') === POSITION_HEADER);
        if (header?.value == null) continue;
        this.#position = this.#options.combine(this.#position, JSON.parse(Buffer.from(header.value).toString('utf8')) as P);
        found += 1;
      }
      offset = records[records.length - 1]!.offset + 1n;
    }
    this.#nextOffset = this.#partition === scanPartition ? end : log.partition(topic, this.#partition).highWatermark;
    if (found > 0) logger.info({ connector, topic, partition: scanPartition, from, to: end, batches: found }, 'position recovered from records appended after the last checkpoint');
    await this.#writeCheckpoint();
    return this.#position;
  }

  /**
   * Appends records as one or more batches, each durable before the next is written, the
   * last record of each carrying the position after it. A record larger than the topic
   * accepts is skipped (logged and counted), and the position moves past it.
   */
  async append(records: readonly SourceRecord<P>[]): Promise<void> {
    const { log, topic, connector, logger, meter } = this.#options;
    const layout = log.describeTopic(topic) ?? (await log.ensureTopic(topic));
    const room = layout.maxBatchBytes - RECORD_BATCH_HEADER_BYTES;
    let chunk: SourceRecord<P>[] = [];
    let chunkBytes = 0;
    let chunkPosition: P | undefined;
    const flush = async (): Promise<void> => {
      // Only skipped records: the position moves past them without an append (a crash skips them again).
      if (chunk.length > 0) await this.#appendChunk(chunk, chunkPosition);
      else if (chunkPosition !== undefined) this.#position = chunkPosition;
      chunk = [];
      chunkBytes = 0;
      chunkPosition = undefined;
    };
    for (const record of records) {
      const positionBytes = record.position === undefined ? 0 : POSITION_HEADER.length + JSON.stringify(record.position).length;
      const bytes = recordBytes(this.#key, record) + positionBytes;
      if (bytes <= room && (chunk.length >= RECORDS_PER_BATCH_MAX || chunkBytes + bytes > room)) await flush();
      if (bytes > room) {
        meter.error('record-too-large');
        logger.warn({ connector, topic, bytes, maxMessageBytes: layout.maxBatchBytes }, 'a record larger than the topic accepts (maxMessageBytes) was skipped');
      } else {
        chunk.push(record);
        chunkBytes += bytes;
      }
      if (record.position !== undefined) chunkPosition = this.#options.combine(chunkPosition ?? this.#position, record.position);
    }
    await flush();
  }

  async #appendChunk(records: SourceRecord<P>[], position: P | undefined): Promise<void> {
    const { log, topic } = this.#options;
    const last = records.length - 1;
    const batch = encodeRecordBatch({
      records: records.map((record, index) => ({
        key: this.#key,
        value: record.value,
        timestampMs: record.timestampMs,
        headers: index === last && position !== undefined ? [...(record.headers ?? []), { key: POSITION_HEADER, value: JSON.stringify(position) }] : record.headers,
      })),
    });
    let result: { lastOffset: bigint };
    try {
      result = await log.partition(topic, this.#partition).append(batch);
    } catch (error) {
      this.#options.meter.error('append');
      throw error;
    }
    if (position !== undefined) this.#position = position;
    this.#nextOffset = result.lastOffset + 1n;
    this.#options.meter.records(records.length);
    this.#scheduleCheckpoint();
  }

  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer !== undefined) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      void this.#writeCheckpoint().catch((error: unknown) => {
        this.#options.meter.error('checkpoint');
        this.#options.logger.warn({ connector: this.#options.connector, err: error }, 'writing the connector\'s checkpoint failed; its position stays in the log records and is recovered from there');
      });
    }, CHECKPOINT_INTERVAL_MS);
  }

  /** Writes the checkpoint now if it is behind; at a clean stop. */
  async close(): Promise<void> {
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    await this.#writeCheckpoint();
  }

  #writeCheckpoint(): Promise<void> {
    const write = this.#checkpointWrite.then(async () => {
      if (this.#checkpointedOffset === this.#nextOffset) return;
      const nextOffset = this.#nextOffset;
      const checkpoint: Checkpoint<P> = { version: 1, topic: this.#options.topic, partition: this.#partition, nextOffset: nextOffset.toString(), position: this.#position };
      await writeJsonDurably(this.#checkpointPath, checkpoint);
      this.#checkpointedOffset = nextOffset;
    });
    this.#checkpointWrite = write.catch(() => {});
    return write;
  }

  async #readCheckpoint(): Promise<Checkpoint<P> | undefined> {
    const read = await readJsonFile(this.#checkpointPath);
    if (read === undefined) return undefined;
    const { connector, topic, logger } = this.#options;
    const checkpoint = 'value' in read ? (read.value as Partial<Checkpoint<P>>) : undefined;
    if (checkpoint === undefined || checkpoint.version !== 1 || typeof checkpoint.nextOffset !== 'string' || !/^\d+$/.test(checkpoint.nextOffset) || typeof checkpoint.partition !== 'number') {
      // The log still holds the position: the newest records are scanned as on a first start.
      logger.warn({ connector, problem: 'problem' in read ? read.problem : 'unexpected contents' }, 'the connector\'s checkpoint is unusable; the position is looked for in the newest records of its topic');
      return undefined;
    }
    if (checkpoint.topic !== topic) {
      throw new TributaryError('CONNECTOR_POSITION_FAILED', `connector ${connector}: its checkpoint (${this.#checkpointPath}) belongs to topic ${checkpoint.topic}, not ${topic}; remove the file to start afresh on ${topic}`, { connector });
    }
    return checkpoint as Checkpoint<P>;
  }
}

function recordBytes(key: Buffer, record: SourceRecord<unknown>): number {
  const value = record.value === null ? 0 : typeof record.value === 'string' ? Buffer.byteLength(record.value) : record.value.length;
  let headers = 0;
  for (const header of record.headers ?? []) {
    const headerValue = header.value === null ? 0 : typeof header.value === 'string' ? Buffer.byteLength(header.value) : header.value.length;
    headers += Buffer.byteLength(header.key) + headerValue + 10;
  }
  return RECORD_OVERHEAD_BYTES + key.length + value + headers;
}

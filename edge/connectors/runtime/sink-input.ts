// Where a sink connector's records come from, and how its position survives a crash.
//
// A sink reads every partition of its topic straight from the log store and keeps its
// position as the committed offsets of a consumer group, connect-<name> (as Kafka
// Connect names its sink groups): durable in the group coordinator's database, and
// visible to any Kafka tool (`tributary groups describe connect-webhook` shows its lag).
// A sink commits only what its peer has taken, so after a crash it delivers again from
// the last commit: at least once, and exactly once where the peer can tell a repeat
// (the file sink truncates to the length it committed with the offsets; the HTTP
// receiver sees the same record coordinates again).
import { TributaryError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { ConnectorLog, GroupOffsetStore, RecordData } from './log-access.ts';
import type { ConnectorMeter } from './metrics.ts';

/** Consumer group of a sink: Kafka Connect's name for it. */
export const sinkGroupId = (connector: string): string => `connect-${connector}`;

export interface SinkBatch {
  partition: number;
  records: RecordData[];
  /** The offset after the last record: the position to commit once the peer has them. */
  nextOffset: bigint;
}

export interface SinkInputOptions {
  connector: string;
  topic: string;
  startAt: 'earliest' | 'latest';
  log: ConnectorLog;
  offsets: GroupOffsetStore;
  logger: Logger;
  meter: ConnectorMeter;
}

export class SinkInput {
  readonly #options: SinkInputOptions;
  readonly group: string;
  /** Next offset to read, per partition. */
  readonly #reading = new Map<number, bigint>();
  /** Durable position (committed offset), per partition. */
  readonly #committed = new Map<number, bigint>();
  /** Metadata committed with the offsets (a file sink's file length), as read at open. */
  #metadata: string | undefined;
  #nextPartition = 0;

  constructor(options: SinkInputOptions) {
    this.#options = options;
    this.group = sinkGroupId(options.connector);
    options.meter.lag(() => this.lag());
  }

  /** Metadata the sink committed with its offsets (the same on every partition), undefined when none. */
  get committedMetadata(): string | undefined {
    return this.#metadata;
  }

  /** Reads the committed positions (or starts as startAt says) and rewinds reading to them. */
  async open(): Promise<void> {
    const { topic, log, offsets } = this.#options;
    const { partitions } = await log.ensureTopic(topic);
    const fetched = offsets.fetchOffsets({ groupId: this.group, topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, index) => index) }] });
    if (fetched.errorCode !== 0) throw new TributaryError('CONNECTOR_POSITION_FAILED', `connector ${this.#options.connector}: the offsets of group ${this.group} cannot be read (Kafka error ${fetched.errorCode})`, { group: this.group });
    this.#metadata = undefined;
    for (const entry of fetched.topics[0]?.partitions ?? []) {
      if (entry.committedOffset >= 0n) {
        this.#committed.set(entry.partitionIndex, entry.committedOffset);
        if (entry.metadata) this.#metadata = entry.metadata;
      }
    }
    this.#reading.clear();
    for (let partition = 0; partition < partitions; partition += 1) this.#reading.set(partition, this.#startOf(partition));
  }

  #startOf(partition: number): bigint {
    const committed = this.#committed.get(partition);
    if (committed !== undefined) return committed;
    const log = this.#options.log.partition(this.#options.topic, partition);
    return this.#options.startAt === 'latest' ? log.highWatermark : log.logStartOffset;
  }

  /**
   * The next records of one partition (partitions taken in turn), at most `maxRecords`
   * and about `maxBytes`; waits up to `waitMs` for records to arrive, then answers
   * undefined. Aborting `signal` ends the wait.
   */
  async next(maxRecords: number, maxBytes: number, waitMs: number, signal: AbortSignal): Promise<SinkBatch | undefined> {
    const { topic, log } = this.#options;
    const partitions = this.#growPartitions();
    for (let tried = 0; tried < partitions; tried += 1) {
      const partition = (this.#nextPartition + tried) % partitions;
      const position = this.#skipLost(partition);
      if (position >= log.partition(topic, partition).highWatermark) continue;
      const records = await log.read(topic, partition, position, maxRecords, maxBytes);
      if (records.length === 0) continue;
      this.#nextPartition = (partition + 1) % partitions;
      const nextOffset = records[records.length - 1]!.offset + 1n;
      this.#reading.set(partition, nextOffset);
      return { partition, records, nextOffset };
    }
    if (waitMs > 0 && !signal.aborted) await this.#waitForAny(partitions, waitMs, signal);
    return undefined;
  }

  /** More records of `partition` after those already read, without waiting: a batch that lingers for more. */
  async more(partition: number, maxRecords: number, maxBytes: number): Promise<RecordData[]> {
    const { topic, log } = this.#options;
    const position = this.#reading.get(partition)!;
    if (maxRecords <= 0 || maxBytes <= 0 || position >= log.partition(topic, partition).highWatermark) return [];
    const records = await log.read(topic, partition, position, maxRecords, maxBytes);
    if (records.length > 0) this.#reading.set(partition, records[records.length - 1]!.offset + 1n);
    return records;
  }

  /** Records below the log start were removed by retention before the sink delivered them: counted and logged, then skipped. */
  #skipLost(partition: number): bigint {
    const { topic, log, logger, meter, connector } = this.#options;
    const position = this.#reading.get(partition)!;
    const start = log.partition(topic, partition).logStartOffset;
    if (position >= start) return position;
    const lost = start - position;
    meter.error('records-lost');
    logger.error({ connector, topic, partition, from: position, to: start, records: Number(lost) }, 'records were deleted by retention before the sink delivered them; delivery goes on from the oldest record kept');
    this.#reading.set(partition, start);
    return start;
  }

  #growPartitions(): number {
    const partitions = this.#options.log.describeTopic(this.#options.topic)?.partitions ?? this.#reading.size;
    // Partitions added to the topic are read from their beginning.
    for (let partition = this.#reading.size; partition < partitions; partition += 1) this.#reading.set(partition, this.#committed.get(partition) ?? 0n);
    return this.#reading.size;
  }

  async #waitForAny(partitions: number, waitMs: number, signal: AbortSignal): Promise<void> {
    const { topic, log } = this.#options;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race(Array.from({ length: partitions }, (_, partition) => log.partition(topic, partition).waitForData(this.#reading.get(partition)!, waitMs, controller.signal)));
    } finally {
      controller.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Commits positions (and the sink's metadata) durably; a partition not named keeps its position. */
  async commit(positions: ReadonlyMap<number, bigint>, metadata?: string): Promise<void> {
    const { connector, topic, offsets } = this.#options;
    const partitions = metadata === undefined ? [...positions.keys()] : [...this.#reading.keys()];
    if (partitions.length === 0) return;
    const entries = partitions.map((partition) => ({
      partitionIndex: partition,
      committedOffset: positions.get(partition) ?? this.#committed.get(partition) ?? this.#startOf(partition),
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: metadata ?? null,
    }));
    const response = await offsets.commitOffsets({ groupId: this.group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: topic, partitions: entries }] });
    const failed = response.topics.flatMap((answer) => answer.partitions.filter((partition) => partition.errorCode !== 0).map((partition) => `${topic}-${partition.partitionIndex}: Kafka error ${partition.errorCode}`));
    if (failed.length > 0) throw new TributaryError('CONNECTOR_POSITION_FAILED', `connector ${connector}: committing the position of group ${this.group} failed for ${failed.join(', ')}`, { group: this.group });
    for (const entry of entries) this.#committed.set(entry.partitionIndex, entry.committedOffset);
    if (metadata !== undefined) this.#metadata = metadata;
  }

  /** Records of the topic not yet delivered (committed), over every partition. */
  lag(): number {
    const { topic, log } = this.#options;
    let lag = 0n;
    for (const partition of this.#reading.keys()) {
      const end = log.partition(topic, partition).highWatermark;
      const position = this.#committed.get(partition) ?? this.#startOf(partition);
      if (end > position) lag += end - position;
    }
    return Number(lag);
  }
}

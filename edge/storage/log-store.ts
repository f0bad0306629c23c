// The log store: topics of partitioned, segmented logs on local flash.
//
// Layout under the data directory:
//   meta/topics.sqlite                 topic names, ids, partition counts, setting overrides
//   log/<topic>-<partition>/           one directory per partition:
//     00000000000000000000.log         segments named by base offset
//     00000000000000000000.index       sparse offset index
//     00000000000000000000.timeindex   sparse time index
//     00000000000000004242.snapshot    idempotent producer state at that offset
//     recovery-checkpoint              how far the log is known good
//     partition.metadata               the topic id the directory belongs to
//     log-start-offset                 where DeleteRecords moved the log start, when it did
//   log/<topic>-<partition>.<id>-delete/  a deleted topic's directory, removed at the next start
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { Registry } from 'prom-client';
import type { StorageConfig, TopicConfig, TopicOverride } from '../../shared/config/topic-config.ts';
import { DEFAULT_TOPIC_LIMITS, resolveTopicConfig, type TopicLimits } from '../../shared/config/topic-settings.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';
import { readPartitionMetadata, writePartitionMetadata } from './checkpoint.ts';
import { FileLayer, type FaultInjector } from './file-io.ts';
import { GroupCommitter } from './group-commit.ts';
import { StorageMetrics } from './metrics.ts';
import { PartitionLog } from './partition-log.ts';
import type { PartitionContext } from './partition-state.ts';
import { recoverPartition, type RecoveryContext } from './recovery.ts';
import { enforceRetention } from './retention.ts';
import { LogCleaner, type CleanerRunReport } from './compaction/log-cleaner.ts';
import { createSegmentCaches, type SegmentCaches } from './segment-cache.ts';
import { PARTITIONS_PER_TOPIC_MAX, TopicCatalog, validateTopicOverride, type TopicRow } from './topic-catalog.ts';
import { validateTopicName } from '../../shared/kafka/topic-name.ts';
import type { EvictedSegment, EvictionReport, PartitionRecovery, RecoveryReport, TopicDescription } from './types.ts';

const META_DIRECTORY = 'meta';
const LOG_DIRECTORY = 'log';
const CATALOG_FILE = 'topics.sqlite';
/** Suffix of a deleted topic's partition directories, as Kafka names them. */
const DELETED_SUFFIX = '-delete';
/**
 * Partitions created (createTopics), recovered (open) or closed (close) at once: enough to keep Node's four
 * file-system threads busy and let the file system commit syncs together, few enough to
 * bound the descriptors and memory in flight.
 */
const CONCURRENT_PARTITION_OPENS = 16;
/** Suffix given to a directory found where a new topic's partition goes; kept, not deleted, in case it holds data someone wants. */
const ORPHANED_SUFFIX = '-orphaned';

export interface LogStoreOptions {
  dataDir: string;
  logger: Logger;
  registry?: Registry;
  storage: StorageConfig;
  topicDefaults: TopicConfig;
  /** topics.maxTopics and topics.maxPartitions; the configuration's defaults when not given. */
  topicLimits?: TopicLimits;
  /** How far a mirror has delivered a partition (the next offset it will send); undefined when the partition is not mirrored. */
  deliveredOffset?: (topic: string, partition: number) => bigint | undefined;
  /** Fault injection for tests: consulted before every file operation. */
  fileFaults?: FaultInjector;
  /** The file layer to use instead of a new one (fileFaults is then ignored): for tests that record every operation the store makes. */
  fileLayer?: FileLayer;
  /** The compaction key map's size; CLEANER_KEY_MAP_BYTES_MAX unless a test wants a partial pass. */
  cleanerKeyMapBytes?: number;
}

export interface DurableEvent {
  topic: string;
  partition: number;
  highWatermark: bigint;
}

interface TopicState {
  name: string;
  id: string;
  overrides: TopicOverride;
  config: TopicConfig;
  partitions: PartitionLog[];
}

/**
 * Emits 'durable' ({ topic, partition, highWatermark }) whenever a partition's high
 * watermark advances, and 'evicted' (EvictedSegment) for each segment retention deletes.
 */
export class LogStore extends EventEmitter<{ durable: [DurableEvent]; evicted: [EvictedSegment] }> {
  readonly recoveryReport: RecoveryReport;
  readonly dataDir: string;
  /** The directory of the partition directories (Kafka's log.dirs). */
  readonly logDirectory: string;
  readonly #options: LogStoreOptions;
  readonly #files: FileLayer;
  readonly #catalog: TopicCatalog;
  readonly #metrics: StorageMetrics;
  readonly #committer: GroupCommitter;
  readonly #caches: SegmentCaches;
  readonly #failures: RepeatedWarnings;
  readonly #topics = new Map<string, TopicState>();
  readonly #logDirectory: string;
  #cron: ScheduledTask | undefined;
  readonly #cleaner: LogCleaner;
  #cleanerTimer: NodeJS.Timeout | undefined;
  #accepting = true;
  #closing: Promise<void> | undefined;
  #adminQueue: Promise<unknown> = Promise.resolve();
  #retention: Promise<EvictionReport> | undefined;
  #retentionAgain = false;
  /** Disk use as of the last retention run plus bytes written since; checked against the budget after each group. */
  #usageEstimate = 0;

  private constructor(options: LogStoreOptions, files: FileLayer, catalog: TopicCatalog, registry: Registry) {
    super();
    this.#options = options;
    this.dataDir = options.dataDir;
    this.#files = files;
    this.#catalog = catalog;
    this.#logDirectory = join(options.dataDir, LOG_DIRECTORY);
    this.logDirectory = this.#logDirectory;
    this.#failures = new RepeatedWarnings(options.logger);
    this.#metrics = new StorageMetrics(registry, {
      segmentsByTopic: () => new Map([...this.#topics.values()].map((topic) => [topic.name, topic.partitions.reduce((sum, partition) => sum + partition.segments.length, 0)])),
      diskUsageBytes: () => this.diskUsageBytes(),
      openSegmentFiles: () => this.#caches.files.size,
      topics: () => this.#topics.size,
      partitions: () => this.#partitionCount(),
    });
    this.#caches = createSegmentCaches(files, options.storage.maxOpenSegmentFiles, () => this.#metrics.segmentFilesClosed.inc());
    this.#committer = new GroupCommitter({
      storage: options.storage,
      files,
      metrics: this.#metrics,
      logger: options.logger,
      onGroupDone: (bytes) => this.#afterGroup(bytes),
    });
    this.recoveryReport = { partitions: [], truncations: [], rebuiltIndexes: [], removedDirectories: [], durationMs: 0 };
    this.#cleaner = new LogCleaner({
      targets: () => [...this.#topics.values()].flatMap((state) => state.partitions.map((partition) => ({ partition, config: state.config }))),
      deliveredOffset: options.deliveredOffset,
      metrics: this.#metrics,
      logger: options.logger,
      keyMapBytes: options.cleanerKeyMapBytes,
    });
  }

  /** Opens the store and recovers every partition (see recovery.ts); the report is in `recoveryReport`. */
  static async open(options: LogStoreOptions): Promise<LogStore> {
    if (!cron.validate(options.storage.retentionCheckCron)) {
      throw new TributaryError('CONFIG_INVALID', `storage.retentionCheckCron: ${JSON.stringify(options.storage.retentionCheckCron)} is not a valid cron expression`, { key: 'storage.retentionCheckCron' });
    }
    const files = options.fileLayer ?? new FileLayer(options.fileFaults);
    await files.mkdir(join(options.dataDir, META_DIRECTORY));
    await files.mkdir(join(options.dataDir, LOG_DIRECTORY));
    const catalog = await TopicCatalog.open(join(options.dataDir, META_DIRECTORY, CATALOG_FILE));
    const store = new LogStore(options, files, catalog, options.registry ?? new Registry());
    try {
      await store.#recover();
    } catch (error) {
      await catalog.close().catch(() => undefined);
      throw error;
    }
    store.#usageEstimate = store.diskUsageBytes();
    store.#cron = cron.schedule(options.storage.retentionCheckCron, () => {
      store.enforceRetention().catch((error: unknown) => options.logger.error({ err: error }, 'retention check failed'));
    }, { name: 'tributary-retention', noOverlap: true });
    store.#cleanerTimer = setInterval(() => {
      store.#cleaner.run().catch((error: unknown) => options.logger.error({ err: error }, 'compaction check failed'));
    }, options.storage.cleanerCheckIntervalMs).unref();
    return store;
  }

  async #recover(): Promise<void> {
    const started = Date.now();
    const report = this.recoveryReport;
    const rows = await this.#catalog.list();
    const expected = new Set<string>();
    for (const row of rows) for (let index = 0; index < row.partitions; index++) expected.add(`${row.name}-${index}`);
    for (const name of await this.#files.readdir(this.#logDirectory)) {
      const path = join(this.#logDirectory, name);
      if (name.endsWith(DELETED_SUFFIX)) {
        await this.#files.removeTree(path);
        report.removedDirectories.push(path);
        this.#options.logger.info({ directory: path }, 'removed the directory of a deleted topic');
      } else if (!expected.has(name) && !name.endsWith(ORPHANED_SUFFIX)) {
        this.#options.logger.warn({ directory: path }, 'directory in the log matches no topic partition; left alone');
      }
    }
    const recoveryContext: RecoveryContext = { files: this.#files, logger: this.#options.logger, metrics: this.#metrics, report };
    const jobs: { state: TopicState; row: TopicRow; index: number }[] = [];
    for (const row of rows) {
      const state: TopicState = { name: row.name, id: row.topicId, overrides: row.overrides, config: this.#resolve(row.overrides, row.partitions), partitions: [] };
      this.#topics.set(row.name, state);
      for (let index = 0; index < row.partitions; index++) jobs.push({ state, row, index });
    }
    // Partitions are independent: several recover at once (a start with thousands of them waits on file-system latency, not on the disk).
    const recoveries: PartitionRecovery[] = [];
    await inBatches(jobs, CONCURRENT_PARTITION_OPENS, async ({ state, row, index }, position) => {
      const directory = this.#partitionDirectory(row.name, index);
      const metadata = await readPartitionMetadata(this.#files, directory);
      if (metadata !== undefined && metadata.topicId !== row.topicId) await this.#setAside(directory, `belongs to topic id ${metadata.topicId}, not ${row.topicId}`);
      const recovered = await recoverPartition(recoveryContext, row.name, index, directory);
      if (metadata?.topicId !== row.topicId) await writePartitionMetadata(this.#files, directory, { topicId: row.topicId, topic: row.name, partition: index });
      recoveries[position] = recovered.recovery;
      state.partitions[index] = new PartitionLog(this.#partitionContext(state), row.name, index, directory, recovered);
    });
    report.partitions.push(...recoveries);
    report.durationMs = Date.now() - started;
    const logger = this.#options.logger;
    if (report.truncations.length > 0 || report.rebuiltIndexes.length > 0) {
      logger.warn({ event: 'recovery', truncations: report.truncations.length, droppedBytes: report.truncations.reduce((sum, cut) => sum + cut.droppedBytes, 0), rebuiltIndexes: report.rebuiltIndexes.length, durationMs: report.durationMs }, 'log recovered with repairs');
    } else {
      logger.info({ event: 'recovery', partitions: report.partitions.length, durationMs: report.durationMs }, 'log recovered');
    }
  }

  #resolve(overrides: TopicOverride, partitions: number): TopicConfig {
    return { ...resolveTopicConfig(this.#options.topicDefaults, overrides), partitions };
  }

  #partitionDirectory(topic: string, index: number): string {
    return join(this.#logDirectory, `${topic}-${index}`);
  }

  #partitionContext(state: TopicState): PartitionContext {
    return {
      files: this.#files,
      caches: this.#caches,
      logger: this.#options.logger,
      failures: this.#failures,
      metrics: this.#metrics,
      writes: this.#committer,
      config: () => state.config,
      accepting: () => this.#accepting,
      onDurable: (topic, partition, highWatermark) => this.emit('durable', { topic, partition, highWatermark }),
    };
  }

  /** Moves a directory out of the way (kept, renamed) so a partition can be created in its place. */
  async #setAside(directory: string, why: string): Promise<void> {
    const aside = `${directory}.${Date.now()}${ORPHANED_SUFFIX}`;
    await this.#files.rename(directory, aside);
    await this.#files.syncDirectory(this.#logDirectory);
    this.#options.logger.warn({ directory, movedTo: aside, why }, 'set aside a partition directory that does not belong to this topic');
  }

  /** Topic administration runs one operation at a time. */
  #admin<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#adminQueue.then(() => {
      if (!this.#accepting) throw new TributaryError('STORAGE_CLOSED', 'the log store is closed');
      return work();
    });
    this.#adminQueue = run.catch(() => undefined);
    return run;
  }

  #describe(state: TopicState): TopicDescription {
    return { name: state.name, id: state.id, partitions: state.partitions.length, config: { ...state.config, flush: { ...state.config.flush }, partitions: state.partitions.length }, overrides: structuredClone(state.overrides) };
  }

  #topic(name: string): TopicState {
    const state = this.#topics.get(name);
    if (state === undefined) throw new TributaryError('TOPIC_NOT_FOUND', `topic "${name}" does not exist`, { topic: name });
    return state;
  }

  async #createPartition(state: TopicState, index: number): Promise<PartitionLog> {
    const directory = this.#partitionDirectory(state.name, index);
    if ((await this.#files.stat(directory)) !== undefined) await this.#setAside(directory, 'left over from an earlier topic of the same name');
    const recovered = await recoverPartition({ files: this.#files, logger: this.#options.logger, metrics: this.#metrics, report: { partitions: [], truncations: [], rebuiltIndexes: [], removedDirectories: [], durationMs: 0 } }, state.name, index, directory);
    await writePartitionMetadata(this.#files, directory, { topicId: state.id, topic: state.name, partition: index });
    return new PartitionLog(this.#partitionContext(state), state.name, index, directory, recovered);
  }

  #partitionCount(): number {
    let count = 0;
    for (const topic of this.#topics.values()) count += topic.partitions.length;
    return count;
  }

  /**
   * Throws TOPIC_LIMIT_REACHED (counted, and logged once per interval) when `topics` more
   * topics with `partitions` more partitions in all would pass topics.maxTopics or
   * topics.maxPartitions. Topics already on disk are opened whatever the limits say.
   */
  checkTopicLimits(what: string, topics: number, partitions: number): void {
    const { maxTopics, maxPartitions } = this.#options.topicLimits ?? DEFAULT_TOPIC_LIMITS;
    const topicCount = this.#topics.size;
    const partitionCount = this.#partitionCount();
    let limit: 'topics' | 'partitions' | undefined;
    let message = '';
    if (topicCount + topics > maxTopics) {
      limit = 'topics';
      message = `${what} is refused: this node holds ${topicCount} topics and topics.maxTopics allows ${maxTopics}; delete topics or raise the limit`;
    } else if (partitionCount + partitions > maxPartitions) {
      limit = 'partitions';
      message = `${what} is refused: it adds ${partitions} partitions to the ${partitionCount} this node holds, and topics.maxPartitions allows ${maxPartitions} in all; delete topics or raise the limit`;
    }
    if (limit === undefined) return;
    this.#metrics.topicLimitRefusals.inc({ limit });
    this.#failures.warn(`topic-limit:${limit}`, { event: 'topic-limit', limit, topics: topicCount, partitions: partitionCount, maxTopics, maxPartitions }, message);
    throw new TributaryError('TOPIC_LIMIT_REACHED', message, { limit, topics: topicCount, partitions: partitionCount, maxTopics, maxPartitions });
  }

  /** Creates a topic with the defaults plus `overrides`; TOPIC_EXISTS, INVALID_TOPIC, INVALID_TOPIC_CONFIG, TOPIC_LIMIT_REACHED. */
  async createTopic(name: string, overrides: Partial<TopicConfig> | TopicOverride = {}): Promise<TopicDescription> {
    const [created] = await this.createTopics([{ name, overrides }]);
    if (created instanceof Error) throw created;
    return created!;
  }

  /**
   * Creates several topics as one operation, each with its own outcome (its description, or
   * the error createTopic would throw). Their partitions are created a few at a time
   * concurrently (CONCURRENT_PARTITION_OPENS), so the file system can commit their
   * directory and metadata syncs together, and the catalog takes them in one transaction:
   * ten thousand topics in one CreateTopics request cost seconds, not one commit each.
   */
  createTopics(entries: readonly { name: string; overrides?: Partial<TopicConfig> | TopicOverride }[]): Promise<(TopicDescription | Error)[]> {
    return this.#admin(async () => {
      const outcomes: (TopicDescription | Error | TopicState)[] = [];
      const planned: TopicState[] = [];
      let plannedPartitions = 0;
      for (const { name, overrides = {} } of entries) {
        try {
          validateTopicName(name);
          const override = validateTopicOverride(name, overrides);
          if (this.#topics.has(name) || planned.some((state) => state.name === name)) throw new TributaryError('TOPIC_EXISTS', `topic "${name}" already exists`, { topic: name });
          const { partitions: requested, ...settings } = override;
          const count = requested ?? this.#options.topicDefaults.partitions;
          this.checkTopicLimits(`creating topic "${name}" with ${count} partitions`, planned.length + 1, plannedPartitions + count);
          const state: TopicState = { name, id: randomUUID(), overrides: settings, config: this.#resolve(settings, count), partitions: [] };
          planned.push(state);
          plannedPartitions += count;
          outcomes.push(state);
        } catch (error) {
          outcomes.push(error as Error);
        }
      }
      const made: TopicState[] = [];
      await inBatches(planned, CONCURRENT_PARTITION_OPENS, async (state) => {
        try {
          for (let index = 0; index < state.config.partitions; index++) state.partitions.push(await this.#createPartition(state, index));
          made.push(state);
        } catch (error) {
          await this.#discardPartitions(state, state.partitions);
          outcomes[outcomes.indexOf(state)] = error as Error;
        }
      });
      try {
        await this.#catalog.insertAll(made.map((state) => ({ name: state.name, topicId: state.id, partitions: state.partitions.length, overrides: state.overrides })));
      } catch (error) {
        for (const state of made) {
          await this.#discardPartitions(state, state.partitions);
          outcomes[outcomes.indexOf(state)] = error as Error;
        }
        made.length = 0;
      }
      for (const state of made) {
        this.#topics.set(state.name, state);
        this.#options.logger.info({ event: 'topic-created', topic: state.name, id: state.id, partitions: state.partitions.length }, 'topic created');
      }
      return outcomes.map((outcome) => (outcome instanceof Error ? outcome : this.#describe(outcome as TopicState)));
    });
  }

  /** Deletes a topic and its data. Appends in flight to it fail with TOPIC_NOT_FOUND. */
  deleteTopic(name: string): Promise<void> {
    return this.#admin(async () => {
      const state = this.#topic(name);
      await this.#catalog.delete(name);
      this.#topics.delete(name);
      await this.#discardPartitions(state, state.partitions);
      this.#options.logger.info({ event: 'topic-deleted', topic: name, id: state.id }, 'topic deleted');
    });
  }

  async #discardPartitions(state: TopicState, partitions: PartitionLog[]): Promise<void> {
    // Each waits until no write or fdatasync of its own is in flight.
    for (const partition of partitions) await partition.markDeleted();
    const moved: string[] = [];
    for (const partition of partitions) {
      const aside = `${partition.directory}.${state.id.replaceAll('-', '')}${DELETED_SUFFIX}`;
      await this.#files.rename(partition.directory, aside);
      moved.push(aside);
    }
    await this.#files.syncDirectory(this.#logDirectory);
    for (const path of moved) await this.#files.removeTree(path);
    this.#usageEstimate = this.diskUsageBytes();
  }

  /** Raises the partition count (it never shrinks, as in Kafka); INVALID_PARTITIONS otherwise. */
  createPartitions(name: string, totalCount: number): Promise<TopicDescription> {
    return this.#admin(async () => {
      const state = this.#topic(name);
      const current = state.partitions.length;
      if (!Number.isInteger(totalCount) || totalCount <= current || totalCount > PARTITIONS_PER_TOPIC_MAX) {
        throw new TributaryError('INVALID_PARTITIONS', `topic "${name}" has ${current} partitions; the new count must be an integer above that and at most ${PARTITIONS_PER_TOPIC_MAX}, got ${totalCount}`, { topic: name, current, requested: totalCount });
      }
      this.checkTopicLimits(`raising topic "${name}" from ${current} to ${totalCount} partitions`, 0, totalCount - current);
      const added: PartitionLog[] = [];
      try {
        for (let index = current; index < totalCount; index++) added.push(await this.#createPartition(state, index));
        await this.#catalog.setPartitions(name, totalCount);
      } catch (error) {
        await this.#discardPartitions(state, added);
        throw error;
      }
      state.partitions.push(...added);
      state.config = this.#resolve(state.overrides, totalCount);
      return this.#describe(state);
    });
  }

  /** Replaces the settings given for a topic itself (not its partition count); what it no longer sets falls back to the defaults. */
  replaceTopicConfig(name: string, overrides: TopicOverride): Promise<TopicDescription> {
    return this.#changeSettings(name, overrides, (_current, given) => structuredClone(given));
  }

  /** Changes settings of a topic (not its partition count: use createPartitions). Applies to the next append, roll and retention run. */
  alterTopicConfig(name: string, overrides: Partial<TopicConfig> | TopicOverride): Promise<TopicDescription> {
    return this.#changeSettings(name, overrides, (current, given) => ({ ...current, ...given, ...(given.flush || current.flush ? { flush: { ...current.flush, ...given.flush } } : {}) }));
  }

  #changeSettings(name: string, overrides: unknown, combine: (current: TopicOverride, given: TopicOverride) => TopicOverride): Promise<TopicDescription> {
    return this.#admin(async () => {
      const state = this.#topic(name);
      const override = validateTopicOverride(name, overrides);
      if (override.partitions !== undefined) {
        throw new TributaryError('INVALID_TOPIC_CONFIG', `topic "${name}": partitions cannot be altered as a setting; use createPartitions`, { topic: name });
      }
      const next = combine(state.overrides, override);
      await this.#catalog.setOverrides(name, next);
      state.overrides = next;
      state.config = this.#resolve(next, state.partitions.length);
      return this.#describe(state);
    });
  }

  describeTopic(name: string): TopicDescription | undefined {
    const state = this.#topics.get(name);
    return state === undefined ? undefined : this.#describe(state);
  }

  listTopics(): TopicDescription[] {
    return [...this.#topics.values()].map((state) => this.#describe(state));
  }

  /** TOPIC_NOT_FOUND / PARTITION_NOT_FOUND. */
  partition(topic: string, index: number): PartitionLog {
    const state = this.#topic(topic);
    const partition = state.partitions[index];
    if (partition === undefined) {
      throw new TributaryError('PARTITION_NOT_FOUND', `topic "${topic}" has no partition ${index} (it has ${state.partitions.length})`, { topic, partition: index });
    }
    return partition;
  }

  /**
   * DeleteRecords (KIP-107): records of the partition below `offset` are deleted; resolves
   * with the new log start offset once it is durable. Segments wholly below it are removed
   * by a retention run started here. OFFSET_OUT_OF_RANGE past the high watermark.
   */
  async deleteRecords(topic: string, index: number, offset: bigint): Promise<bigint> {
    const partition = this.partition(topic, index);
    const logStartOffset = await partition.deleteRecordsBefore(offset);
    if (partition.segments.length > 1 && partition.segments[0]!.nextOffset <= logStartOffset && this.#accepting) {
      this.enforceRetention().catch((error: unknown) => this.#options.logger.error({ err: error }, 'retention after DeleteRecords failed'));
    }
    return logStartOffset;
  }

  /** Bytes of segment and index files of every partition. */
  diskUsageBytes(): number {
    let total = 0;
    for (const state of this.#topics.values()) for (const partition of state.partitions) total += partition.sizeBytes;
    return total;
  }

  /** Runs retention now (time, size, disk budget); runs do not overlap. */
  enforceRetention(): Promise<EvictionReport> {
    if (this.#retention !== undefined) {
      this.#retentionAgain = true;
      return this.#retention;
    }
    const run = (async (): Promise<EvictionReport> => {
      let report: EvictionReport;
      do {
        this.#retentionAgain = false;
        const targets = [...this.#topics.values()].flatMap((state) => state.partitions.map((partition) => ({ partition, config: state.config })));
        report = await enforceRetention(targets, {
          nowMs: Date.now(),
          diskBudgetBytes: this.#options.storage.diskBudgetBytes,
          diskUsageBytes: () => this.diskUsageBytes(),
          deliveredOffset: this.#options.deliveredOffset,
          metrics: this.#metrics,
          logger: this.#options.logger,
          onEvicted: (segment) => this.emit('evicted', segment),
        });
        this.#usageEstimate = report.diskUsageBytes;
      } while (this.#retentionAgain && this.#accepting);
      return report;
    })();
    this.#retention = run;
    void run.finally(() => {
      if (this.#retention === run) this.#retention = undefined;
    }).catch(() => undefined);
    return run;
  }

  #afterGroup(bytesWritten: number): void {
    const budget = this.#options.storage.diskBudgetBytes;
    if (budget <= 0) return;
    this.#usageEstimate += bytesWritten;
    if (this.#usageEstimate > budget && this.#accepting) {
      this.enforceRetention().catch((error: unknown) => this.#options.logger.error({ err: error }, 'retention after append failed'));
    }
  }

  /**
   * Compacts now every partition of a compacted topic that is due (with `force`, every one
   * with dirty records), instead of waiting for the next check; joins a run under way.
   */
  compact(options: { force?: boolean; nowMs?: number } = {}): Promise<CleanerRunReport> {
    return this.#cleaner.run(options);
  }

  /** Flushes everything, writes clean checkpoints, closes files. Appends after this fail with STORAGE_CLOSED. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#accepting = false;
      await this.#cron?.destroy();
      clearInterval(this.#cleanerTimer);
      await this.#cleaner.stop();
      await this.#adminQueue;
      await this.#retention?.catch(() => undefined);
      await this.#committer.drain();
      // Partitions close independently, several at once, as they recover (rule 10 holds within each).
      await inBatches([...this.#topics.values()].flatMap((state) => state.partitions), CONCURRENT_PARTITION_OPENS, (partition) => partition.close());
      await this.#catalog.close();
    })();
    return this.#closing;
  }
}

/** Runs `work` over `items` (with each one's position), at most `concurrency` at a time, started in their order. */
async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T, position: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const position = next++;
      await work(items[position]!, position);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

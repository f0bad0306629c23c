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
import { resolveTopicConfig } from '../../shared/config/topic-settings.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
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
import { PARTITIONS_PER_TOPIC_MAX, TopicCatalog, validateTopicOverride } from './topic-catalog.ts';
import { validateTopicName } from '../../shared/kafka/topic-name.ts';
import type { EvictedSegment, EvictionReport, RecoveryReport, TopicDescription } from './types.ts';

const META_DIRECTORY = 'meta';
const LOG_DIRECTORY = 'log';
const CATALOG_FILE = 'topics.sqlite';
/** Suffix of a deleted topic's partition directories, as Kafka names them. */
const DELETED_SUFFIX = '-delete';
/** Suffix given to a directory found where a new topic's partition goes; kept, not deleted, in case it holds data someone wants. */
const ORPHANED_SUFFIX = '-orphaned';

export interface LogStoreOptions {
  dataDir: string;
  logger: Logger;
  registry?: Registry;
  storage: StorageConfig;
  topicDefaults: TopicConfig;
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
    this.#caches = createSegmentCaches(files);
    this.#metrics = new StorageMetrics(registry, {
      segmentsByTopic: () => new Map([...this.#topics.values()].map((topic) => [topic.name, topic.partitions.reduce((sum, partition) => sum + partition.segments.length, 0)])),
      diskUsageBytes: () => this.diskUsageBytes(),
    });
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
    for (const row of rows) {
      const state: TopicState = { name: row.name, id: row.topicId, overrides: row.overrides, config: this.#resolve(row.overrides, row.partitions), partitions: [] };
      this.#topics.set(row.name, state);
      for (let index = 0; index < row.partitions; index++) {
        const directory = this.#partitionDirectory(row.name, index);
        const metadata = await readPartitionMetadata(this.#files, directory);
        if (metadata !== undefined && metadata.topicId !== row.topicId) await this.#setAside(directory, `belongs to topic id ${metadata.topicId}, not ${row.topicId}`);
        const recovered = await recoverPartition(recoveryContext, row.name, index, directory);
        if (metadata?.topicId !== row.topicId) await writePartitionMetadata(this.#files, directory, { topicId: row.topicId, topic: row.name, partition: index });
        report.partitions.push(recovered.recovery);
        state.partitions.push(new PartitionLog(this.#partitionContext(state), row.name, index, directory, recovered));
      }
    }
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

  /** Creates a topic with the defaults plus `overrides`; TOPIC_EXISTS, INVALID_TOPIC, INVALID_TOPIC_CONFIG. */
  createTopic(name: string, overrides: Partial<TopicConfig> | TopicOverride = {}): Promise<TopicDescription> {
    return this.#admin(async () => {
      validateTopicName(name);
      const override = validateTopicOverride(name, overrides);
      if (this.#topics.has(name)) throw new TributaryError('TOPIC_EXISTS', `topic "${name}" already exists`, { topic: name });
      const { partitions: requested, ...settings } = override;
      const count = requested ?? this.#options.topicDefaults.partitions;
      const state: TopicState = { name, id: randomUUID(), overrides: settings, config: this.#resolve(settings, count), partitions: [] };
      try {
        for (let index = 0; index < count; index++) state.partitions.push(await this.#createPartition(state, index));
        await this.#catalog.insert({ name, topicId: state.id, partitions: count, overrides: settings });
      } catch (error) {
        await this.#discardPartitions(state, state.partitions);
        throw error;
      }
      this.#topics.set(name, state);
      this.#options.logger.info({ event: 'topic-created', topic: name, id: state.id, partitions: count }, 'topic created');
      return this.#describe(state);
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
      for (const state of this.#topics.values()) for (const partition of state.partitions) await partition.close();
      await this.#catalog.close();
    })();
    return this.#closing;
  }
}

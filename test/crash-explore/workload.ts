// The recorded workload: Kafka-style produce through the real LogStore into several
// partitions — idempotent producers' batches with ids and sequences, a retried batch,
// plain batches — with segment rolls (small segments), DeleteRecords, retention removing
// segments, a compacted topic with keyed records, tombstones and cleaner passes, two
// transactional producers whose transactions interleave and end in COMMIT and ABORT
// markers, and a clean close. It runs on real files with real fdatasyncs; the recording
// file layer writes down what reached the file layer, and the workload writes down what
// it was told was durable.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodeRecordBatch, setBaseOffset, setPartitionLeaderEpoch, type RecordInput } from '../../shared/kafka/record-batch.ts';
import { encodeMarkerBatch, type MarkerBatchOptions } from '../../shared/kafka/control-batch.ts';
import { PARTITION_LEADER_EPOCH, type LogStore } from '../../edge/storage/index.ts';
import { batchOf, openStore, removeDirectory, temporaryDirectory } from '../edge/storage/helpers.ts';
import { RecordingFileLayer } from './recording-file-layer.ts';
import type { BaseState, Recording } from './trace.ts';

/**
 * The topics written, with small segments so that they roll every few batches. 'sensors'
 * syncs every append before answering it; 'commands' syncs on an interval, so that several
 * appends are written before one fdatasync covers them all, and has a size limit, so that
 * retention removes segments.
 */
export const WORKLOAD_TOPICS = [
  { name: 'sensors', partitions: 2, config: { segmentBytes: 4096, flush: { policy: 'always' } } },
  { name: 'commands', partitions: 1, config: { segmentBytes: 2048, retentionBytes: 4096, flush: { policy: 'interval', intervalMs: 5 } } },
] as const;

/**
 * A compacted topic: keyed records over a few keys, so that newer records shadow older ones,
 * with tombstones, and small segments, so that a cleaner pass has closed segments to clean.
 * delete.retention.ms 0 lets a pass remove tombstones too, so that path is crashed as well.
 */
export const COMPACTED_TOPIC = { name: 'device-state', partitions: 1, config: { segmentBytes: 2048, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.01, minCompactionLagMs: 0, deleteRetentionMs: 0, flush: { policy: 'always' } } } as const;
/** A topic written in transactions by two producers at once, ended by COMMIT and ABORT markers. */
export const TRANSACTIONAL_TOPIC = { name: 'ledger', partitions: 1, config: { segmentBytes: 4096, flush: { policy: 'always' } } } as const;
/** Keys of the compacted topic: few, so that most records are shadowed by the end. */
const COMPACTED_KEYS = 5;
/** Every this-many-th record of the compacted topic is a tombstone. */
const TOMBSTONE_EVERY = 7;
/** A cleaner pass every this many rounds. */
const CLEANER_PASS_EVERY_ROUNDS = 3;
/** The transactional producers' ids; each round both send a batch, then one commits and the other aborts. */
const TRANSACTIONAL_PRODUCER_IDS = [8000n, 8001n] as const;

/** Rounds of appends; each round sends a few appends to every partition at once, so that group commit groups them. */
export const WORKLOAD_ROUNDS = 12;
/** Appends sent at once to a partition in a round. */
export const APPENDS_PER_ROUND = 3;
/** Producer ids start here; the workload gives each partition its own idempotent producer. */
const PRODUCER_ID_BASE = 7000n;

export interface WorkloadOptions {
  rounds?: number;
  /** A flush policy for every topic in place of theirs: 'os' answers appends before their fdatasync, for a test to show what that gives up. */
  flushPolicy?: 'os';
}

/** Runs the workload in a fresh temporary directory and returns what it recorded; the directory is removed. */
export async function recordWorkload(options: WorkloadOptions = {}): Promise<Recording> {
  const dataDir = temporaryDirectory();
  try {
    // Topics are created before recording: the catalog is SQLite, whose writes do not pass
    // through the file layer, so the catalog enters every crash state as it was made here.
    const setup = await openStore(dataDir);
    for (const topic of [...WORKLOAD_TOPICS, COMPACTED_TOPIC, TRANSACTIONAL_TOPIC]) await setup.createTopic(topic.name, { partitions: topic.partitions, ...topic.config, flush: { ...topic.config.flush, policy: options.flushPolicy ?? topic.config.flush.policy } });
    await setup.close();
    const base = readTree(dataDir);
    const files = new RecordingFileLayer(dataDir, base);
    const store = await openStore(dataDir, { fileLayer: files });
    await produce(store, files, options.rounds ?? WORKLOAD_ROUNDS);
    const topics: Recording['topics'] = [
      ...[...WORKLOAD_TOPICS, TRANSACTIONAL_TOPIC].map(({ name, partitions }) => ({ name, partitions })),
      { name: COMPACTED_TOPIC.name, partitions: COMPACTED_TOPIC.partitions, compaction: { tombstonesRemovable: COMPACTED_TOPIC.config.deleteRetentionMs === 0 } },
    ];
    const finalLogStart = new Map(topics.flatMap(({ name, partitions }) => Array.from({ length: partitions }, (_, partition) => [`${name}-${partition}`, store.partition(name, partition).logStartOffset] as const)));
    await store.close();
    return { base, entries: files.entries, topics, finalLogStart };
  } finally {
    removeDirectory(dataDir);
  }
}

async function produce(store: LogStore, files: RecordingFileLayer, rounds: number): Promise<void> {
  const partitions = WORKLOAD_TOPICS.flatMap((topic) => Array.from({ length: topic.partitions }, (_, partition) => ({ topic: topic.name, partition })));
  const sequences = partitions.map(() => 0);
  const transactionalSequences = TRANSACTIONAL_PRODUCER_IDS.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    const appends = partitions.flatMap(({ topic, partition }, index) => Array.from({ length: APPENDS_PER_ROUND }, (_, slot) => {
      // Every other append is an idempotent producer's; record sizes vary so batches straddle sectors.
      const idempotent = (round + slot) % 2 === 0;
      const count = 1 + ((round * 7 + slot * 3 + index) % 5);
      const tag = `${topic}-${partition}-r${round}s${slot}-${'x'.repeat((round * 37 + slot * 101) % 300)}`;
      const producer = idempotent ? { producerId: PRODUCER_ID_BASE + BigInt(index), producerEpoch: 0, baseSequence: sequences[index]! } : {};
      if (idempotent) sequences[index]! += count;
      return appendAcknowledged(store, files, topic, partition, batchOf(tag, count, { ...producer, records: timestampsNow(count) }));
    }));
    await Promise.all([...appends, ...compactedAppends(store, files, round), transactions(store, files, round, transactionalSequences)]);
    if (round % CLEANER_PASS_EVERY_ROUNDS === CLEANER_PASS_EVERY_ROUNDS - 1) await store.compact({ force: true });
    if (round === Math.floor(rounds / 2)) {
      // A producer's retry of a batch it already sent, and DeleteRecords up to a point inside the log.
      const log = store.partition('sensors', 1);
      const retried = log.producer(PRODUCER_ID_BASE + 1n)?.batches.at(-1);
      if (retried !== undefined) await appendAcknowledged(store, files, 'sensors', 1, batchOf('retry', retried.lastSequence - retried.firstSequence + 1, { records: timestampsNow(1), producerId: PRODUCER_ID_BASE + 1n, producerEpoch: 0, baseSequence: retried.firstSequence }));
      const logStartOffset = await store.deleteRecords('sensors', 0, store.partition('sensors', 0).highWatermark / 2n);
      files.record({ kind: 'logStartMoved', topic: 'sensors', partition: 0, logStartOffset });
    }
    if (round % 4 === 3) await store.enforceRetention();
  }
}

/** Appends to the compacted topic, sent with the round's others: keyed records over COMPACTED_KEYS keys, some tombstones. */
function compactedAppends(store: LogStore, files: RecordingFileLayer, round: number): Promise<void>[] {
  return Array.from({ length: APPENDS_PER_ROUND }, (_, slot) => {
    const count = 1 + ((round + slot) % 3);
    const records = Array.from({ length: count }, (_, index) => {
      const serial = round * APPENDS_PER_ROUND * 3 + slot * 3 + index;
      const value = serial % TOMBSTONE_EVERY === TOMBSTONE_EVERY - 1 ? null : `reading ${serial} ${'v'.repeat((serial * 53) % 200)}`;
      return { key: `device-${serial % COMPACTED_KEYS}`, value, timestampMs: BigInt(Date.now()) };
    });
    return appendAcknowledged(store, files, COMPACTED_TOPIC.name, 0, encodeRecordBatch({ records }));
  });
}

/**
 * One round of the transactional topic: both producers send a batch at once (their
 * transactions interleave in the log), then end them at once, one with COMMIT and the
 * other with ABORT, alternating by round. Markers are acknowledged like appends, with the
 * bytes the store keeps.
 */
async function transactions(store: LogStore, files: RecordingFileLayer, round: number, sequences: number[]): Promise<void> {
  await Promise.all(TRANSACTIONAL_PRODUCER_IDS.map((producerId, index) => {
    const count = 1 + ((round + index) % 3);
    const batch = batchOf(`${TRANSACTIONAL_TOPIC.name}-p${index}-r${round}-${'t'.repeat((round * 29 + index * 71) % 250)}`, count, { producerId, producerEpoch: 0, baseSequence: sequences[index]!, isTransactional: true, records: timestampsNow(count) });
    sequences[index]! += count;
    return appendAcknowledged(store, files, TRANSACTIONAL_TOPIC.name, 0, batch);
  }));
  await Promise.all(TRANSACTIONAL_PRODUCER_IDS.map((producerId, index) => {
    const marker = (round + index) % 2 === 0 ? 'commit' : 'abort';
    return markerAcknowledged(store, files, { producerId, producerEpoch: 0, marker, coordinatorEpoch: 0, timestampMs: Date.now() });
  }));
}

/** Writes a transaction marker and, once the store answers, records it as acknowledged with the bytes the store keeps. */
async function markerAcknowledged(store: LogStore, files: RecordingFileLayer, options: MarkerBatchOptions): Promise<void> {
  const result = await store.partition(TRANSACTIONAL_TOPIC.name, 0).appendMarker(options);
  const kept = encodeMarkerBatch(options);
  setBaseOffset(kept, 0, result.baseOffset);
  setPartitionLeaderEpoch(kept, 0, PARTITION_LEADER_EPOCH);
  files.record({ kind: 'appended', topic: TRANSACTIONAL_TOPIC.name, partition: 0, baseOffset: result.baseOffset, batch: kept });
}

/**
 * Record timestamps of now: a producer whose newest batch is older than
 * PRODUCER_EXPIRATION_MS is forgotten at the next roll, as Kafka forgets it, and the
 * checker's retries would then be taken as new.
 */
function timestampsNow(count: number): RecordInput[] {
  return Array.from({ length: count }, () => ({ value: null, timestampMs: BigInt(Date.now()) }));
}

/** Appends a batch and, once the store answers, records it as acknowledged with the bytes the store keeps (its offset and leader epoch set). */
async function appendAcknowledged(store: LogStore, files: RecordingFileLayer, topic: string, partition: number, batch: Buffer): Promise<void> {
  const sent = Buffer.from(batch);
  const result = await store.partition(topic, partition).append(batch);
  if (result.duplicate) return;
  setBaseOffset(sent, 0, result.baseOffset);
  setPartitionLeaderEpoch(sent, 0, PARTITION_LEADER_EPOCH);
  files.record({ kind: 'appended', topic, partition, baseOffset: result.baseOffset, batch: sent });
}

/** The directories and files under `root`, with relative paths. */
function readTree(root: string): BaseState {
  const state: BaseState = { directories: [], files: new Map() };
  const walk = (directory: string): void => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) {
        state.directories.push(relative(root, path));
        walk(path);
      } else {
        state.files.set(relative(root, path), readFileSync(path));
      }
    }
  };
  walk(root);
  return state;
}

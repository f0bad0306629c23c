// Checks crash states in two steps. `recover` opens the real LogStore on a state's
// directory (the real recovery) and observes what it serves; `judge` holds that to what
// the workload had been told before the crash. Recovery depends only on the files, so
// states with the same files share one recovery (see explorer.ts); what they were told
// may differ, so each is judged on its own.
import { createHash } from 'node:crypto';
import { encodeRecordBatch, readBatchHeader, verifyBatch } from '../../shared/kafka/record-batch.ts';
import type { LogStore } from '../../edge/storage/index.ts';
import { PRODUCER_BATCHES_KEPT } from '../../edge/storage/producer-state.ts';
import { openStore, readAll, removeDirectory } from '../edge/storage/helpers.ts';
import type { CrashState } from './crash-states.ts';
import { materialise } from './materialise.ts';
import type { Acknowledgement, Recording } from './trace.ts';
import { judgeCompacted, recordsOf, type CompactionSettings, type RecordSeen } from './compaction-check.ts';
import { judgeTransactions, observeTransactions } from './transaction-check.ts';

/** The checker's own appends (a producer's retry and next batch) go alone; waiting to group them would only add to every state's time. */
const CHECK_GROUP_WAIT_MS = 0;

/** What recovery made of one partition. */
export interface PartitionObservation {
  logStartOffset: bigint;
  highWatermark: bigint;
  /** Digests of the batches served from the log start to the high watermark, by base offset: what judging needs, in little memory. */
  served: Map<bigint, string>;
  /** What was wrong whatever the workload had been told: reads, CRCs, contiguity, producer state, the last stable offset. */
  problems: string[];
  /** A compacted partition's data records by offset, which are judged in place of whole batches (compaction-check.ts). */
  records?: Map<bigint, RecordSeen>;
  compaction?: CompactionSettings;
  /** With transactions: the record offsets read_committed is given (transaction-check.ts). */
  committedVisible?: Set<bigint>;
}

/** Recovery's result: each partition ("topic-partition"), or why the store did not open. */
export type Observation = { partitions: Map<string, PartitionObservation> } | { failed: string };

/** Materialises `state` in `directory`, opens the store there and observes every partition of the workload; the directory is removed afterwards. */
export async function recover(recording: Recording, state: CrashState, directory: string): Promise<Observation> {
  materialise(state, directory);
  let store: LogStore | undefined;
  try {
    try {
      store = await openStore(directory, { storage: { groupCommitMaxWaitMs: CHECK_GROUP_WAIT_MS } });
    } catch (error) {
      return { failed: `recovery failed: ${(error as Error).message}` };
    }
    const partitions = new Map<string, PartitionObservation>();
    for (const topic of recording.topics) {
      for (let partition = 0; partition < topic.partitions; partition++) partitions.set(`${topic.name}-${partition}`, await observePartition(store, topic.name, partition, topic.compaction));
    }
    return { partitions };
  } finally {
    await store?.close().catch(() => undefined);
    removeDirectory(directory);
  }
}

async function observePartition(store: LogStore, topic: string, partition: number, compaction: CompactionSettings | undefined): Promise<PartitionObservation> {
  const log = store.partition(topic, partition);
  const observation: PartitionObservation = { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, served: new Map(), problems: [] };
  let served: Map<bigint, Buffer>;
  try {
    served = await readAll(store, topic, partition);
  } catch (error) {
    observation.problems.push(`reading the log failed: ${(error as Error).message}`);
    return observation;
  }
  // From the batch holding the log start to the high watermark, each batch starts where the
  // one before ended; on a compacted topic, at or after it (a pass leaves gaps).
  let expected: bigint | undefined;
  const recentOfProducer = new Map<bigint, Buffer[]>();
  for (const [baseOffset, bytes] of served) {
    observation.served.set(baseOffset, digestOf(bytes));
    try {
      // A cleaned batch keeps its offsets and fewer records (as Kafka's cleaner leaves it), so its records need not be dense.
      verifyBatch(bytes, 0, { requireDenseOffsets: compaction === undefined });
    } catch (error) {
      observation.problems.push(`batch at ${baseOffset} is served but fails its check: ${(error as Error).message}`);
      continue;
    }
    const header = readBatchHeader(bytes);
    const follows = expected === undefined
      ? (compaction !== undefined || baseOffset <= observation.logStartOffset) && header.lastOffset >= observation.logStartOffset
      : compaction !== undefined ? baseOffset >= expected : baseOffset === expected;
    if (!follows) observation.problems.push(`batch at ${baseOffset} does not follow on (expected ${expected ?? `one holding the log start ${observation.logStartOffset}`})`);
    expected = header.lastOffset + 1n;
    if (header.producerId >= 0n && !header.isControlBatch) recentOfProducer.set(header.producerId, [...(recentOfProducer.get(header.producerId) ?? []), bytes].slice(-PRODUCER_BATCHES_KEPT));
  }
  const end = expected ?? observation.logStartOffset;
  if (compaction !== undefined ? end > observation.highWatermark : end !== observation.highWatermark) observation.problems.push(`the served batches end at ${end}, the high watermark is ${observation.highWatermark}`);
  if (compaction !== undefined) {
    observation.compaction = compaction;
    observation.records = recordsOf(served.values());
  }
  // Before the producers' checks, which append.
  const committedVisible = await observeTransactions(log, served, observation.problems);
  if (committedVisible !== undefined) observation.committedVisible = committedVisible;
  for (const [producerId, recent] of recentOfProducer) {
    const problem = await checkProducer(store, topic, partition, producerId, recent);
    if (problem !== undefined) observation.problems.push(`producer ${producerId}: ${problem}`);
  }
  return observation;
}

/**
 * A producer's last batches in the log (as many as Kafka remembers), each sent again, are
 * duplicates answered with their original offsets (KIP-98), and its next sequence is
 * appended at the log end.
 */
async function checkProducer(store: LogStore, topic: string, partition: number, producerId: bigint, recent: Buffer[]): Promise<string | undefined> {
  const log = store.partition(topic, partition);
  const last = readBatchHeader(recent.at(-1)!);
  const nextSequence = last.baseSequence + last.lastOffsetDelta + 1;
  try {
    for (const bytes of recent) {
      const header = readBatchHeader(bytes);
      const retried = await log.append(Buffer.from(bytes));
      if (!retried.duplicate || retried.baseOffset !== header.baseOffset) return `its batch at ${header.baseOffset} (sequence ${header.baseSequence}) sent again was taken as new, at ${retried.baseOffset}`;
    }
    const logEnd = log.highWatermark;
    const appended = await log.append(encodeRecordBatch({ producerId, producerEpoch: last.producerEpoch, baseSequence: nextSequence, isTransactional: last.isTransactional, records: [{ value: 'next' }] }));
    if (appended.duplicate) return `its next sequence ${nextSequence} was taken for a duplicate`;
    if (appended.baseOffset !== logEnd) return `its next sequence ${nextSequence} was appended at ${appended.baseOffset}, not at the log end ${logEnd}`;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Everything wrong with a recovered state, given what the workload had been told before the crash. */
export function judge(recording: Recording, observation: Observation, acknowledged: Acknowledgement[]): string[] {
  if ('failed' in observation) return [observation.failed];
  const problems: string[] = [];
  for (const [key, partition] of observation.partitions) {
    const furthest = recording.finalLogStart.get(key) ?? 0n;
    const found = [...partition.problems, ...judgePartition(partition, acknowledged.filter((entry) => `${entry.topic}-${entry.partition}` === key), furthest)];
    problems.push(...found.map((problem) => `${key}: ${problem}`));
  }
  return problems;
}

function judgePartition(partition: PartitionObservation, acknowledged: Acknowledgement[], furthestLogStart: bigint): string[] {
  const problems: string[] = [];
  const { logStartOffset, served, records, compaction, committedVisible } = partition;
  let promisedLogStart = 0n;
  for (const entry of acknowledged) if (entry.kind === 'logStartMoved' && entry.logStartOffset > promisedLogStart) promisedLogStart = entry.logStartOffset;
  if (logStartOffset < promisedLogStart) problems.push(`log start ${logStartOffset} is before ${promisedLogStart}, where a completed DeleteRecords put it`);
  if (logStartOffset > furthestLogStart) problems.push(`log start ${logStartOffset} is past ${furthestLogStart}, the furthest the workload ever moved it`);
  const acknowledgedBatches = acknowledged.flatMap((entry) => (entry.kind === 'appended' ? [entry.batch] : []));
  if (committedVisible !== undefined) problems.push(...judgeTransactions(committedVisible, acknowledgedBatches, logStartOffset));
  // A compacted partition's batches are rewritten by the cleaner: its records are judged instead.
  if (records !== undefined && compaction !== undefined) return [...problems, ...judgeCompacted(records, acknowledgedBatches, logStartOffset, compaction)];
  for (const entry of acknowledged) {
    if (entry.kind !== 'appended' || readBatchHeader(entry.batch).lastOffset < logStartOffset) continue;
    const stored = served.get(entry.baseOffset);
    if (stored === undefined) problems.push(`acknowledged batch at ${entry.baseOffset} is missing`);
    else if (stored !== digestOf(entry.batch)) problems.push(`acknowledged batch at ${entry.baseOffset} came back with other bytes`);
  }
  return problems;
}

const digests = new WeakMap<Buffer, string>();

/** A batch's digest; an acknowledged batch's is computed once, however many states judge it. */
function digestOf(bytes: Buffer): string {
  let digest = digests.get(bytes);
  if (digest === undefined) {
    digest = createHash('sha1').update(bytes).digest('base64');
    digests.set(bytes, digest);
  }
  return digest;
}

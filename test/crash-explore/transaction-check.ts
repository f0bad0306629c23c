// What a recovered partition with transactions must say (KIP-98): the last stable offset
// is the first offset of the earliest transaction the log leaves open (no marker after
// it), or the high watermark; a read_committed consumer, reading up to it with the aborted
// transactions the store lists and skipping as Kafka's consumer does, is given every
// record of a transaction whose marker in the log is COMMIT and none of one whose marker is
// ABORT or that is still open. Held to what the workload was told: a transaction whose
// commit marker was acknowledged is served whole to read_committed, one whose abort marker
// was acknowledged never.
import { markerOf } from '../../shared/kafka/control-batch.ts';
import { iterateBatchHeaders, readBatchHeader } from '../../shared/kafka/record-batch.ts';
import type { PartitionLog } from '../../edge/storage/index.ts';

/** Bytes per committed read: a few of the workload's batches. */
const COMMITTED_READ_BYTES = 64 * 1024;

/** The record offsets of each transaction in `batches` (in offset order), and how it ended: by its marker, or still open. */
export function transactionsOf(batches: Iterable<Buffer>): { outcome: 'commit' | 'abort' | 'open'; firstOffset: bigint; offsets: bigint[] }[] {
  const ended: ReturnType<typeof transactionsOf> = [];
  const open = new Map<bigint, { firstOffset: bigint; offsets: bigint[] }>();
  for (const bytes of batches) {
    const header = readBatchHeader(bytes);
    if (!header.isTransactional) continue;
    if (header.isControlBatch) {
      const marker = markerOf(header, bytes);
      const transaction = open.get(header.producerId);
      if (marker !== undefined && transaction !== undefined) ended.push({ outcome: marker, ...transaction });
      open.delete(header.producerId);
      continue;
    }
    const transaction = open.get(header.producerId) ?? { firstOffset: header.baseOffset, offsets: [] };
    for (let offset = header.baseOffset; offset <= header.lastOffset; offset += 1n) transaction.offsets.push(offset);
    open.set(header.producerId, transaction);
  }
  for (const transaction of open.values()) ended.push({ outcome: 'open', ...transaction });
  return ended;
}

/**
 * Checks the last stable offset and read_committed against the markers in the recovered log
 * (`served`, in offset order); returns the record offsets read_committed is given, or
 * undefined when the partition holds no transaction.
 */
export async function observeTransactions(log: PartitionLog, served: Map<bigint, Buffer>, problems: string[]): Promise<Set<bigint> | undefined> {
  const transactions = transactionsOf(served.values());
  if (transactions.length === 0) return undefined;
  const openFirst = transactions.filter((transaction) => transaction.outcome === 'open').map((transaction) => transaction.firstOffset);
  const expectedStable = openFirst.reduce((lowest, offset) => (offset < lowest ? offset : lowest), log.highWatermark);
  if (log.lastStableOffset !== expectedStable) problems.push(`the last stable offset is ${log.lastStableOffset}, but the log says ${expectedStable} (${openFirst.length} transactions without a marker)`);
  const visible = await readCommitted(log);
  for (const transaction of transactions) {
    const shouldShow = transaction.outcome === 'commit';
    const wrong = transaction.offsets.filter((offset) => offset >= log.logStartOffset && visible.has(offset) !== shouldShow);
    if (wrong.length > 0) problems.push(`read_committed ${shouldShow ? 'is not given' : 'is given'} records ${wrong.join(', ')} of a transaction ${transaction.outcome === 'open' ? 'left open' : `whose marker is ${transaction.outcome.toUpperCase()}`} (from ${transaction.firstOffset})`);
  }
  return visible;
}

/** Everything wrong with read_committed, given the batches acknowledged before the crash (markers included). */
export function judgeTransactions(visible: Set<bigint>, acknowledgedBatches: Buffer[], logStartOffset: bigint): string[] {
  const problems: string[] = [];
  for (const transaction of transactionsOf(acknowledgedBatches)) {
    if (transaction.outcome === 'open') continue;
    const shouldShow = transaction.outcome === 'commit';
    const wrong = transaction.offsets.filter((offset) => offset >= logStartOffset && visible.has(offset) !== shouldShow);
    if (wrong.length > 0) problems.push(`records ${wrong.join(', ')} of a transaction whose ${transaction.outcome.toUpperCase()} marker was acknowledged are ${shouldShow ? 'not given' : 'given'} to read_committed`);
  }
  return problems;
}

/** The record offsets a read_committed consumer gets, skipping aborted transactions as Kafka's consumer does (its Fetcher's abortedProducerIds). */
async function readCommitted(log: PartitionLog): Promise<Set<bigint>> {
  const visible = new Set<bigint>();
  const abortedListed = new Map<string, { producerId: bigint; firstOffset: bigint }>();
  const abortedProducers = new Set<bigint>();
  let offset = log.logStartOffset;
  while (offset < log.lastStableOffset) {
    const result = await log.read(offset, COMMITTED_READ_BYTES, { committedOnly: true });
    if (result.batches.length === 0) break;
    for (const entry of result.abortedTransactions ?? []) abortedListed.set(`${entry.producerId}/${entry.firstOffset}`, entry);
    for (const header of iterateBatchHeaders(result.batches)) {
      offset = header.lastOffset + 1n;
      // An aborted transaction starts counting once a batch reaches its first offset.
      for (const [key, entry] of abortedListed) {
        if (entry.firstOffset > header.lastOffset) continue;
        abortedProducers.add(entry.producerId);
        abortedListed.delete(key);
      }
      if (header.isControlBatch) {
        if (markerOf(header, result.batches) === 'abort') abortedProducers.delete(header.producerId);
        continue;
      }
      if (header.isTransactional && abortedProducers.has(header.producerId)) continue;
      for (let record = header.baseOffset; record <= header.lastOffset; record += 1n) visible.add(record);
    }
  }
  return visible;
}

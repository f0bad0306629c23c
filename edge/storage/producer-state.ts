// Idempotent producer state of one partition (KIP-98).
//
// A batch whose producerId is >= 0 carries the producer's epoch and the sequence number
// of its first record. For each producer the partition keeps its epoch and its last five
// batches (first/last sequence, first/last offset): the Kafka protocol lets an
// idempotent producer have at most five requests in flight, so a retry always matches
// one of those five. A retry is answered with the original offsets and not appended
// again; a gap in the sequence, an older epoch, or a new epoch not starting at sequence 0
// is refused.
//
// Changes are applied when a batch is assigned its offsets, before it is durable, so that
// a retry arriving while the original is still being written is recognised. Each change
// is journaled with the state it replaced; when a write or a sync fails and the log is
// truncated, the journal undoes the changes at and after the truncation point. Once the
// high watermark passes a change, its journal entry is dropped.
//
// Transactions (KIP-98) are producer state too: a producer's transaction is open in this
// partition from its first transactional batch until the coordinator's marker (a control
// batch, control-batch.ts). The earliest first offset of the open transactions is the first
// unstable offset, under which the last stable offset stays. An abort marker closing an
// open transaction adds it to the aborted-transaction list, which Fetch reports to
// read_committed consumers so that they drop its records. The list is journaled with the
// rest: a marker cut off by a failed write is undone.
//
// The state is snapshotted when a segment rolls and at a clean shutdown, and rebuilt at
// start from the newest snapshot plus the batch headers after it (and the control records
// of markers after it).
//
// Snapshot file layout (big-endian):
//   magic "TPSN" u32, version u16, reserved u16, offset i64 (state covers batches below it),
//   producer count u32, then per producer:
//     producerId i64, epoch i16, batch count u8, last timestamp i64,
//     [version 2] first offset of the open transaction i64 (-1: none),
//     per batch: first sequence i32, last sequence i32, first offset i64, last offset i64
//   [version 2] aborted transaction count u32, then per transaction:
//     producerId i64, first offset i64, last offset i64 (its abort marker)
//   and a CRC-32C of everything before it. Version 1 files (before transactions) are read
//   as having no transactions.
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../../shared/errors.ts';
import type { RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import { markerOf, type TransactionMarker } from '../../shared/kafka/control-batch.ts';

/** Batches remembered per producer: Kafka's limit on in-flight requests of an idempotent producer (max.in.flight.requests.per.connection <= 5). */
export const PRODUCER_BATCHES_KEPT = 5;
/** A producer silent for longer than this is forgotten, as Kafka's producer.id.expiration.ms (one day). */
export const PRODUCER_EXPIRATION_MS = 24 * 3600_000;
/** Producers remembered per partition; bounds memory on a small device. Beyond it the least recently active is forgotten. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;

const SNAPSHOT_MAGIC = 0x5450534e; // "TPSN"
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSION_WITHOUT_TRANSACTIONS = 1;
/** transactionFirstOffset of a producer with no transaction open in this partition. */
export const NO_TRANSACTION = -1n;
const INT32_MAX = 0x7fffffff;

export interface ProducerBatch {
  firstSequence: number;
  lastSequence: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  readonly epoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_KEPT. */
  readonly batches: readonly ProducerBatch[];
  /** Largest batch maxTimestamp seen from this producer, for expiration. */
  readonly lastTimestamp: bigint;
  /** Offset of the first batch of its open transaction here, NO_TRANSACTION when none is open. */
  readonly transactionFirstOffset: bigint;
}

/** A transaction aborted in this partition: its records lie in [firstOffset, lastOffset], lastOffset being its abort marker. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; batch: ProducerBatch };

interface JournalEntry {
  offset: bigint;
  producerId: bigint;
  previous: ProducerEntry | undefined;
}

/** Sequence numbers wrap from Int32 max to 0 (KIP-98). */
function lastSequenceOf(header: RecordBatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function inSequence(lastSequence: number, nextSequence: number): boolean {
  return nextSequence === lastSequence + 1 || (lastSequence === INT32_MAX && nextSequence === 0);
}

export class ProducerStateManager {
  readonly #producers = new Map<bigint, ProducerEntry>();
  /** Producers with a transaction open here, and its first offset: what the last stable offset waits on. */
  readonly #open = new Map<bigint, bigint>();
  /**
   * Aborted transactions in marker order. Not bounded by a count: each one is a marker in
   * the log, so the list grows only with the log, and shrinks as retention removes markers;
   * forgetting one would show its records to read_committed consumers.
   */
  #aborted: AbortedTransaction[] = [];
  readonly #journal: JournalEntry[] = [];
  /** Names the partition in error messages. */
  readonly #where: string;

  constructor(where: string) {
    this.#where = where;
  }

  get size(): number {
    return this.#producers.size;
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  /** Every producer known here (DescribeProducers). */
  entries(): ProducerEntry[] {
    return [...this.#producers.values()];
  }

  get pendingChanges(): number {
    return this.#journal.length;
  }

  /**
   * Decides what to do with a batch from an idempotent producer: append it, or answer
   * it as a duplicate. Throws OUT_OF_ORDER_SEQUENCE or PRODUCER_FENCED.
   */
  check(header: RecordBatchHeader): SequenceCheck {
    const { producerId, producerEpoch: epoch, baseSequence } = header;
    if (baseSequence < 0) {
      throw new TributaryError('INVALID_RECORD_BATCH', `${this.#where}: batch from producer ${producerId} has no sequence number (baseSequence ${baseSequence}); an idempotent producer numbers every batch`, { producerId });
    }
    const entry = this.#producers.get(producerId);
    // Unknown producer: its state may have been dropped by retention or expiry, so any
    // sequence is accepted, as Kafka does (KIP-360).
    if (entry === undefined) return { kind: 'append' };
    const lastSequence = lastSequenceOf(header);
    if (epoch === entry.epoch) {
      for (const batch of entry.batches) {
        if (batch.firstSequence === baseSequence && batch.lastSequence === lastSequence) return { kind: 'duplicate', batch };
      }
    }
    if (epoch < entry.epoch) {
      throw new TributaryError('PRODUCER_FENCED', `${this.#where}: producer ${producerId} appends with epoch ${epoch}, older than its current epoch ${entry.epoch}`, { producerId, epoch, currentEpoch: entry.epoch });
    }
    if (epoch > entry.epoch) {
      if (baseSequence !== 0) {
        throw new TributaryError('OUT_OF_ORDER_SEQUENCE', `${this.#where}: producer ${producerId} starts epoch ${epoch} at sequence ${baseSequence}; a new epoch must start at sequence 0`, { producerId, epoch, sequence: baseSequence });
      }
      return { kind: 'append' };
    }
    const last = entry.batches[entry.batches.length - 1];
    if (last !== undefined && !inSequence(last.lastSequence, baseSequence)) {
      throw new TributaryError('OUT_OF_ORDER_SEQUENCE', `${this.#where}: producer ${producerId} epoch ${epoch} sent sequence ${baseSequence} but the next expected is ${last.lastSequence === INT32_MAX ? 0 : last.lastSequence + 1}`, { producerId, epoch, sequence: baseSequence, expected: last.lastSequence + 1 });
    }
    return { kind: 'append' };
  }

  /**
   * Decides whether a transaction marker may be written: one from an epoch older than the
   * producer's current one is refused with PRODUCER_FENCED (a coordinator never goes back).
   */
  checkMarker(header: RecordBatchHeader): void {
    const entry = this.#producers.get(header.producerId);
    if (entry !== undefined && header.producerEpoch < entry.epoch) {
      throw new TributaryError('PRODUCER_FENCED', `${this.#where}: transaction marker of producer ${header.producerId} carries epoch ${header.producerEpoch}, older than its current epoch ${entry.epoch}`, { producerId: header.producerId, epoch: header.producerEpoch, currentEpoch: entry.epoch });
    }
  }

  /** Records an appended batch (offsets assigned), or a marker; journaled so that a failed write can undo it. */
  apply(header: RecordBatchHeader, baseOffset: bigint, marker?: TransactionMarker): void {
    const previous = this.#producers.get(header.producerId);
    this.#journal.push({ offset: baseOffset, producerId: header.producerId, previous });
    if (marker !== undefined) this.#setMarker(header, baseOffset, marker, previous);
    else this.#set(header, baseOffset, previous);
  }

  /** Like apply, without a journal: rebuilding state from a log that is already durable. `batch` holds the batch from its first byte. */
  replay(header: RecordBatchHeader, batch: Buffer): void {
    if (header.producerId < 0n) return;
    const previous = this.#producers.get(header.producerId);
    if (header.isControlBatch) {
      let marker: TransactionMarker | undefined;
      try {
        marker = markerOf(header, batch);
      } catch {
        // A control batch recovery kept although its CRC failed (tolerateCrc) and whose key is unreadable: no outcome to apply.
        return;
      }
      if (marker !== undefined) this.#setMarker(header, header.baseOffset, marker, previous);
      return;
    }
    this.#set(header, header.baseOffset, previous);
  }

  /** The first offset of the earliest transaction still open here, undefined when none is. */
  firstUnstableOffset(): bigint | undefined {
    let first: bigint | undefined;
    for (const offset of this.#open.values()) if (first === undefined || offset < first) first = offset;
    return first;
  }

  /** Transactions open here, by producer id, with their first offset (DescribeProducers). */
  openTransactions(): ReadonlyMap<bigint, bigint> {
    return this.#open;
  }

  /**
   * The aborted transactions with records in [fromOffset, toOffset): what a read_committed
   * consumer reading that range must drop (Fetch's aborted_transactions).
   */
  abortedTransactions(fromOffset: bigint, toOffset: bigint): AbortedTransaction[] {
    const aborted = this.#aborted;
    // Markers are in offset order: skip, by halving, those that end before the range.
    let low = 0;
    let high = aborted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (aborted[middle]!.lastOffset < fromOffset) low = middle + 1;
      else high = middle;
    }
    const found: AbortedTransaction[] = [];
    for (let at = low; at < aborted.length; at++) {
      const transaction = aborted[at]!;
      if (transaction.firstOffset < toOffset) found.push(transaction);
    }
    return found;
  }

  #setMarker(header: RecordBatchHeader, offset: bigint, marker: TransactionMarker, previous: ProducerEntry | undefined): void {
    if (marker === 'abort' && previous !== undefined && previous.transactionFirstOffset !== NO_TRANSACTION) {
      this.#aborted.push({ producerId: header.producerId, firstOffset: previous.transactionFirstOffset, lastOffset: offset });
    }
    const sameEpoch = previous !== undefined && previous.epoch === header.producerEpoch;
    this.#store({
      producerId: header.producerId,
      epoch: header.producerEpoch,
      batches: sameEpoch ? previous.batches : [],
      lastTimestamp: previous !== undefined && previous.lastTimestamp > header.maxTimestamp ? previous.lastTimestamp : header.maxTimestamp,
      transactionFirstOffset: NO_TRANSACTION,
    });
  }

  #set(header: RecordBatchHeader, baseOffset: bigint, previous: ProducerEntry | undefined): void {
    const batch: ProducerBatch = {
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      firstOffset: baseOffset,
      lastOffset: baseOffset + BigInt(header.lastOffsetDelta),
    };
    const kept = previous !== undefined && previous.epoch === header.producerEpoch ? previous.batches : [];
    const batches = kept.length >= PRODUCER_BATCHES_KEPT ? [...kept.slice(kept.length - PRODUCER_BATCHES_KEPT + 1), batch] : [...kept, batch];
    const lastTimestamp = previous !== undefined && previous.lastTimestamp > header.maxTimestamp ? previous.lastTimestamp : header.maxTimestamp;
    // A transaction opens with its first transactional batch and stays open until its marker.
    const open = previous?.transactionFirstOffset ?? NO_TRANSACTION;
    const transactionFirstOffset = open !== NO_TRANSACTION ? open : header.isTransactional ? baseOffset : NO_TRANSACTION;
    this.#store({ producerId: header.producerId, epoch: header.producerEpoch, batches, lastTimestamp, transactionFirstOffset });
  }

  /** Sets a producer's entry as its most recently active one, and forgets the least recently active beyond the limit. */
  #store(entry: ProducerEntry): void {
    // Delete then set: the map's order is then least recently active first.
    this.#producers.delete(entry.producerId);
    this.#producers.set(entry.producerId, entry);
    this.#track(entry.producerId, entry);
    if (this.#producers.size > PRODUCERS_PER_PARTITION_MAX) {
      // A producer with an open transaction is kept: forgetting it would move the last stable offset past its records.
      for (const [producerId, candidate] of this.#producers) {
        if (candidate.transactionFirstOffset !== NO_TRANSACTION) continue;
        this.#producers.delete(producerId);
        break;
      }
    }
  }

  /** Keeps the open-transaction map in step with a producer's entry (undefined: the producer is forgotten). */
  #track(producerId: bigint, entry: ProducerEntry | undefined): void {
    if (entry !== undefined && entry.transactionFirstOffset !== NO_TRANSACTION) this.#open.set(producerId, entry.transactionFirstOffset);
    else this.#open.delete(producerId);
  }

  /** The changes below `offset` are durable and can no longer be undone. */
  commit(offset: bigint): void {
    let count = 0;
    while (count < this.#journal.length && this.#journal[count]!.offset < offset) count += 1;
    if (count > 0) this.#journal.splice(0, count);
  }

  /** Undoes every change at or after `offset` (the log was truncated there). */
  rollback(offset: bigint): void {
    while (this.#journal.length > 0 && this.#journal[this.#journal.length - 1]!.offset >= offset) {
      const change = this.#journal.pop()!;
      if (change.previous === undefined) this.#producers.delete(change.producerId);
      else this.#producers.set(change.producerId, change.previous);
      this.#track(change.producerId, change.previous);
    }
    while (this.#aborted.length > 0 && this.#aborted[this.#aborted.length - 1]!.lastOffset >= offset) this.#aborted.pop();
  }

  /** Forgets producers silent for PRODUCER_EXPIRATION_MS and those whose batches were all removed by retention. */
  expire(nowMs: number, logStartOffset: bigint): number {
    const cutoff = BigInt(nowMs - PRODUCER_EXPIRATION_MS);
    let removed = 0;
    for (const [producerId, entry] of this.#producers) {
      // An open transaction keeps its producer until the coordinator ends it (it times out there).
      if (entry.transactionFirstOffset !== NO_TRANSACTION) continue;
      const last = entry.batches[entry.batches.length - 1];
      if (entry.lastTimestamp < cutoff || (last !== undefined && last.lastOffset < logStartOffset)) {
        this.#producers.delete(producerId);
        removed += 1;
      }
    }
    // An aborted transaction whose marker retention removed has no records left to hide.
    const kept = this.#aborted.findIndex((transaction) => transaction.lastOffset >= logStartOffset);
    if (kept !== 0) this.#aborted = kept < 0 ? [] : this.#aborted.slice(kept);
    return removed;
  }

  /** The state as of `offset`; only valid when every change below it is durable and none above it exists. */
  snapshot(offset: bigint): Buffer {
    let size = 4 + 2 + 2 + 8 + 4 + 4 + 4 + this.#aborted.length * 24;
    for (const entry of this.#producers.values()) size += 8 + 2 + 1 + 8 + 8 + entry.batches.length * 24;
    const buffer = Buffer.alloc(size);
    let at = 0;
    at = buffer.writeUInt32BE(SNAPSHOT_MAGIC, at);
    at = buffer.writeUInt16BE(SNAPSHOT_VERSION, at);
    at = buffer.writeUInt16BE(0, at);
    at = buffer.writeBigInt64BE(offset, at);
    at = buffer.writeUInt32BE(this.#producers.size, at);
    for (const entry of this.#producers.values()) {
      at = buffer.writeBigInt64BE(entry.producerId, at);
      at = buffer.writeInt16BE(entry.epoch, at);
      at = buffer.writeUInt8(entry.batches.length, at);
      at = buffer.writeBigInt64BE(entry.lastTimestamp, at);
      at = buffer.writeBigInt64BE(entry.transactionFirstOffset, at);
      for (const batch of entry.batches) {
        at = buffer.writeInt32BE(batch.firstSequence, at);
        at = buffer.writeInt32BE(batch.lastSequence, at);
        at = buffer.writeBigInt64BE(batch.firstOffset, at);
        at = buffer.writeBigInt64BE(batch.lastOffset, at);
      }
    }
    at = buffer.writeUInt32BE(this.#aborted.length, at);
    for (const transaction of this.#aborted) {
      at = buffer.writeBigInt64BE(transaction.producerId, at);
      at = buffer.writeBigInt64BE(transaction.firstOffset, at);
      at = buffer.writeBigInt64BE(transaction.lastOffset, at);
    }
    buffer.writeUInt32BE(crc32c(buffer.subarray(0, at)) >>> 0, at);
    return buffer;
  }

  /** Loads a snapshot file, or says why it cannot be used. */
  static restore(where: string, file: Buffer): { state: ProducerStateManager; offset: bigint } | { problem: string } {
    if (file.length < 24) return { problem: 'snapshot is shorter than its header' };
    if ((crc32c(file.subarray(0, file.length - 4)) >>> 0) !== file.readUInt32BE(file.length - 4)) return { problem: 'snapshot fails its CRC-32C check' };
    const version = file.readUInt16BE(4);
    if (file.readUInt32BE(0) !== SNAPSHOT_MAGIC || (version !== SNAPSHOT_VERSION && version !== SNAPSHOT_VERSION_WITHOUT_TRANSACTIONS)) return { problem: 'snapshot has a wrong magic number or version' };
    const withTransactions = version === SNAPSHOT_VERSION;
    const offset = file.readBigInt64BE(8);
    const count = file.readUInt32BE(16);
    const state = new ProducerStateManager(where);
    let at = 20;
    try {
      for (let i = 0; i < count; i++) {
        const producerId = file.readBigInt64BE(at);
        const epoch = file.readInt16BE(at + 8);
        const batchCount = file.readUInt8(at + 10);
        const lastTimestamp = file.readBigInt64BE(at + 11);
        at += 19;
        let transactionFirstOffset = NO_TRANSACTION;
        if (withTransactions) {
          transactionFirstOffset = file.readBigInt64BE(at);
          at += 8;
        }
        const batches: ProducerBatch[] = [];
        for (let b = 0; b < batchCount; b++) {
          batches.push({ firstSequence: file.readInt32BE(at), lastSequence: file.readInt32BE(at + 4), firstOffset: file.readBigInt64BE(at + 8), lastOffset: file.readBigInt64BE(at + 16) });
          at += 24;
        }
        const entry = { producerId, epoch, batches, lastTimestamp, transactionFirstOffset };
        state.#producers.set(producerId, entry);
        state.#track(producerId, entry);
      }
      if (withTransactions) {
        const abortedCount = file.readUInt32BE(at);
        at += 4;
        for (let i = 0; i < abortedCount; i++) {
          state.#aborted.push({ producerId: file.readBigInt64BE(at), firstOffset: file.readBigInt64BE(at + 8), lastOffset: file.readBigInt64BE(at + 16) });
          at += 24;
        }
      }
    } catch {
      return { problem: 'snapshot entries run past the end of the file' };
    }
    if (at !== file.length - 4) return { problem: 'snapshot has bytes after its last entry' };
    return { state, offset };
  }
}

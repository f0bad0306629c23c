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
// The state is snapshotted when a segment rolls and at a clean shutdown, and rebuilt at
// start from the newest snapshot plus the batch headers after it.
//
// Snapshot file layout (big-endian):
//   magic "TPSN" u32, version u16, reserved u16, offset i64 (state covers batches below it),
//   producer count u32, then per producer:
//     producerId i64, epoch i16, batch count u8, last timestamp i64,
//     per batch: first sequence i32, last sequence i32, first offset i64, last offset i64
//   and a CRC-32C of everything before it.
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../../shared/errors.ts';
import type { RecordBatchHeader } from '../../shared/kafka/record-batch.ts';

/** Batches remembered per producer: Kafka's limit on in-flight requests of an idempotent producer (max.in.flight.requests.per.connection <= 5). */
export const PRODUCER_BATCHES_KEPT = 5;
/** A producer silent for longer than this is forgotten, as Kafka's producer.id.expiration.ms (one day). */
export const PRODUCER_EXPIRATION_MS = 24 * 3600_000;
/** Producers remembered per partition; bounds memory on a small device. Beyond it the least recently active is forgotten. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;

const SNAPSHOT_MAGIC = 0x5450534e; // "TPSN"
const SNAPSHOT_VERSION = 1;
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

  /** Records an appended batch (offsets assigned); journaled so that a failed write can undo it. */
  apply(header: RecordBatchHeader, baseOffset: bigint): void {
    const previous = this.#producers.get(header.producerId);
    this.#journal.push({ offset: baseOffset, producerId: header.producerId, previous });
    this.#set(header, baseOffset, previous);
  }

  /** Like apply, without a journal: rebuilding state from a log that is already durable. */
  replay(header: RecordBatchHeader): void {
    if (header.producerId < 0n) return;
    this.#set(header, header.baseOffset, this.#producers.get(header.producerId));
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
    // Delete then set: the map's order is then least recently active first.
    this.#producers.delete(header.producerId);
    this.#producers.set(header.producerId, { producerId: header.producerId, epoch: header.producerEpoch, batches, lastTimestamp });
    if (this.#producers.size > PRODUCERS_PER_PARTITION_MAX) {
      const oldest = this.#producers.keys().next().value;
      if (oldest !== undefined) this.#producers.delete(oldest);
    }
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
    }
  }

  /** Forgets producers silent for PRODUCER_EXPIRATION_MS and those whose batches were all removed by retention. */
  expire(nowMs: number, logStartOffset: bigint): number {
    const cutoff = BigInt(nowMs - PRODUCER_EXPIRATION_MS);
    let removed = 0;
    for (const [producerId, entry] of this.#producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (entry.lastTimestamp < cutoff || (last !== undefined && last.lastOffset < logStartOffset)) {
        this.#producers.delete(producerId);
        removed += 1;
      }
    }
    return removed;
  }

  /** The state as of `offset`; only valid when every change below it is durable and none above it exists. */
  snapshot(offset: bigint): Buffer {
    let size = 4 + 2 + 2 + 8 + 4 + 4;
    for (const entry of this.#producers.values()) size += 8 + 2 + 1 + 8 + entry.batches.length * 24;
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
      for (const batch of entry.batches) {
        at = buffer.writeInt32BE(batch.firstSequence, at);
        at = buffer.writeInt32BE(batch.lastSequence, at);
        at = buffer.writeBigInt64BE(batch.firstOffset, at);
        at = buffer.writeBigInt64BE(batch.lastOffset, at);
      }
    }
    buffer.writeUInt32BE(crc32c(buffer.subarray(0, at)) >>> 0, at);
    return buffer;
  }

  /** Loads a snapshot file, or says why it cannot be used. */
  static restore(where: string, file: Buffer): { state: ProducerStateManager; offset: bigint } | { problem: string } {
    if (file.length < 24) return { problem: 'snapshot is shorter than its header' };
    if ((crc32c(file.subarray(0, file.length - 4)) >>> 0) !== file.readUInt32BE(file.length - 4)) return { problem: 'snapshot fails its CRC-32C check' };
    if (file.readUInt32BE(0) !== SNAPSHOT_MAGIC || file.readUInt16BE(4) !== SNAPSHOT_VERSION) return { problem: 'snapshot has a wrong magic number or version' };
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
        const batches: ProducerBatch[] = [];
        for (let b = 0; b < batchCount; b++) {
          batches.push({ firstSequence: file.readInt32BE(at), lastSequence: file.readInt32BE(at + 4), firstOffset: file.readBigInt64BE(at + 8), lastOffset: file.readBigInt64BE(at + 16) });
          at += 24;
        }
        state.#producers.set(producerId, { producerId, epoch, batches, lastTimestamp });
      }
    } catch {
      return { problem: 'snapshot entries run past the end of the file' };
    }
    if (at !== file.length - 4) return { problem: 'snapshot has bytes after its last entry' };
    return { state, offset };
  }
}

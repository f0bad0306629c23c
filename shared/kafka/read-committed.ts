// What a read_committed reader drops (KIP-98), as Kafka's consumer does it: the broker lists
// the aborted transactions of the batches it returns (producer id and first offset); walking
// the batches in offset order, a producer's transactional batches are dropped from the first
// offset of one of its aborted transactions up to that transaction's ABORT marker. Control
// batches are never data. Used by every reader inside Tributary that must see committed data
// only: the mirror, the MQTT reverse routes, the pipelines.
import { markerOf } from './control-batch.ts';
import type { RecordBatchHeader } from './record-batch.ts';

export interface AbortedTransactionRange {
  producerId: bigint;
  firstOffset: bigint;
}

export class AbortedBatchFilter {
  /** Oldest first; each is taken once the walk reaches its first offset. */
  readonly #pending: AbortedTransactionRange[];
  /** Producers inside an aborted transaction at the walk's position. */
  readonly #aborting = new Set<bigint>();

  constructor(aborted: readonly AbortedTransactionRange[]) {
    this.#pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /**
   * True when the batch holds no committed data: a control batch, or a batch of an aborted
   * transaction. Call it for every batch, in offset order; `buffer` holds the batch at header.position.
   */
  skips(header: RecordBatchHeader, buffer: Buffer): boolean {
    while (this.#pending.length > 0 && this.#pending[0]!.firstOffset <= header.lastOffset) this.#aborting.add(this.#pending.shift()!.producerId);
    if (header.isControlBatch) {
      if (this.#aborting.has(header.producerId) && markerOf(header, buffer) === 'abort') this.#aborting.delete(header.producerId);
      return true;
    }
    return header.isTransactional && this.#aborting.has(header.producerId);
  }
}

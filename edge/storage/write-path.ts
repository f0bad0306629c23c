// The contract of the write path, in one direction. A partition's writer plans each append
// (offsets assigned, place in the active segment fixed) and hands the prepared write down
// to the group committer (WriteQueue). The committer writes groups of them, syncs the
// files, and reports back through the partition's CommitLane: what was written, and what
// an fdatasync made durable. The committer never plans, rolls or cuts; the partition never
// writes a prepared write itself. Nothing else crosses between them.
import type { RecordBatchHeader } from '../../shared/kafka/record-batch.ts';
import type { TransactionMarker } from '../../shared/kafka/control-batch.ts';
import type { Segment } from './segment.ts';
import type { AppendResult } from './types.ts';

/** An append as its caller made it: verified batches, not yet placed. */
export interface PendingAppend {
  /** Concatenated RecordBatch v2 batches; their base offsets and leader epochs are rewritten in place when placed. */
  buffer: Buffer;
  headers: RecordBatchHeader[];
  bytes: number;
  records: number;
  /** Wall-clock time it arrived; a group waits at most groupCommitMaxWaitMs from its oldest write. */
  arrivedAtMs: number;
  /** Set when the append is a transaction coordinator's marker (one control batch). */
  marker?: TransactionMarker;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** An append placed at a position of a segment file with its offsets assigned, ready to be written. */
export interface PreparedWrite {
  readonly lane: CommitLane;
  readonly append: PendingAppend;
  readonly segment: Segment;
  readonly fd: number;
  readonly position: number;
  readonly bytes: number;
  readonly firstOffset: bigint;
  /** The offset after its last record. */
  readonly nextOffset: bigint;
  readonly maxTimestamp: bigint;
  /**
   * Set by the partition when the write must not reach the file any more: a write or an
   * fdatasync before it failed and the file is being cut back. The committer skips a
   * cancelled write it has not started, and reports it like any other.
   */
  cancelled: boolean;
}

/** What an fdatasync of a segment issued now covers. */
export interface SyncPoint {
  readonly lane: CommitLane;
  readonly segment: Segment;
  readonly fd: number;
  readonly bytes: number;
  readonly nextOffset: bigint;
  readonly maxTimestamp: bigint;
}

/** How the committer reports back to one partition. */
export interface CommitLane {
  /**
   * The writes of one group to this partition were written, or failed with `error`.
   * They come in the order they were handed down, each exactly once, cancelled ones too.
   */
  written(writes: readonly PreparedWrite[], error: unknown): void;
  /** What an fdatasync issued now would cover, or undefined when nothing is left to sync. */
  syncPoint(): SyncPoint | undefined;
  /**
   * The fdatasync for `point` failed (reported at once), or succeeded (reported once the
   * next sync round has been issued, so the disk stays busy while appends are answered).
   */
  synced(point: SyncPoint, error: unknown): void;
}

/** Where partitions hand their writes: the store's group committer. */
export interface WriteQueue {
  /**
   * Reserves room for an append's bytes before it is planned. Returns a promise only when
   * it must wait first, while the store-wide bound on bytes not yet written is reached.
   */
  admit(bytes: number): Promise<void> | undefined;
  /** Gives back what admit reserved, once the bytes are written or the append is answered without writing. */
  release(bytes: number): void;
  /** Queues a prepared write; a partition's writes reach the file in the order they are submitted. */
  submit(write: PreparedWrite): void;
  /** The lane has written bytes its flush policy wants synced now; the next sync round asks it for its sync point. */
  requestSync(lane: CommitLane): void;
  /** Resolves once the sync round in flight now (if any) has finished its fdatasyncs and reported them. */
  syncBarrier(): Promise<void>;
}

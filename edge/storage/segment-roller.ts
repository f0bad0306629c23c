// Rolling and checkpointing one partition: the active segment is closed (its index
// written) and a new one started at the log end; a recovery checkpoint and a snapshot of
// the producer state are written where everything before is synced, at a roll and at a
// clean shutdown. The writer calls it only while nothing of the partition is being written
// and the active segment is synced to its end.
import { join } from 'node:path';
import { assert } from '../../shared/errors.ts';
import { writeCheckpoint } from './checkpoint.ts';
import type { PartitionState } from './partition-state.ts';
import { SNAPSHOT_SUFFIX, Segment, offsetFileName } from './segment.ts';
import { SegmentIndex } from './segment-index.ts';
import { writeSegmentIndex } from './segment-index-files.ts';

/** Producer state snapshots kept per partition; the newest is used, the one before it covers a damaged newest. */
export const SNAPSHOTS_KEPT = 2;

export class SegmentRoller {
  readonly #state: PartitionState;
  /** Offsets of the producer state snapshots on disk, oldest first. */
  #snapshotOffsets: bigint[];

  constructor(state: PartitionState, snapshotOffsets: bigint[]) {
    this.#state = state;
    this.#snapshotOffsets = snapshotOffsets;
  }

  /** Closes the active segment and starts a new one at the log end. */
  async roll(nowMs: number): Promise<Segment> {
    const { files, caches, logger } = this.#state.context;
    const old = this.#state.active;
    assert(old.syncedBytes >= old.sizeBytes && old.committedBytes >= old.sizeBytes, 'a segment rolls only once it is synced and committed to its end');
    await writeSegmentIndex(files, old, logger);
    const segment = new Segment(this.#state.directory, old.nextOffset);
    const fd = await segment.openForAppend(files, true);
    try {
      await files.syncDirectory(this.#state.directory);
    } catch (error) {
      await files.close(fd, segment.path).catch(() => undefined);
      throw error;
    }
    segment.index = new SegmentIndex();
    segment.active = true;
    old.active = false;
    this.#state.segments.push(segment);
    caches.files.touch(segment);
    caches.files.touch(old);
    caches.indexes.touch(old);
    logger.debug({ topic: this.#state.topic, partition: this.#state.index, segment: segment.path, nowMs }, 'segment rolled');
    await this.#checkpoint(segment.baseOffset, 0, segment.baseOffset);
    return segment;
  }

  /** Clean shutdown: the active segment's index, its directory entry and a checkpoint at the log end. */
  async closeActive(): Promise<void> {
    const { files, logger } = this.#state.context;
    const active = this.#state.active;
    assert(active.syncedBytes >= active.sizeBytes, 'a partition closes cleanly only once its active segment is synced to its end');
    await writeSegmentIndex(files, active, logger);
    await files.syncDirectory(this.#state.directory);
    await this.#checkpoint(active.baseOffset, active.sizeBytes, active.nextOffset);
  }

  /**
   * Snapshot of producer state and recovery checkpoint at a point where everything before
   * is synced. Best effort: without them the next start verifies and replays more.
   */
  async #checkpoint(segmentBaseOffset: bigint, position: number, nextOffset: bigint): Promise<void> {
    const { files, logger } = this.#state.context;
    const { directory, producers } = this.#state;
    try {
      if (producers.pendingChanges === 0) {
        producers.expire(Date.now(), this.#state.logStartOffset);
        await files.replaceDurably(join(directory, offsetFileName(nextOffset, SNAPSHOT_SUFFIX)), producers.snapshot(nextOffset), false);
        this.#snapshotOffsets = [...this.#snapshotOffsets.filter((offset) => offset !== nextOffset), nextOffset];
      }
      await writeCheckpoint(files, directory, { segmentBaseOffset, position, nextOffset });
      while (this.#snapshotOffsets.length > SNAPSHOTS_KEPT) {
        const oldest = this.#snapshotOffsets.shift()!;
        await files.unlink(join(directory, offsetFileName(oldest, SNAPSHOT_SUFFIX)));
      }
    } catch (error) {
      logger.warn({ err: error, topic: this.#state.topic, partition: this.#state.index }, 'could not write the recovery checkpoint; the next start verifies more of the log');
    }
  }
}

// What the store keeps of its segments, store-wide and bounded: open descriptors and
// loaded indexes.
//
// Descriptors: one least-recently-used set for every segment file, active or not, bounded
// by `storage.maxOpenSegmentFiles`, so ten thousand partitions do not hold ten thousand
// descriptors. A segment's descriptor is closed only when nothing needs it: no reader holds
// it, and for an active segment its writer has nothing written and not yet synced, no write
// or fdatasync in flight and no upkeep under way (Segment.closeIfIdle). Closing a fully
// synced file loses nothing, and the next append or read opens it again. The descriptors in
// use can take the count above the bound for as long as they are in use; the memory of
// those writes is bounded by PENDING_APPEND_BYTES_MAX.
//
// Indexes: only inactive segments' indexes are dropped; an active segment's index is the
// in-memory one its appends extend (small: growing arrays, one entry per 4 KiB written).
import type { FileLayer } from './file-io.ts';
import type { Segment } from './segment.ts';

/** Indexes of inactive segments kept in memory at once, store-wide (about 0.5% of a segment's size each). */
export const LOADED_SEGMENT_INDEXES_MAX = 64;

/** Entries one touch looks at to bring the set back under its bound: when thousands are in use at once, a touch stays cheap and the set overshoots for a while. */
const EVICTION_CANDIDATES_MAX = 16;

/** A small least-recently-used set; `evict` decides whether an entry may go now. */
export class LruSet<T> {
  readonly #items = new Set<T>();
  readonly #max: number;
  readonly #evict: (item: T) => boolean;

  constructor(max: number, evict: (item: T) => boolean) {
    this.#max = max;
    this.#evict = evict;
  }

  touch(item: T): void {
    this.#items.delete(item);
    this.#items.add(item);
    this.trim(item);
  }

  /**
   * Lets the least recently used entries go while the set is over its bound (never `keep`,
   * the one just used). Called after each use, and when an entry stops being in use. A candidate that may not go now is in
   * use, so it counts as used: it moves to the back, and the next call looks at others
   * instead of walking past it again.
   */
  trim(keep?: T): void {
    let looked = 0;
    for (const candidate of this.#items) {
      if (this.#items.size <= this.#max || looked++ >= EVICTION_CANDIDATES_MAX || candidate === keep) break;
      this.#items.delete(candidate);
      if (!this.#evict(candidate)) this.#items.add(candidate);
    }
  }

  /**
   * `item` stopped being in use. While the set is over its bound, the least recently used
   * idle entries go, and if that is not enough, `item` itself: so once nothing is in use,
   * the set is back within its bound, however many were in use at once.
   */
  settle(item: T): void {
    this.trim();
    if (this.#items.size > this.#max && this.#items.has(item) && this.#evict(item)) this.#items.delete(item);
  }

  delete(item: T): void {
    this.#items.delete(item);
  }

  get size(): number {
    return this.#items.size;
  }
}

export interface SegmentCaches {
  /** Descriptors of segment files, active or not; the least recently used idle one is closed. */
  files: LruSet<Segment>;
  /** Loaded indexes of inactive segments; the least recently used is dropped and read again when needed. */
  indexes: LruSet<Segment>;
}

/** `openFilesMax` is storage.maxOpenSegmentFiles; `onClosed` counts a descriptor the cache closed. */
export function createSegmentCaches(files: FileLayer, openFilesMax: number, onClosed: () => void = () => undefined): SegmentCaches {
  return {
    files: new LruSet<Segment>(openFilesMax, (segment) => {
      if (!segment.closeIfIdle(files)) return false;
      onClosed();
      return true;
    }),
    indexes: new LruSet<Segment>(LOADED_SEGMENT_INDEXES_MAX, (segment) => segment.dropIndex()),
  };
}

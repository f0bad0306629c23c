// What the store keeps of inactive segments, store-wide and bounded: their read
// descriptors and their loaded indexes. The active segment of every partition keeps both
// for as long as it is active and is never counted here.
import type { FileLayer } from './file-io.ts';
import type { Segment } from './segment.ts';

/** Segment files kept open for reading at once, store-wide; a small device has a low open-file limit. */
export const OPEN_SEGMENT_FILES_MAX = 128;
/** Indexes of inactive segments kept in memory at once, store-wide (about 0.5% of a segment's size each). */
export const LOADED_SEGMENT_INDEXES_MAX = 64;

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
    if (this.#items.size <= this.#max) return;
    for (const candidate of this.#items) {
      if (this.#items.size <= this.#max) break;
      if (candidate !== item && this.#evict(candidate)) this.#items.delete(candidate);
    }
  }

  delete(item: T): void {
    this.#items.delete(item);
  }
}

export interface SegmentCaches {
  /** Read descriptors of inactive segments; the least recently used idle one is closed. */
  files: LruSet<Segment>;
  /** Loaded indexes of inactive segments; the least recently used is dropped and read again when needed. */
  indexes: LruSet<Segment>;
}

export function createSegmentCaches(files: FileLayer): SegmentCaches {
  return {
    files: new LruSet<Segment>(OPEN_SEGMENT_FILES_MAX, (segment) => segment.closeIfIdle(files)),
    indexes: new LruSet<Segment>(LOADED_SEGMENT_INDEXES_MAX, (segment) => segment.dropIndex()),
  };
}

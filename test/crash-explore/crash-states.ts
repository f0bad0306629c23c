// Crash states from a trace, after ALICE and CrashMonkey. A state is what the disk may
// hold if power is lost after the first `crashPoint` entries of the trace completed:
//
// - Metadata (mkdir, create, rename, unlink, removeTree) reaches the disk in order, as
//   ext4's journal (data=ordered, the device default) commits it: a state keeps a prefix
//   of the metadata operations — at least up to the last one a completed fsync made
//   durable (an fsync of its directory, or an fdatasync of the file it created), and any
//   number of those after it. (Under the 'per-directory' model, below, each directory
//   keeps its own prefix and only an fsync of the directory makes its operations durable.)
// - A file's data operations (write, truncate) that a completed fdatasync covers are on
//   disk. Those after it are not yet: a state keeps any subset of them, applied in any
//   order, and a kept write may be torn — only some of its 512-byte sectors written.
//
// Each crash point gets two fixed states (nothing unsynced kept; everything kept, in
// order) and then seeded samples of the choices above.
import type { Random } from '../../firmware-sim/random.ts';
import { isWithin, movedPath } from './recording-file-layer.ts';
import { isAcknowledgement, isData, isMetadata, type Acknowledgement, type DataOperation, type MetadataOperation, type Recording, type TraceEntry } from './trace.ts';

/** The unit a disk writes atomically; a torn write keeps whole sectors only. */
export const SECTOR_BYTES = 512;

export interface CrashState {
  /** How many trace entries completed before the crash. */
  crashPoint: number;
  /** How the unsynced operations were chosen, for a report: 'none', 'all', or 'sample <n>'. */
  choice: string;
  directories: Set<string>;
  files: Map<string, Buffer>;
  /** What the workload had been told before the crash, in order. */
  acknowledged: Acknowledgement[];
}

/** Which unsynced operations a state keeps. */
export interface UnsyncedChoice {
  /** How many of the unsynced metadata operations (in order) survive. */
  metadataKept: (count: number) => number;
  /** Whether an unsynced data operation survives. */
  dataKept: () => boolean;
  /** The order in which a file's surviving unsynced operations reach the disk (a permutation of indexes). */
  order: (count: number) => number[];
  /** The sectors of a surviving write that reach the disk (indexes into its sectors); all of them for a whole write. */
  sectorsKept: (count: number) => number[];
}

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

/** Keeps nothing that was not synced. */
export const KEEP_NONE: UnsyncedChoice = { metadataKept: () => 0, dataKept: () => false, order: range, sectorsKept: range };
/** Keeps every operation, whole and in order: the state a crash leaves when the page cache was written back in time. */
export const KEEP_ALL: UnsyncedChoice = { metadataKept: (count) => count, dataKept: () => true, order: range, sectorsKept: range };

/** Chance that a sampled state keeps an unsynced data operation: even odds, so every subset is as likely as any other. */
const KEEP_CHANCE = 0.5;
/** Chance that a sampled state reorders a file's kept operations: half, so that orders are checked against the recorded one as often. */
const REORDER_CHANCE = 0.5;
/** Chance that a kept write is torn: under half, so that a torn write is seen beside many whole ones. */
const TEAR_CHANCE = 0.3;
/** Share of torn writes cut at a sector (a prefix kept); the others lose sectors anywhere, as a disk reordering its writes may. */
const CUT_SHARE = 0.5;

/** A seeded choice: each unsynced data operation kept with even odds, sometimes reordered, sometimes torn at sectors. */
export function sampledChoice(random: Random): UnsyncedChoice {
  const shuffle = <T>(items: T[]): T[] => {
    for (let index = items.length - 1; index > 0; index--) {
      const other = random.integer(0, index);
      [items[index], items[other]] = [items[other]!, items[index]!];
    }
    return items;
  };
  return {
    metadataKept: (count) => random.integer(0, count),
    dataKept: () => random.next() < KEEP_CHANCE,
    order: (count) => (random.next() < REORDER_CHANCE ? shuffle(range(count)) : range(count)),
    sectorsKept: (count) => {
      if (random.next() >= TEAR_CHANCE) return range(count);
      if (random.next() < CUT_SHARE) return range(random.integer(0, count - 1));
      return range(count).filter(() => random.next() < KEEP_CHANCE);
    },
  };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The directories whose entries a metadata operation changes. */
function directoriesChanged(entry: TraceEntry): string[] {
  switch (entry.kind) {
    case 'rename': return [parentOf(entry.from), parentOf(entry.to)];
    case 'mkdir': case 'create': case 'unlink': case 'removeTree': return [parentOf(entry.path)];
    default: return [];
  }
}

/** The disk at a crash point with nothing unsynced: the namespace by path, and each file's contents by inode. */
interface DiskImage {
  directories: Set<string>;
  names: Map<string, number>;
  contents: Map<number, Buffer>;
}

function copyImage(image: DiskImage): DiskImage {
  // Contents are shared: a state copies a file's buffer before it changes it (applyData).
  return { directories: new Set(image.directories), names: new Map(image.names), contents: new Map(image.contents) };
}

/**
 * How metadata reaches the disk. 'ordered': in the order it was made, as ext4's journal
 * (data=ordered) commits it, and a file's fdatasync also makes its creation durable.
 * 'per-directory': each directory's operations in order, but directories independently of
 * one another, and only an fsync of the directory makes them durable — what POSIX promises,
 * and closer to f2fs or btrfs.
 */
export type MetadataModel = 'ordered' | 'per-directory';

/**
 * The states of one trace. Crash points are mostly asked for in increasing order, so the
 * synced part of the disk is carried forward from one point to the next (what is synced
 * stays synced) instead of replaying the trace for every state; an earlier point starts
 * the replay over.
 */
export class TraceIndex {
  readonly recording: Recording;
  readonly model: MetadataModel;
  /** Under 'ordered': forcedMetadata[k] is the highest trace index of a metadata operation durable once k entries completed; -1 for none. */
  readonly #forcedMetadata: Int32Array;
  #point = 0;
  #image!: DiskImage;
  /** Metadata operations not yet durable, by the group that orders them (one group, or a directory each), as trace indexes in order. */
  #pendingMetadata = new Map<string, number[]>();
  /** Each file's data operations not yet covered by an fdatasync, in trace order. */
  #unsynced = new Map<number, { index: number; operation: DataOperation }[]>();
  #acknowledged: Acknowledgement[] = [];

  constructor(recording: Recording, model: MetadataModel = 'ordered') {
    this.recording = recording;
    this.model = model;
    const { entries } = recording;
    const createdAt = new Map<number, number>();
    this.#forcedMetadata = new Int32Array(entries.length + 1).fill(-1);
    let forced = -1;
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      if (entry.kind === 'create') createdAt.set(entry.inode, index);
      if (entry.kind === 'sync') {
        const created = createdAt.get(entry.inode);
        if (created !== undefined && created < entry.issuedAt) forced = Math.max(forced, created);
      }
      if (entry.kind === 'syncDirectory') {
        for (let earlier = entry.issuedAt - 1; earlier > forced; earlier--) {
          if (directoriesChanged(entries[earlier]!).includes(entry.path)) {
            forced = earlier;
            break;
          }
        }
      }
      this.#forcedMetadata[index + 1] = forced;
    }
    this.#restart();
  }

  get length(): number {
    return this.recording.entries.length;
  }

  #restart(): void {
    const { base } = this.recording;
    this.#image = { directories: new Set(base.directories), names: new Map(), contents: new Map() };
    let inode = 1;
    for (const [path, bytes] of base.files) {
      this.#image.names.set(path, inode);
      this.#image.contents.set(inode++, bytes);
    }
    this.#point = 0;
    this.#pendingMetadata = new Map();
    this.#unsynced = new Map();
    this.#acknowledged = [];
  }

  /** The group whose order a metadata operation keeps. */
  #groupOf(entry: MetadataOperation): string {
    return this.model === 'ordered' ? '' : directoriesChanged(entry)[0]!;
  }

  /** Applies the pending metadata operations of `group` below trace index `until` to the synced image. */
  #makeDurable(group: string, until: number): void {
    const pending = this.#pendingMetadata.get(group) ?? [];
    let count = 0;
    while (count < pending.length && pending[count]! < until) applyMetadata(this.recording.entries[pending[count++]!] as MetadataOperation, this.#image);
    this.#pendingMetadata.set(group, pending.slice(count));
  }

  /** Moves the synced image forward to `crashPoint`. */
  #advance(crashPoint: number): void {
    if (crashPoint < this.#point) this.#restart();
    const { entries } = this.recording;
    for (; this.#point < crashPoint; this.#point++) {
      const entry = entries[this.#point]!;
      if (isMetadata(entry)) {
        const group = this.#groupOf(entry);
        this.#pendingMetadata.set(group, [...(this.#pendingMetadata.get(group) ?? []), this.#point]);
      } else if (isData(entry)) {
        this.#unsynced.set(entry.inode, [...(this.#unsynced.get(entry.inode) ?? []), { index: this.#point, operation: entry }]);
      } else if (entry.kind === 'sync') {
        const pending = this.#unsynced.get(entry.inode) ?? [];
        const covered = pending.filter(({ index }) => index < entry.issuedAt);
        for (const { operation } of covered) applyData(operation, this.#image.contents, undefined);
        this.#unsynced.set(entry.inode, pending.slice(covered.length));
      } else if (entry.kind === 'syncDirectory' && this.model === 'per-directory') {
        this.#makeDurable(entry.path, entry.issuedAt);
      } else if (isAcknowledgement(entry)) {
        this.#acknowledged.push(entry);
      }
    }
    if (this.model === 'ordered') this.#makeDurable('', this.#forcedMetadata[crashPoint]! + 1);
  }

  /** Builds the state a crash after `crashPoint` entries leaves, with the unsynced operations `choice` keeps. */
  state(crashPoint: number, choice: UnsyncedChoice, label: string): CrashState {
    this.#advance(crashPoint);
    const { entries } = this.recording;
    const image = copyImage(this.#image);
    // Each group keeps a prefix of its pending operations; applied together in the order they were made.
    const kept: number[] = [];
    for (const pending of this.#pendingMetadata.values()) kept.push(...pending.slice(0, choice.metadataKept(pending.length)));
    for (const index of kept.sort((a, b) => a - b)) applyMetadata(entries[index] as MetadataOperation, image);
    for (const pending of this.#unsynced.values()) {
      const keptData = pending.filter(() => choice.dataKept());
      for (const position of choice.order(keptData.length)) applyData(keptData[position]!.operation, image.contents, choice);
    }
    const files = new Map<string, Buffer>();
    for (const [path, inode] of image.names) files.set(path, image.contents.get(inode) ?? Buffer.alloc(0));
    return { crashPoint, choice: label, directories: image.directories, files, acknowledged: [...this.#acknowledged] };
  }
}

function applyMetadata(entry: MetadataOperation, image: DiskImage): void {
  const { directories, names } = image;
  switch (entry.kind) {
    case 'mkdir':
      for (let path = entry.path; path !== ''; path = parentOf(path)) directories.add(path);
      break;
    case 'create':
      names.set(entry.path, entry.inode);
      break;
    case 'rename': {
      const inode = names.get(entry.from);
      if (inode !== undefined) {
        names.delete(entry.from);
        names.set(entry.to, inode);
      }
      if (!directories.has(entry.from)) break;
      // A directory moves with everything under it.
      for (const [path, moved] of [...names]) {
        if (!isWithin(path, entry.from)) continue;
        names.delete(path);
        names.set(movedPath(path, entry.from, entry.to), moved);
      }
      for (const path of [...directories]) {
        if (!isWithin(path, entry.from)) continue;
        directories.delete(path);
        directories.add(movedPath(path, entry.from, entry.to));
      }
      break;
    }
    case 'unlink':
      names.delete(entry.path);
      break;
    case 'removeTree':
      for (const path of [...names.keys()]) if (isWithin(path, entry.path)) names.delete(path);
      for (const path of [...directories]) if (isWithin(path, entry.path)) directories.delete(path);
      break;
  }
}

/**
 * Applies a data operation to its file's contents; a write keeps only the sectors `choice`
 * picks (all, when undefined). The file gets a new buffer: the old one may be shared with
 * the synced image and with other states.
 */
function applyData(entry: DataOperation, contents: Map<number, Buffer>, choice: UnsyncedChoice | undefined): void {
  const old = contents.get(entry.inode) ?? Buffer.alloc(0);
  if (entry.kind === 'truncate') {
    contents.set(entry.inode, entry.length <= old.length ? old.subarray(0, entry.length) : Buffer.concat([old, Buffer.alloc(entry.length - old.length)]));
    return;
  }
  const pieces = sectorsOf(entry.position, entry.bytes.length, choice);
  const bytes = Buffer.alloc(Math.max(old.length, ...pieces.map(([, end]) => end)));
  old.copy(bytes);
  for (const [start, end] of pieces) entry.bytes.copy(bytes, start, start - entry.position, end - entry.position);
  contents.set(entry.inode, bytes);
}

/** The file ranges of a write that reach the disk: its pieces cut at sector boundaries of the file, those `choice` keeps. */
function sectorsOf(position: number, length: number, choice: UnsyncedChoice | undefined): [number, number][] {
  const pieces: [number, number][] = [];
  for (let start = position; start < position + length;) {
    const end = Math.min(position + length, (Math.floor(start / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    pieces.push([start, end]);
    start = end;
  }
  if (choice === undefined) return pieces;
  return choice.sectorsKept(pieces.length).map((index) => pieces[index]!);
}

// The trace of a recorded workload: every operation the log store made on its files, in
// the order the operations completed, and the moments the workload learned that an append
// or a DeleteRecords call was durable. Files are named by inode (a number given at their
// creation), so that data written before a rename follows the file to its new name.
import type { CompactionSettings } from './compaction-check.ts';

/** Operations that change the namespace; the model persists them in order (an ordered metadata journal, as ext4's). */
export type MetadataOperation =
  | { kind: 'mkdir'; path: string }
  | { kind: 'create'; path: string; inode: number }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'unlink'; path: string }
  | { kind: 'removeTree'; path: string };

/** Operations on a file's bytes; until the file's fdatasync they may reach the disk in any subset and order, torn at sectors. */
export type DataOperation =
  | { kind: 'write'; inode: number; position: number; bytes: Buffer }
  | { kind: 'truncate'; inode: number; length: number };

/**
 * A completed fdatasync of a file or fsync of a directory. It covers the operations that
 * had completed when it was issued (`issuedAt`, an index into the trace), not the ones
 * that completed while it ran.
 */
export type SyncOperation =
  | { kind: 'sync'; inode: number; issuedAt: number }
  | { kind: 'syncDirectory'; path: string; issuedAt: number };

/** What the workload was told: an append resolved (so its batch is acknowledged) or DeleteRecords moved the log start. */
export type Acknowledgement =
  | { kind: 'appended'; topic: string; partition: number; baseOffset: bigint; batch: Buffer }
  | { kind: 'logStartMoved'; topic: string; partition: number; logStartOffset: bigint };

/**
 * A line a recorded process wrote to its marker file, where its syscalls were traced
 * (sqlite/): what it had been told or had asked at that moment, for that process's checker
 * to read. The crash model passes over it.
 */
export type Marker = { kind: 'marker'; text: string };

export type TraceEntry = MetadataOperation | DataOperation | SyncOperation | Acknowledgement | Marker;

export function isMetadata(entry: TraceEntry): entry is MetadataOperation {
  return entry.kind === 'mkdir' || entry.kind === 'create' || entry.kind === 'rename' || entry.kind === 'unlink' || entry.kind === 'removeTree';
}

export function isData(entry: TraceEntry): entry is DataOperation {
  return entry.kind === 'write' || entry.kind === 'truncate';
}

export function isSync(entry: TraceEntry): entry is SyncOperation {
  return entry.kind === 'sync' || entry.kind === 'syncDirectory';
}

export function isAcknowledgement(entry: TraceEntry): entry is Acknowledgement {
  return entry.kind === 'appended' || entry.kind === 'logStartMoved';
}

/** The data directory as it was on disk when the trace began: paths relative to it. */
export interface BaseState {
  directories: string[];
  /** Every file, including those made outside the file layer (the SQLite topic catalog). */
  files: Map<string, Buffer>;
}

/** A recorded workload: the starting state and its trace. Paths are relative to the data directory. */
export interface Recording {
  base: BaseState;
  entries: TraceEntry[];
  /** The topics and partition counts of the workload; `compaction` for a compacted topic (compaction-check.ts). */
  topics: { name: string; partitions: number; compaction?: CompactionSettings }[];
  /** Each partition's log start when the workload ended ("topic-partition"): the furthest it ever moved, since it only moves forward. */
  finalLogStart: Map<string, bigint>;
}

// A pipeline task's durable state: one partition of its state topic
// (__pipeline.NAME.state, partition p for input partition p), written as a changelog.
//
// Format (every record CBOR-valued):
//   key "e<step>:<entry>"  value: the entry (window accumulator, dedupe time…); null deletes it
//   key "commit"           value: CommitMarker; ends a commit
// A commit is the changed entries followed by one marker, appended in one call after the
// commit's outputs are durable. At start the partition is read from its log start: the
// entries of each commit apply when its marker is reached, and whatever follows the last
// marker (a commit cut short by a crash) is ignored.
//
// Bounded without log compaction: when the bytes written since the last full snapshot
// exceed twice that snapshot (and SNAPSHOT_MIN_BYTES), the next commit writes every live
// entry with a marker flagged full, and once that is durable the records before it are
// deleted (DeleteRecords). When compaction exists, the topic can be compacted instead:
// entries are keyed by what they hold, deletions are tombstones, and the marker has one
// key, so the newest of each is what a compacted topic keeps; snapshots then go.
import { decodeCbor, encodeCbor } from '../../shared/payloads.ts';
import { decodeRecords, encodeRecordBatch, iterateBatchHeaders, type RecordInput } from '../../shared/kafka/record-batch.ts';
import type { TopicOverride } from '../../shared/config/topic-config.ts';
import type { PipelineLog, PipelinePartition } from './pipeline-log.ts';

/** Format version written in every marker; a marker of another version is refused, not guessed at. */
export const STATE_FORMAT_VERSION = 1;
/** Bytes of state records per batch: the state topic's maxMessageBytes (1 MiB by default) must hold one. */
export const STATE_BATCH_BYTES_MAX = 256 * 1024;
/** A full snapshot is not worth writing before the changelog holds this much. */
export const SNAPSHOT_MIN_BYTES = 1024 * 1024;
/** Bytes read from the state partition per read while restoring. */
const RESTORE_READ_BYTES = 1024 * 1024;
const MARKER_KEY = 'commit';
const ENTRY_PREFIX = 'e';

/** Settings of a state topic: kept until the pipeline trims it, in small segments so trimming frees space soon. */
export const STATE_TOPIC_SETTINGS: TopicOverride = { retentionMs: -1, retentionBytes: -1, segmentBytes: 8 * 1024 * 1024 };

export function stateTopicName(pipeline: string): string {
  return `__pipeline.${pipeline}.state`;
}

export interface CommitMarker {
  version: number;
  /** The next input offset to process. */
  position: bigint;
  /** The sequence number the next output gets. */
  sequence: bigint;
  /** Output partition this task writes, and its high watermark when the commit's outputs were durable. */
  outputPartition: number;
  outputEnd: bigint;
  /** The steps as declared when the state was written (plan.ts). */
  fingerprint: string;
  /** Per step, its scalars (stream time). */
  steps: Record<string, number>[];
  full: boolean;
}

export interface RestoredState {
  marker: CommitMarker | undefined;
  /** Live entries by step index, then entry key. */
  entries: Map<number, Map<string, unknown>>;
  /** Bytes read: the size of the changelog as it stands. */
  bytes: number;
  /** Uncommitted records found after the last marker (a commit a crash cut short). */
  discardedRecords: number;
}

export class StateLog {
  readonly topic: string;
  readonly index: number;
  readonly #log: PipelineLog;
  #bytesSinceSnapshot = 0;
  #lastSnapshotBytes = 0;

  constructor(log: PipelineLog, topic: string, index: number) {
    this.#log = log;
    this.topic = topic;
    this.index = index;
  }

  get #partition(): PipelinePartition {
    return this.#log.partition(this.topic, this.index);
  }

  async restore(): Promise<RestoredState> {
    const partition = this.#partition;
    const live = new Map<string, unknown>();
    let pending = new Map<string, unknown>();
    let pendingRecords = 0;
    let marker: CommitMarker | undefined;
    let bytes = 0;
    let bytesSinceSnapshot = 0;
    let offset = partition.logStartOffset;
    while (offset < partition.highWatermark) {
      const { batches } = await partition.read(offset, RESTORE_READ_BYTES);
      if (batches.length === 0) break;
      bytes += batches.length;
      bytesSinceSnapshot += batches.length;
      for (const header of iterateBatchHeaders(batches)) {
        for (const record of decodeRecords(batches, header.position)) {
          if (record.offset < offset) continue;
          const key = record.key?.toString('utf8') ?? '';
          if (key === MARKER_KEY) {
            const next = decodeMarker(record.value);
            if (next.full) {
              live.clear();
              bytesSinceSnapshot = 0;
            }
            for (const [entryKey, value] of pending) {
              if (value === null) live.delete(entryKey);
              else live.set(entryKey, value);
            }
            pending = new Map();
            pendingRecords = 0;
            marker = next;
          } else if (key.startsWith(ENTRY_PREFIX)) {
            pending.set(key, record.value === null ? null : decodeCbor(record.value));
            pendingRecords += 1;
          }
        }
        offset = header.lastOffset + 1n;
      }
    }
    this.#bytesSinceSnapshot = bytesSinceSnapshot;
    this.#lastSnapshotBytes = bytes - bytesSinceSnapshot;
    const entries = new Map<number, Map<string, unknown>>();
    for (const [key, value] of live) {
      const separator = key.indexOf(':');
      const step = Number(key.slice(ENTRY_PREFIX.length, separator));
      let stepEntries = entries.get(step);
      if (stepEntries === undefined) entries.set(step, stepEntries = new Map());
      stepEntries.set(key.slice(separator + 1), value);
    }
    return { marker, entries, bytes, discardedRecords: pendingRecords };
  }

  /** Whether the next commit should be a full snapshot (the changelog has grown past twice the last one). */
  get snapshotDue(): boolean {
    return this.#bytesSinceSnapshot > Math.max(SNAPSHOT_MIN_BYTES, 2 * this.#lastSnapshotBytes);
  }

  /**
   * Appends one commit (the entries, then the marker) and resolves once it is durable.
   * A full commit then deletes every record before it.
   */
  async commit(entries: Iterable<[step: number, key: string, value: unknown]>, marker: CommitMarker): Promise<{ bytes: number }> {
    const batches: Buffer[] = [];
    let records: RecordInput[] = [];
    let batchBytes = 0;
    const flush = (): void => {
      if (records.length === 0) return;
      batches.push(encodeRecordBatch({ records }));
      records = [];
      batchBytes = 0;
    };
    for (const [step, key, value] of entries) {
      const encoded = value === null ? null : encodeCbor(value);
      const record: RecordInput = { key: `${ENTRY_PREFIX}${step}:${key}`, value: encoded };
      const size = key.length + (encoded?.length ?? 0) + 16;
      if (batchBytes + size > STATE_BATCH_BYTES_MAX) flush();
      records.push(record);
      batchBytes += size;
    }
    records.push({ key: MARKER_KEY, value: encodeMarker(marker) });
    flush();
    const buffer = batches.length === 1 ? batches[0]! : Buffer.concat(batches);
    const result = await this.#partition.append(buffer);
    if (marker.full) {
      this.#lastSnapshotBytes = buffer.length;
      this.#bytesSinceSnapshot = 0;
      if (result.baseOffset > this.#partition.logStartOffset) await this.#log.deleteRecords(this.topic, this.index, result.baseOffset);
    } else {
      this.#bytesSinceSnapshot += buffer.length;
    }
    return { bytes: buffer.length };
  }
}

function encodeMarker(marker: CommitMarker): Buffer {
  return encodeCbor({
    version: marker.version,
    position: marker.position.toString(),
    sequence: marker.sequence.toString(),
    outputPartition: marker.outputPartition,
    outputEnd: marker.outputEnd.toString(),
    fingerprint: marker.fingerprint,
    steps: marker.steps,
    full: marker.full,
  });
}

function decodeMarker(value: Buffer | null): CommitMarker {
  const fields = (value === null ? {} : decodeCbor(value)) as Record<string, unknown>;
  if (fields.version !== STATE_FORMAT_VERSION) throw new Error(`state commit marker of format ${String(fields.version)}; this version reads format ${STATE_FORMAT_VERSION}`);
  return {
    version: STATE_FORMAT_VERSION,
    position: BigInt(fields.position as string),
    sequence: BigInt(fields.sequence as string),
    outputPartition: fields.outputPartition as number,
    outputEnd: BigInt(fields.outputEnd as string),
    fingerprint: fields.fingerprint as string,
    steps: (fields.steps ?? []) as Record<string, number>[],
    full: fields.full === true,
  };
}

// What compaction may do to a partition of a compacted topic, and what it may not. A
// cleaner pass rewrites batches (so an acknowledged batch no longer comes back whole) and
// removes records, leaving gaps in the offsets; what it removes is a record whose key has
// a newer record, and a tombstone older than delete.retention.ms. So on such a partition
// the checks are per record: every record served at an offset is the one acknowledged
// there, byte for byte (key, value, headers, timestamp); an acknowledged record may be
// missing only when a newer record of its key is acknowledged or served (it was shadowed),
// or when it is a tombstone and the topic lets tombstones go; offsets only increase.
import { createHash } from 'node:crypto';
import { decodeRecords, readBatchHeader, type DecodedRecord } from '../../shared/kafka/record-batch.ts';

/** How a compacted topic of the workload is set: whether its tombstones may be gone by the end (delete.retention.ms 0). */
export interface CompactionSettings {
  tombstonesRemovable: boolean;
}

/** One record as compared: its key (base64, or null) and a digest of all it carries. */
export interface RecordSeen {
  key: string | null;
  digest: string;
  tombstone: boolean;
}

/** The data records of served batches, by offset; control batches carry none. */
export function recordsOf(batches: Iterable<Buffer>): Map<bigint, RecordSeen> {
  const records = new Map<bigint, RecordSeen>();
  for (const bytes of batches) {
    if (readBatchHeader(bytes).isControlBatch) continue;
    for (const record of decodedRecords(bytes)) records.set(record.offset, seen(record));
  }
  return records;
}

/** Everything wrong with a compacted partition's records, given the batches acknowledged before the crash. */
export function judgeCompacted(served: Map<bigint, RecordSeen>, acknowledgedBatches: Buffer[], logStartOffset: bigint, settings: CompactionSettings): string[] {
  const acknowledged = recordsOf(acknowledgedBatches);
  // The newest offset of each key, among the records acknowledged and those served.
  const newestOfKey = new Map<string, bigint>();
  for (const records of [acknowledged, served]) {
    for (const [offset, record] of records) {
      if (record.key === null) continue;
      if ((newestOfKey.get(record.key) ?? -1n) < offset) newestOfKey.set(record.key, offset);
    }
  }
  const problems: string[] = [];
  for (const [offset, record] of acknowledged) {
    if (offset < logStartOffset) continue;
    const stored = served.get(offset);
    if (stored !== undefined) {
      if (stored.digest !== record.digest) problems.push(`acknowledged record at ${offset} came back with other bytes`);
      continue;
    }
    const shadowed = record.key !== null && (newestOfKey.get(record.key) ?? -1n) > offset;
    if (shadowed || (record.tombstone && settings.tombstonesRemovable)) continue;
    problems.push(`acknowledged record at ${offset} (key ${record.key === null ? 'null' : Buffer.from(record.key, 'base64').toString()}), the newest of its key${record.tombstone ? ', a tombstone the topic keeps' : ''}, is missing`);
  }
  return problems;
}

const decoded = new WeakMap<Buffer, DecodedRecord[]>();

/** An acknowledged batch's records are decoded once, however many states judge it. */
function decodedRecords(bytes: Buffer): DecodedRecord[] {
  let records = decoded.get(bytes);
  if (records === undefined) {
    records = decodeRecords(bytes);
    decoded.set(bytes, records);
  }
  return records;
}

function seen(record: DecodedRecord): RecordSeen {
  const hash = createHash('sha1');
  for (const part of [record.key, record.value]) hash.update(part === null ? 'null' : `${part.length}:`).update(part ?? Buffer.alloc(0));
  for (const header of record.headers) hash.update(`h${header.key.length}:${header.key}`).update(header.value ?? Buffer.from('null'));
  hash.update(`t${record.timestamp}`);
  return { key: record.key === null ? null : record.key.toString('base64'), digest: hash.digest('base64'), tombstone: record.value === null };
}

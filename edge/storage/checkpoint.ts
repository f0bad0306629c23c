// Small per-partition files beside the segments:
//
// `recovery-checkpoint` records how far the partition's log is known to be good: every
// batch before (segment, position) was synced and verified. It moves when a segment
// rolls (the rolled segment is synced first) and at a clean shutdown (to the end of the
// log). At start, recovery verifies every batch from there to the end.
//   magic "TRCP" u32, version u16, reserved u16, segment base offset i64, position i64,
//   next offset i64 (the offset of the batch at that position), CRC-32C u32.
//
// `partition.metadata` names the topic id the directory belongs to, so that a directory
// left behind by a deleted topic is never mistaken for a new topic of the same name.
//
// `log-start-offset` holds a log start offset that DeleteRecords moved past the oldest
// segment's base offset (KIP-107): records below it are gone to readers before retention
// deletes their segment, and stay gone after a restart.
//   magic "TRLS" u32, version u16, reserved u16, log start offset i64, CRC-32C u32.
//
// `cleaner-offset` holds where the last compaction of the partition ended: records from
// there on are dirty (not yet cleaned). Same layout with magic "TRCD". A lost or damaged
// file only makes the next pass treat the whole log as dirty, which loses nothing.
import { crc32c } from '@node-rs/crc32';
import { join } from 'node:path';
import type { FileLayer } from './file-io.ts';

export const RECOVERY_CHECKPOINT_FILE = 'recovery-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const LOG_START_OFFSET_FILE = 'log-start-offset';
export const CLEANER_OFFSET_FILE = 'cleaner-offset';

const CHECKPOINT_MAGIC = 0x54524350; // "TRCP"
const CHECKPOINT_VERSION = 1;
const CHECKPOINT_BYTES = 40;

export interface RecoveryCheckpoint {
  segmentBaseOffset: bigint;
  position: number;
  nextOffset: bigint;
}

export function encodeCheckpoint(checkpoint: RecoveryCheckpoint): Buffer {
  const buffer = Buffer.alloc(CHECKPOINT_BYTES);
  buffer.writeUInt32BE(CHECKPOINT_MAGIC, 0);
  buffer.writeUInt16BE(CHECKPOINT_VERSION, 4);
  buffer.writeBigInt64BE(checkpoint.segmentBaseOffset, 8);
  buffer.writeBigInt64BE(BigInt(checkpoint.position), 16);
  buffer.writeBigInt64BE(checkpoint.nextOffset, 24);
  buffer.writeUInt32BE(crc32c(buffer.subarray(0, 32)) >>> 0, 32);
  return buffer;
}

export function decodeCheckpoint(buffer: Buffer): RecoveryCheckpoint | { problem: string } {
  if (buffer.length !== CHECKPOINT_BYTES) return { problem: `checkpoint is ${buffer.length} bytes, expected ${CHECKPOINT_BYTES}` };
  if (buffer.readUInt32BE(0) !== CHECKPOINT_MAGIC || buffer.readUInt16BE(4) !== CHECKPOINT_VERSION) return { problem: 'checkpoint has a wrong magic number or version' };
  if ((crc32c(buffer.subarray(0, 32)) >>> 0) !== buffer.readUInt32BE(32)) return { problem: 'checkpoint fails its CRC-32C check' };
  return { segmentBaseOffset: buffer.readBigInt64BE(8), position: Number(buffer.readBigInt64BE(16)), nextOffset: buffer.readBigInt64BE(24) };
}

export async function readCheckpoint(files: FileLayer, directory: string): Promise<RecoveryCheckpoint | { problem: string } | undefined> {
  const data = await files.readWhole(join(directory, RECOVERY_CHECKPOINT_FILE));
  return data === undefined ? undefined : decodeCheckpoint(data);
}

export async function writeCheckpoint(files: FileLayer, directory: string, checkpoint: RecoveryCheckpoint): Promise<void> {
  await files.replaceDurably(join(directory, RECOVERY_CHECKPOINT_FILE), encodeCheckpoint(checkpoint));
}

export interface PartitionMetadata {
  topicId: string;
  topic: string;
  partition: number;
}

export async function readPartitionMetadata(files: FileLayer, directory: string): Promise<PartitionMetadata | undefined> {
  const data = await files.readWhole(join(directory, PARTITION_METADATA_FILE));
  if (data === undefined) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Partial<PartitionMetadata>;
    if (typeof parsed.topicId !== 'string' || typeof parsed.topic !== 'string' || typeof parsed.partition !== 'number') return undefined;
    return { topicId: parsed.topicId, topic: parsed.topic, partition: parsed.partition };
  } catch {
    return undefined;
  }
}

export async function writePartitionMetadata(files: FileLayer, directory: string, metadata: PartitionMetadata): Promise<void> {
  await files.replaceDurably(join(directory, PARTITION_METADATA_FILE), Buffer.from(`${JSON.stringify(metadata)}\n`));
}

/** A file holding one offset: which one, by its magic number and the words its messages use. */
interface OffsetFileKind {
  magic: number;
  what: string;
}

const LOG_START: OffsetFileKind = { magic: 0x54524c53, what: 'log start offset' }; // "TRLS"
const CLEANER_OFFSET: OffsetFileKind = { magic: 0x54524344, what: 'cleaner offset' }; // "TRCD"
const OFFSET_FILE_VERSION = 1;
const OFFSET_FILE_BYTES = 20;

function encodeOffsetFile(kind: OffsetFileKind, offset: bigint): Buffer {
  const buffer = Buffer.alloc(OFFSET_FILE_BYTES);
  buffer.writeUInt32BE(kind.magic, 0);
  buffer.writeUInt16BE(OFFSET_FILE_VERSION, 4);
  buffer.writeBigInt64BE(offset, 8);
  buffer.writeUInt32BE(crc32c(buffer.subarray(0, 16)) >>> 0, 16);
  return buffer;
}

function decodeOffsetFile(kind: OffsetFileKind, buffer: Buffer): bigint | { problem: string } {
  if (buffer.length !== OFFSET_FILE_BYTES) return { problem: `${kind.what} file is ${buffer.length} bytes, expected ${OFFSET_FILE_BYTES}` };
  if (buffer.readUInt32BE(0) !== kind.magic || buffer.readUInt16BE(4) !== OFFSET_FILE_VERSION) return { problem: `${kind.what} file has a wrong magic number or version` };
  if ((crc32c(buffer.subarray(0, 16)) >>> 0) !== buffer.readUInt32BE(16)) return { problem: `${kind.what} file fails its CRC-32C check` };
  const offset = buffer.readBigInt64BE(8);
  return offset < 0n ? { problem: `${kind.what} ${offset} is negative` } : offset;
}

export function encodeLogStartOffset(offset: bigint): Buffer {
  return encodeOffsetFile(LOG_START, offset);
}

export function decodeLogStartOffset(buffer: Buffer): bigint | { problem: string } {
  return decodeOffsetFile(LOG_START, buffer);
}

/** The log start offset DeleteRecords set, undefined when none was set, or the problem with the file. */
export async function readLogStartOffset(files: FileLayer, directory: string): Promise<bigint | { problem: string } | undefined> {
  const data = await files.readWhole(join(directory, LOG_START_OFFSET_FILE));
  return data === undefined ? undefined : decodeLogStartOffset(data);
}

export async function writeLogStartOffset(files: FileLayer, directory: string, offset: bigint): Promise<void> {
  await files.replaceDurably(join(directory, LOG_START_OFFSET_FILE), encodeLogStartOffset(offset));
}

/** Where the last compaction of the partition ended (its first dirty offset), undefined before the first, or the problem with the file. */
export async function readCleanerOffset(files: FileLayer, directory: string): Promise<bigint | { problem: string } | undefined> {
  const data = await files.readWhole(join(directory, CLEANER_OFFSET_FILE));
  return data === undefined ? undefined : decodeOffsetFile(CLEANER_OFFSET, data);
}

export async function writeCleanerOffset(files: FileLayer, directory: string, offset: bigint): Promise<void> {
  await files.replaceDurably(join(directory, CLEANER_OFFSET_FILE), encodeOffsetFile(CLEANER_OFFSET, offset));
}

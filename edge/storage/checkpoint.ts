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
import { crc32c } from '@node-rs/crc32';
import { join } from 'node:path';
import type { FileLayer } from './file-io.ts';

export const RECOVERY_CHECKPOINT_FILE = 'recovery-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const LOG_START_OFFSET_FILE = 'log-start-offset';

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

const LOG_START_MAGIC = 0x54524c53; // "TRLS"
const LOG_START_VERSION = 1;
const LOG_START_BYTES = 20;

export function encodeLogStartOffset(offset: bigint): Buffer {
  const buffer = Buffer.alloc(LOG_START_BYTES);
  buffer.writeUInt32BE(LOG_START_MAGIC, 0);
  buffer.writeUInt16BE(LOG_START_VERSION, 4);
  buffer.writeBigInt64BE(offset, 8);
  buffer.writeUInt32BE(crc32c(buffer.subarray(0, 16)) >>> 0, 16);
  return buffer;
}

export function decodeLogStartOffset(buffer: Buffer): bigint | { problem: string } {
  if (buffer.length !== LOG_START_BYTES) return { problem: `log start offset file is ${buffer.length} bytes, expected ${LOG_START_BYTES}` };
  if (buffer.readUInt32BE(0) !== LOG_START_MAGIC || buffer.readUInt16BE(4) !== LOG_START_VERSION) return { problem: 'log start offset file has a wrong magic number or version' };
  if ((crc32c(buffer.subarray(0, 16)) >>> 0) !== buffer.readUInt32BE(16)) return { problem: 'log start offset file fails its CRC-32C check' };
  const offset = buffer.readBigInt64BE(8);
  return offset < 0n ? { problem: `log start offset ${offset} is negative` } : offset;
}

/** The log start offset DeleteRecords set, undefined when none was set, or the problem with the file. */
export async function readLogStartOffset(files: FileLayer, directory: string): Promise<bigint | { problem: string } | undefined> {
  const data = await files.readWhole(join(directory, LOG_START_OFFSET_FILE));
  return data === undefined ? undefined : decodeLogStartOffset(data);
}

export async function writeLogStartOffset(files: FileLayer, directory: string, offset: bigint): Promise<void> {
  await files.replaceDurably(join(directory, LOG_START_OFFSET_FILE), encodeLogStartOffset(offset));
}

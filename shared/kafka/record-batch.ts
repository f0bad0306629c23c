// Kafka RecordBatch v2 (magic 2): the unit the log stores, the Kafka protocol carries
// and the mirror forwards. The format is Kafka's own (KIP-98, "Message format" in the
// Kafka documentation); every integer is big-endian.
//
//   offset  size  field
//        0     8  baseOffset              assigned by the log on append
//        8     4  batchLength             bytes after this field (whole batch = batchLength + 12)
//       12     4  partitionLeaderEpoch    set by the log on append; not covered by the CRC
//       16     1  magic                   2
//       17     4  crc                     CRC-32C (Castagnoli) of bytes 21 .. end of batch
//       21     2  attributes              bits 0-2 compression, 3 timestamp type, 4 transactional,
//                                         5 control batch, 6 has delete horizon
//       23     4  lastOffsetDelta
//       27     8  baseTimestamp
//       35     8  maxTimestamp
//       43     8  producerId              -1 when the producer is not idempotent
//       51     2  producerEpoch
//       53     4  baseSequence
//       57     4  recordCount
//       61     …  records (compressed as a whole when the compression bits are not 0)
//
// Because the CRC starts at the attributes, the log may rewrite baseOffset and
// partitionLeaderEpoch without recomputing it: a produced batch is stored as bytes.
//
// One record:
//   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
//   headerCount varint, then per header: keyLength varint, key (UTF-8), valueLength varint, value.
// Varints are zig-zag encoded like protobuf's sint32/sint64 (shared/kafka/protocol/varint.ts).
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../errors.ts';
import { CompressionCodes, type CompressionName } from './compression/codec.ts';
import { findCompressionCodec } from './compression/registry.ts';
import { ByteReader, DecodeFailure } from './protocol/reader.ts';
import { varintBytes, varlongBytes } from './protocol/varint.ts';
import { ByteWriter } from './protocol/writer.ts';

export const RECORD_BATCH_MAGIC = 2;
/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** baseOffset and batchLength precede the length-counted part of a batch. */
export const RECORD_BATCH_LOG_OVERHEAD = 12;

export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

const COMPRESSION_CODE_MAX = CompressionCodes.zstd;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface RecordBatchHeader {
  /** Byte position of the batch in the buffer it was read from. */
  position: number;
  baseOffset: bigint;
  batchLength: number;
  /** The whole batch: batchLength + 12. */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  /** 0 = CreateTime, 1 = LogAppendTime. */
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControlBatch: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  /** baseOffset + lastOffsetDelta. */
  lastOffset: bigint;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads every header field of the batch at `position`. The caller checks that 61 bytes are there. */
export function readBatchHeader(buffer: Buffer, position = 0): RecordBatchHeader {
  if (buffer.length - position < RECORD_BATCH_HEADER_BYTES) {
    throw new TributaryError('INVALID_RECORD_BATCH', `record batch header at byte ${position} is truncated: ${buffer.length - position} of ${RECORD_BATCH_HEADER_BYTES} bytes`, { position });
  }
  const baseOffset = buffer.readBigInt64BE(position + BatchField.baseOffset);
  const batchLength = buffer.readInt32BE(position + BatchField.batchLength);
  const attributes = buffer.readInt16BE(position + BatchField.attributes);
  const lastOffsetDelta = buffer.readInt32BE(position + BatchField.lastOffsetDelta);
  return {
    position,
    baseOffset,
    batchLength,
    sizeBytes: batchLength + RECORD_BATCH_LOG_OVERHEAD,
    partitionLeaderEpoch: buffer.readInt32BE(position + BatchField.partitionLeaderEpoch),
    magic: buffer.readInt8(position + BatchField.magic),
    crc: buffer.readUInt32BE(position + BatchField.crc),
    attributes,
    compression: attributes & COMPRESSION_MASK,
    timestampType: (attributes & TIMESTAMP_TYPE_BIT) !== 0 ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControlBatch: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    baseTimestamp: buffer.readBigInt64BE(position + BatchField.baseTimestamp),
    maxTimestamp: buffer.readBigInt64BE(position + BatchField.maxTimestamp),
    producerId: buffer.readBigInt64BE(position + BatchField.producerId),
    producerEpoch: buffer.readInt16BE(position + BatchField.producerEpoch),
    baseSequence: buffer.readInt32BE(position + BatchField.baseSequence),
    recordCount: buffer.readInt32BE(position + BatchField.recordCount),
  };
}

/** CRC-32C over attributes .. end of batch, the range the batch's crc field covers. */
export function computeBatchCrc(buffer: Buffer, position: number, sizeBytes: number): number {
  return crc32c(buffer.subarray(position + BatchField.attributes, position + sizeBytes)) >>> 0;
}

export function setBaseOffset(buffer: Buffer, position: number, baseOffset: bigint): void {
  buffer.writeBigInt64BE(baseOffset, position + BatchField.baseOffset);
}

export function setPartitionLeaderEpoch(buffer: Buffer, position: number, epoch: number): void {
  buffer.writeInt32BE(epoch, position + BatchField.partitionLeaderEpoch);
}

/** Why a batch was refused, with the byte (in the buffer checked) where the check failed. */
export interface BatchProblem {
  reason: 'truncated' | 'invalid-length' | 'bad-magic' | 'crc-mismatch' | 'bad-record-count' | 'bad-compression' | 'too-large';
  position: number;
  message: string;
}

export interface BatchCheckLimits {
  /** A batch larger than this is refused (reason 'too-large'). */
  maxBatchBytes?: number;
  /**
   * Producers must send lastOffsetDelta == recordCount - 1. A batch that log compaction
   * thinned keeps its last offset with fewer records (recordCount <= lastOffsetDelta + 1),
   * as Kafka's cleaner leaves it; false accepts that.
   */
  requireDenseOffsets?: boolean;
  /** Added to byte positions in problems, so that they name the place in a file rather than in a buffer. */
  positionBase?: number;
}

/**
 * Checks the batch at `position` without throwing: length consistent with the buffer,
 * magic 2, CRC-32C, recordCount >= 1 and consistent with lastOffsetDelta, a known
 * compression code and the size limit. Returns the header when it is sound.
 */
export function checkBatch(buffer: Buffer, position: number, limits: BatchCheckLimits = {}): { header: RecordBatchHeader } | { problem: BatchProblem } {
  const remaining = buffer.length - position;
  // Positions in messages and problems count from positionBase (the batch's place in its file).
  const at = position + (limits.positionBase ?? 0);
  if (remaining < RECORD_BATCH_HEADER_BYTES) {
    return { problem: { reason: 'truncated', position: at, message: `batch at byte ${at} is cut short: ${remaining} bytes left, a header needs ${RECORD_BATCH_HEADER_BYTES}` } };
  }
  const batchLength = buffer.readInt32BE(position + BatchField.batchLength);
  const sizeBytes = batchLength + RECORD_BATCH_LOG_OVERHEAD;
  if (sizeBytes < RECORD_BATCH_HEADER_BYTES) {
    return { problem: { reason: 'invalid-length', position: at, message: `batch at byte ${at} has batchLength ${batchLength}, less than the ${RECORD_BATCH_HEADER_BYTES - RECORD_BATCH_LOG_OVERHEAD} bytes of its own header` } };
  }
  if (limits.maxBatchBytes !== undefined && sizeBytes > limits.maxBatchBytes) {
    return { problem: { reason: 'too-large', position: at, message: `batch at byte ${at} is ${sizeBytes} bytes, larger than the limit of ${limits.maxBatchBytes} bytes` } };
  }
  if (sizeBytes > remaining) {
    return { problem: { reason: 'truncated', position: at, message: `batch at byte ${at} declares ${sizeBytes} bytes but only ${remaining} remain` } };
  }
  const magic = buffer.readInt8(position + BatchField.magic);
  if (magic !== RECORD_BATCH_MAGIC) {
    return { problem: { reason: 'bad-magic', position: at + BatchField.magic, message: `batch at byte ${at} has magic ${magic} at byte ${at + BatchField.magic}; only magic ${RECORD_BATCH_MAGIC} (RecordBatch v2) is accepted` } };
  }
  const storedCrc = buffer.readUInt32BE(position + BatchField.crc);
  const actualCrc = computeBatchCrc(buffer, position, sizeBytes);
  if (storedCrc !== actualCrc) {
    return { problem: { reason: 'crc-mismatch', position: at + BatchField.crc, message: `batch at byte ${at} fails its CRC-32C check (crc field at byte ${at + BatchField.crc}): stored 0x${storedCrc.toString(16)}, computed 0x${actualCrc.toString(16)} over bytes ${at + BatchField.attributes}..${at + sizeBytes}` } };
  }
  const header = readBatchHeader(buffer, position);
  if (header.recordCount < 1) {
    return { problem: { reason: 'bad-record-count', position: at + BatchField.recordCount, message: `batch at byte ${at} has recordCount ${header.recordCount} at byte ${at + BatchField.recordCount}; a batch holds at least one record` } };
  }
  if (header.lastOffsetDelta < 0 || header.recordCount > header.lastOffsetDelta + 1 || ((limits.requireDenseOffsets ?? true) && header.lastOffsetDelta !== header.recordCount - 1)) {
    return { problem: { reason: 'bad-record-count', position: at + BatchField.lastOffsetDelta, message: `batch at byte ${at} has lastOffsetDelta ${header.lastOffsetDelta} at byte ${at + BatchField.lastOffsetDelta} but recordCount ${header.recordCount}; they must agree (lastOffsetDelta = recordCount - 1)` } };
  }
  if (header.compression > COMPRESSION_CODE_MAX) {
    return { problem: { reason: 'bad-compression', position: at + BatchField.attributes, message: `batch at byte ${at} names compression code ${header.compression} at byte ${at + BatchField.attributes}; known codes are 0-${COMPRESSION_CODE_MAX}` } };
  }
  return { header };
}

/** Like checkBatch, but throws INVALID_RECORD_BATCH (or RECORD_TOO_LARGE) naming the check and the byte. */
export function verifyBatch(buffer: Buffer, position = 0, limits: BatchCheckLimits = {}): RecordBatchHeader {
  const result = checkBatch(buffer, position, limits);
  if ('problem' in result) {
    const code = result.problem.reason === 'too-large' ? 'RECORD_TOO_LARGE' : 'INVALID_RECORD_BATCH';
    throw new TributaryError(code, result.problem.message, { position: result.problem.position, reason: result.problem.reason });
  }
  return result.header;
}

/**
 * Verifies every batch of a buffer holding one or more whole batches back to back and
 * returns their headers. Throws on the first problem; a buffer with a partial batch at
 * the end is refused.
 */
export function verifyBatches(buffer: Buffer, limits: BatchCheckLimits = {}): RecordBatchHeader[] {
  if (buffer.length === 0) throw new TributaryError('INVALID_RECORD_BATCH', 'no record batch: the buffer is empty', { position: 0 });
  const headers: RecordBatchHeader[] = [];
  for (let position = 0; position < buffer.length;) {
    const header = verifyBatch(buffer, position, limits);
    headers.push(header);
    position += header.sizeBytes;
  }
  return headers;
}

/** Headers of the whole batches in `buffer`, in order; stops before a partial batch. Checks nothing but the lengths. */
export function* iterateBatchHeaders(buffer: Buffer): Generator<RecordBatchHeader> {
  for (let position = 0; buffer.length - position >= RECORD_BATCH_HEADER_BYTES;) {
    const size = buffer.readInt32BE(position + BatchField.batchLength) + RECORD_BATCH_LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_BYTES || size > buffer.length - position) return;
    yield readBatchHeader(buffer, position);
    position += size;
  }
}

/** The attribute code of a compression given by name or code. */
function compressionCodeOf(compression: CompressionName | number | undefined): number {
  if (compression === undefined) return CompressionCodes.none;
  if (typeof compression === 'number') return compression;
  const code = CompressionCodes[compression];
  if (code === undefined) throw new RangeError(`unknown compression "${String(compression)}"`);
  return code;
}

// ---------------------------------------------------------------------------------------
// Encoding and decoding records.

export interface RecordHeaderInput {
  key: string;
  value: Buffer | string | null;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: RecordHeaderInput[];
  /** Defaults to now. */
  timestampMs?: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface EncodeRecordBatchOptions {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  compression?: CompressionName | number;
  isTransactional?: boolean;
  /**
   * Defaults to the largest offsetDelta. A batch whose last records were removed by log
   * compaction keeps its original last offset, so a producer's sequence range stays whole (KIP-98).
   */
  lastOffsetDelta?: number;
  /** A control batch (KIP-98 transaction markers); see control-batch.ts. */
  isControl?: boolean;
}

export interface DecodedRecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: bigint;
  offsetDelta: number;
  timestamp: bigint;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: DecodedRecordHeader[];
}

/** Bytes of a key, value or header as a record carries it: a varint length (-1 for null), then the bytes (strings as UTF-8). */
function dataSize(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return 1;
  const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  return varintBytes(bytes) + bytes;
}

function writeData(writer: ByteWriter, data: Buffer | string | null | undefined): void {
  if (typeof data !== 'string') {
    writer.writeVarintNullableBytes(data ?? null);
    return;
  }
  const bytes = Buffer.byteLength(data, 'utf8');
  writer.writeVarint(bytes).writeUtf8(data, bytes);
}

/** Encodes records into one RecordBatch v2 with a valid CRC-32C. */
export function encodeRecordBatch(options: EncodeRecordBatchOptions): Buffer {
  const { records } = options;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const now = BigInt(Date.now());
  const timestamps = records.map((record) => (record.timestampMs === undefined ? now : BigInt(record.timestampMs)));
  const baseTimestamp = timestamps[0]!;
  let maxTimestamp = baseTimestamp;
  for (const timestamp of timestamps) if (timestamp > maxTimestamp) maxTimestamp = timestamp;

  // Each record's length prefix comes first, so its size is counted before it is written.
  const body = new ByteWriter(records.length * 32 + 64);
  let lastOffsetDelta = 0;
  records.forEach((record, index) => {
    const offsetDelta = record.offsetDelta ?? index;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    const timestampDelta = timestamps[index]! - baseTimestamp;
    const headers = record.headers ?? [];
    let recordBytes = 1 + varlongBytes(timestampDelta) + varintBytes(offsetDelta)
      + dataSize(record.key) + dataSize(record.value) + varintBytes(headers.length);
    for (const header of headers) recordBytes += dataSize(header.key) + dataSize(header.value);
    body.writeVarint(recordBytes);
    body.writeInt8(0);
    body.writeVarlong(timestampDelta);
    body.writeVarint(offsetDelta);
    writeData(body, record.key);
    writeData(body, record.value);
    body.writeVarint(headers.length);
    for (const header of headers) {
      writeData(body, header.key);
      writeData(body, header.value);
    }
  });

  const compression = compressionCodeOf(options.compression);
  let recordsBytes = body.toBuffer();
  if (compression !== CompressionCodes.none) {
    const codec = findCompressionCodec(compression);
    if (codec === undefined) throw new RangeError(`no codec for compression code ${compression}`);
    recordsBytes = codec.compress(recordsBytes);
  }

  const batch = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + recordsBytes.length);
  let attributes = compression;
  if (options.isTransactional) attributes |= TRANSACTIONAL_BIT;
  if (options.isControl) attributes |= CONTROL_BIT;
  batch.writeBigInt64BE(options.baseOffset ?? 0n, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - RECORD_BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BatchField.partitionLeaderEpoch);
  batch.writeInt8(RECORD_BATCH_MAGIC, BatchField.magic);
  batch.writeInt16BE(attributes, BatchField.attributes);
  batch.writeInt32BE(Math.max(lastOffsetDelta, options.lastOffsetDelta ?? 0), BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  batch.writeBigInt64BE(options.producerId ?? NO_PRODUCER_ID, BatchField.producerId);
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, BatchField.producerEpoch);
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BatchField.baseSequence);
  batch.writeInt32BE(records.length, BatchField.recordCount);
  recordsBytes.copy(batch, RECORD_BATCH_HEADER_BYTES);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchField.crc);
  return batch;
}

/**
 * Decodes the records of the batch at `position` (uncompressed, or compressed with any of
 * Kafka's codecs). Does not check the CRC; verify first when the bytes are untrusted.
 */
export function decodeRecords(buffer: Buffer, position = 0): DecodedRecord[] {
  const header = readBatchHeader(buffer, position);
  const end = position + header.sizeBytes;
  if (header.sizeBytes < RECORD_BATCH_HEADER_BYTES || end > buffer.length) {
    throw new TributaryError('INVALID_RECORD_BATCH', `batch at byte ${position} declares ${header.sizeBytes} bytes but the buffer holds ${buffer.length - position}`, { position });
  }
  let records = buffer.subarray(position + RECORD_BATCH_HEADER_BYTES, end);
  let where = `records of the batch at byte ${position}`;
  if (header.compression !== CompressionCodes.none) {
    const codec = findCompressionCodec(header.compression);
    if (codec === undefined) {
      throw new TributaryError('INVALID_RECORD_BATCH', `batch at byte ${position} uses compression code ${header.compression}, which names no codec`, { position, compression: header.compression });
    }
    try {
      records = codec.decompress(records);
    } catch (error) {
      throw new TributaryError('INVALID_RECORD_BATCH', `batch at byte ${position}: ${codec.name} data does not decompress: ${(error as Error).message}`, { position }, { cause: error });
    }
    where = `decompressed ${where}`;
  }
  const reader = new ByteReader(records);
  try {
    return readRecords(reader, header);
  } catch (error) {
    if (error instanceof DecodeFailure) {
      throw new TributaryError('INVALID_RECORD_BATCH', `${where}: ${error.message} at byte ${error.byteOffset}`, { position: error.byteOffset }, { cause: error });
    }
    throw error;
  }
}

function readRecords(reader: ByteReader, header: RecordBatchHeader): DecodedRecord[] {
  const decoded: DecodedRecord[] = [];
  for (let index = 0; index < header.recordCount; index++) {
    const lengthOffset = reader.offset;
    const length = reader.readVarint();
    const recordEnd = reader.offset + length;
    if (length < 0 || recordEnd > reader.end) reader.fail(`record ${index} length ${length} is invalid`, lengthOffset);
    const attributes = reader.readInt8();
    const timestampDelta = reader.readVarlong();
    const offsetDelta = reader.readVarint();
    const key = reader.readVarintNullableBytes('key');
    const value = reader.readVarintNullableBytes('value');
    const headerCount = reader.readVarint();
    if (headerCount < 0) reader.fail(`header count ${headerCount} is invalid`);
    const headers: DecodedRecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = reader.readVarintNullableBytes('header key');
      if (headerKey === null) reader.fail('header key is null');
      headers.push({ key: headerKey.toString('utf8'), value: reader.readVarintNullableBytes('header value') });
    }
    if (reader.offset !== recordEnd) reader.fail(`record ${index} declares ${length} bytes but its fields take ${length + reader.offset - recordEnd}`);
    decoded.push({
      offset: header.baseOffset + BigInt(offsetDelta),
      offsetDelta,
      timestamp: header.timestampType === 1 ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      attributes,
      key,
      value,
      headers,
    });
  }
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes follow the last of ${header.recordCount} records`);
  return decoded;
}

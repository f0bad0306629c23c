// The compression codecs of Kafka record batches (attribute bits 0-2): gzip, snappy, lz4 and
// zstd, each able to compress and decompress. Decompression takes a limit on its output and
// checks it before allocating wherever the format declares sizes, so a small hostile batch
// cannot expand into a large allocation.
//
// - gzip and zstd: node:zlib (zstd needs Node 24), with `maxOutputLength`.
// - snappy: the `snappy` package (napi-rs, prebuilt for x64, arm64 and armv7 Linux). Java
//   clients frame snappy the way xerial's SnappyOutputStream does (a 16-byte header, then
//   chunks each prefixed with its int32 length); librdkafka and kafkajs may send a plain snappy
//   block. Both are decoded; we write the xerial framing, which every client reads.
// - lz4: the `lz4-napi` package (napi-rs over lz4_flex) for the LZ4 frame format that Kafka
//   uses since message format v1 (KIP-57). The frame is walked here first to bound its output
//   by its block count and block size, and concatenated frames are decoded one by one.
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from 'snappy';
import { TributaryError } from '../errors.ts';
import { registerCompressionCodec } from './record-batch.ts';

/**
 * Default bound on what one decompression may produce. A record batch is at most a frame
 * (100 MiB) but is usually far below 1 MiB; 64 MiB leaves room for highly compressible
 * batches while keeping a hostile one from exhausting the memory of a small device.
 */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

/** Input per xerial snappy chunk, as xerial's SnappyOutputStream (Kafka's default) writes it. */
const XERIAL_CHUNK_BYTES = 32 * 1024;

export interface CompressionCodec {
  /** The code in record batch attribute bits 0-2. */
  readonly code: number;
  readonly name: 'gzip' | 'snappy' | 'lz4' | 'zstd';
  compress(data: Buffer): Buffer;
  /** Throws TributaryError COMPRESSED_DATA_CORRUPT or DECOMPRESSED_TOO_LARGE. */
  decompress(data: Buffer, maxOutputBytes?: number): Buffer;
}

function corrupt(name: string, reason: string, cause?: unknown): TributaryError {
  return new TributaryError('COMPRESSED_DATA_CORRUPT', `${name} data cannot be decompressed: ${reason}`, { codec: name }, { cause });
}

function tooLarge(name: string, maxOutputBytes: number): TributaryError {
  return new TributaryError(
    'DECOMPRESSED_TOO_LARGE',
    `${name} data expands beyond the limit of ${maxOutputBytes} bytes`,
    { codec: name, maxOutputBytes },
  );
}

function zlibDecompress(name: 'gzip' | 'zstd', decompress: () => Buffer, maxOutputBytes: number): Buffer {
  try {
    return decompress();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxOutputBytes);
    throw corrupt(name, (error as Error).message, error);
  }
}

export const gzipCodec: CompressionCodec = {
  code: 1,
  name: 'gzip',
  compress: (data) => gzipSync(data),
  decompress: (data, maxOutputBytes = DECOMPRESSED_BYTES_MAX) =>
    zlibDecompress('gzip', () => gunzipSync(data, { maxOutputLength: maxOutputBytes }), maxOutputBytes),
};

export const zstdCodec: CompressionCodec = {
  code: 4,
  name: 'zstd',
  compress: (data) => zstdCompressSync(data),
  decompress: (data, maxOutputBytes = DECOMPRESSED_BYTES_MAX) =>
    zlibDecompress('zstd', () => zstdDecompressSync(data, { maxOutputLength: maxOutputBytes }), maxOutputBytes),
};

// --- snappy -----------------------------------------------------------------------------

/** xerial's stream header: magic "\x82SNAPPY\0", then int32 version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;

/** A snappy block starts with its uncompressed length as an unsigned varint (at most 32 bits). */
function snappyBlockLength(block: Buffer): number {
  let value = 0;
  for (let index = 0; index < 5 && index < block.length; index++) {
    const byte = block[index]!;
    value += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) return value;
  }
  throw corrupt('snappy', 'the block does not start with a valid length');
}

function snappyBlock(block: Buffer, budget: number, maxOutputBytes: number): Buffer {
  if (snappyBlockLength(block) > budget) throw tooLarge('snappy', maxOutputBytes);
  try {
    return snappyUncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw corrupt('snappy', (error as Error).message, error);
  }
}

function snappyDecompress(data: Buffer, maxOutputBytes = DECOMPRESSED_BYTES_MAX): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyBlock(data, maxOutputBytes, maxOutputBytes);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let offset = XERIAL_HEADER_BYTES;
  while (offset < data.length) {
    if (data.length - offset < 4) throw corrupt('snappy', `xerial chunk length at byte ${offset} is cut short`);
    const chunkBytes = data.readInt32BE(offset);
    offset += 4;
    if (chunkBytes < 0 || chunkBytes > data.length - offset) {
      throw corrupt('snappy', `xerial chunk at byte ${offset - 4} declares ${chunkBytes} bytes but ${data.length - offset} remain`);
    }
    const part = snappyBlock(data.subarray(offset, offset + chunkBytes), maxOutputBytes - total, maxOutputBytes);
    parts.push(part);
    total += part.length;
    offset += chunkBytes;
  }
  return Buffer.concat(parts, total);
}

function snappyCompress(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  const parts: Buffer[] = [header];
  for (let offset = 0; offset < data.length; offset += XERIAL_CHUNK_BYTES) {
    const block = snappyCompressSync(data.subarray(offset, offset + XERIAL_CHUNK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export const snappyCodec: CompressionCodec = { code: 2, name: 'snappy', compress: snappyCompress, decompress: snappyDecompress };

// --- lz4 --------------------------------------------------------------------------------

// LZ4 frame format (lz4_Frame_format.md): magic, FLG, BD, [content size], [dictionary id],
// header checksum, then blocks (uint32 LE size, high bit set when stored uncompressed, optional
// block checksum) up to a zero end mark, then an optional content checksum.
const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MIN = 0x184d2a50;
const LZ4_SKIPPABLE_MAGIC_MAX = 0x184d2a5f;
const LZ4_BLOCK_BYTES_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

interface Lz4Frame { start: number; end: number; outputBytesMax: number }

/** Finds the frames in `data` and the most each can produce, without decompressing. */
function lz4Frames(data: Buffer): Lz4Frame[] {
  const frames: Lz4Frame[] = [];
  let offset = 0;
  const need = (byteCount: number, what: string) => {
    if (data.length - offset < byteCount) throw corrupt('lz4', `${what} at byte ${offset} is cut short`);
  };
  while (offset < data.length) {
    const start = offset;
    need(4, 'frame magic');
    const magic = data.readUInt32LE(offset);
    offset += 4;
    if (magic >= LZ4_SKIPPABLE_MAGIC_MIN && magic <= LZ4_SKIPPABLE_MAGIC_MAX) {
      need(4, 'skippable frame size');
      const size = data.readUInt32LE(offset);
      offset += 4;
      need(size, 'skippable frame');
      offset += size;
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt('lz4', `no LZ4 frame magic at byte ${start}`);
    need(3, 'frame descriptor');
    const flags = data[offset]!;
    const blockDescriptor = data[offset + 1]!;
    offset += 2;
    if (flags >> 6 !== 1) throw corrupt('lz4', `frame at byte ${start} has version ${flags >> 6}, not 1`);
    const blockChecksum = (flags & 0x10) !== 0;
    const contentSizePresent = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    const dictionaryIdPresent = (flags & 0x01) !== 0;
    const blockBytesMax = LZ4_BLOCK_BYTES_MAX[(blockDescriptor >> 4) & 0x07];
    if (blockBytesMax === undefined) throw corrupt('lz4', `frame at byte ${start} has an invalid block size code`);
    let contentSize: number | null = null;
    if (contentSizePresent) {
      need(8, 'content size');
      const declared = data.readBigUInt64LE(offset);
      contentSize = declared > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(declared);
      offset += 8;
    }
    if (dictionaryIdPresent) {
      need(4, 'dictionary id');
      offset += 4;
    }
    need(1, 'header checksum');
    offset += 1;
    let outputBytesMax = 0;
    for (;;) {
      need(4, 'block size');
      const word = data.readUInt32LE(offset);
      offset += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const blockBytes = word & 0x7fffffff;
      if (blockBytes > blockBytesMax) throw corrupt('lz4', `block at byte ${offset - 4} is larger than the frame's block size`);
      need(blockBytes + (blockChecksum ? 4 : 0), 'block');
      offset += blockBytes + (blockChecksum ? 4 : 0);
      outputBytesMax += stored ? blockBytes : blockBytesMax;
    }
    if (contentChecksum) {
      need(4, 'content checksum');
      offset += 4;
    }
    frames.push({ start, end: offset, outputBytesMax: contentSize ?? outputBytesMax });
  }
  if (frames.length === 0) throw corrupt('lz4', 'there is no LZ4 frame');
  return frames;
}

function lz4Decompress(data: Buffer, maxOutputBytes = DECOMPRESSED_BYTES_MAX): Buffer {
  const frames = lz4Frames(data);
  const parts: Buffer[] = [];
  let total = 0;
  for (const frame of frames) {
    // The bound counts every compressed block as full, so a frame may claim up to one block
    // more than it holds; the exact size is checked again after decompression.
    if (frame.outputBytesMax > maxOutputBytes - total + LZ4_BLOCK_BYTES_MAX[7]!) throw tooLarge('lz4', maxOutputBytes);
    let part: Buffer;
    try {
      part = decompressFrameSync(data.subarray(frame.start, frame.end));
    } catch (error) {
      throw corrupt('lz4', (error as Error).message, error);
    }
    total += part.length;
    if (total > maxOutputBytes) throw tooLarge('lz4', maxOutputBytes);
    parts.push(part);
  }
  return Buffer.concat(parts, total);
}

export const lz4Codec: CompressionCodec = {
  code: 3,
  name: 'lz4',
  compress: (data) => compressFrameSync(data),
  decompress: lz4Decompress,
};

// --- table ------------------------------------------------------------------------------

/** Every codec, by ascending attribute code. Code 0 is "no compression" and has no codec. */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = [gzipCodec, snappyCodec, lz4Codec, zstdCodec];

const byCode = new Map(COMPRESSION_CODECS.map((codec) => [codec.code, codec]));
const byName = new Map(COMPRESSION_CODECS.map((codec) => [codec.name, codec]));

/** The codec for an attribute code or name; throws COMPRESSION_UNSUPPORTED for others. */
export function compressionCodec(codeOrName: number | string): CompressionCodec {
  const codec = typeof codeOrName === 'number' ? byCode.get(codeOrName) : byName.get(codeOrName as CompressionCodec['name']);
  if (codec === undefined) {
    throw new TributaryError(
      'COMPRESSION_UNSUPPORTED',
      `compression ${JSON.stringify(codeOrName)} is not one of ${COMPRESSION_CODECS.map((c) => `${c.code} (${c.name})`).join(', ')}`,
      { compression: codeOrName },
    );
  }
  return codec;
}

export function compress(codeOrName: number | string, data: Buffer): Buffer {
  return compressionCodec(codeOrName).compress(data);
}

export function decompress(codeOrName: number | string, data: Buffer, maxOutputBytes = DECOMPRESSED_BYTES_MAX): Buffer {
  return compressionCodec(codeOrName).decompress(data, maxOutputBytes);
}

// Record batches (record-batch.ts) look their codecs up in a table of their own, which has
// gzip and zstd built in. Loading this module puts all four codecs there, with the output
// limit on decompression, so a process that imports it once reads snappy and lz4 batches too.
for (const codec of COMPRESSION_CODECS) registerCompressionCodec(codec.code, codec);

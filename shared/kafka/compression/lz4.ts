// lz4 through the `lz4-napi` package (napi-rs over lz4_flex), for the LZ4 frame format that
// Kafka uses since message format v1 (KIP-57). The frame is walked here first to bound its
// output by its block count and block size, and concatenated frames are decoded one by one.
import { CompressionCodes, corrupt, DECOMPRESSED_BYTES_MAX, packageOnFirstUse, tooLarge, type CompressionCodec } from './codec.ts';

const lz4 = packageOnFirstUse<typeof import('lz4-napi')>('lz4', 'lz4-napi');

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
    // Loaded outside the try: a package that cannot load is COMPRESSION_UNSUPPORTED, not a corrupt batch.
    const { decompressFrameSync } = lz4();
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
  code: CompressionCodes.lz4,
  name: 'lz4',
  compress: (data) => lz4().compressFrameSync(data),
  decompress: lz4Decompress,
};

// snappy through the `snappy` package (napi-rs, prebuilt for x64, arm64 and armv7 Linux). Java
// clients frame snappy the way xerial's SnappyOutputStream does (a 16-byte header, then chunks
// each prefixed with its int32 length); librdkafka and kafkajs may send a plain snappy block.
// Both are decoded; we write the xerial framing, which every client reads.
import { ByteReader, DecodeFailure } from '../protocol/reader.ts';
import { CompressionCodes, corrupt, DECOMPRESSED_BYTES_MAX, packageOnFirstUse, tooLarge, type CompressionCodec } from './codec.ts';

const snappy = packageOnFirstUse<typeof import('snappy')>('snappy', 'snappy');

/** Input per xerial snappy chunk, as xerial's SnappyOutputStream (Kafka's default) writes it. */
const XERIAL_CHUNK_BYTES = 32 * 1024;
/** xerial's stream header: magic "\x82SNAPPY\0", then int32 version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;

/** A snappy block starts with its uncompressed length as an unsigned varint (at most 32 bits). */
function snappyBlockLength(block: Buffer): number {
  try {
    return new ByteReader(block).readUnsignedVarint();
  } catch (error) {
    if (error instanceof DecodeFailure) throw corrupt('snappy', `the block does not start with a valid length: ${error.message}`, error);
    throw error;
  }
}

function snappyBlock(block: Buffer, budget: number, maxOutputBytes: number): Buffer {
  if (snappyBlockLength(block) > budget) throw tooLarge('snappy', maxOutputBytes);
  // Loaded outside the try: a package that cannot load is COMPRESSION_UNSUPPORTED, not a corrupt batch.
  const { uncompressSync } = snappy();
  try {
    return uncompressSync(block, { asBuffer: true }) as Buffer;
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
    const block = snappy().compressSync(data.subarray(offset, offset + XERIAL_CHUNK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export const snappyCodec: CompressionCodec = { code: CompressionCodes.snappy, name: 'snappy', compress: snappyCompress, decompress: snappyDecompress };

// The one list of compression codecs: every reader and writer of record batches finds its
// codec here, by attribute code or by name. The list is written out below rather than
// filled in by modules as they load, so every process that reads a batch has all four.
import { TributaryError } from '../../errors.ts';
import { DECOMPRESSED_BYTES_MAX, type CompressionCodec } from './codec.ts';
import { lz4Codec } from './lz4.ts';
import { snappyCodec } from './snappy.ts';
import { gzipCodec, zstdCodec } from './zlib-codecs.ts';

/** Every codec, by ascending attribute code. Code 0 is "no compression" and has no codec. */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = [gzipCodec, snappyCodec, lz4Codec, zstdCodec];

const byCode = new Map(COMPRESSION_CODECS.map((codec) => [codec.code, codec]));
const byName = new Map<string, CompressionCodec>(COMPRESSION_CODECS.map((codec) => [codec.name, codec]));

/** The codec for an attribute code, or undefined for 0 (none) and for codes Kafka does not define. */
export function findCompressionCodec(code: number): CompressionCodec | undefined {
  return byCode.get(code);
}

/** The codec for an attribute code or name; throws COMPRESSION_UNSUPPORTED for others. */
export function compressionCodec(codeOrName: number | string): CompressionCodec {
  const codec = typeof codeOrName === 'number' ? byCode.get(codeOrName) : byName.get(codeOrName);
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

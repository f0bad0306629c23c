// gzip and zstd through node:zlib (zstd needs Node 24), whose `maxOutputLength` bounds what
// one decompression may produce.
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CompressionCodes, corrupt, DECOMPRESSED_BYTES_MAX, tooLarge, type CompressionCodec } from './codec.ts';

/** A codec of node:zlib, whose decompression stops at `maxOutputBytes` with ERR_BUFFER_TOO_LARGE. */
function zlibCodec(
  name: 'gzip' | 'zstd',
  compress: (data: Buffer) => Buffer,
  decompress: (data: Buffer, options: { maxOutputLength: number }) => Buffer,
): CompressionCodec {
  return {
    code: CompressionCodes[name],
    name,
    compress: (data) => compress(data),
    decompress: (data, maxOutputBytes = DECOMPRESSED_BYTES_MAX) => {
      try {
        return decompress(data, { maxOutputLength: maxOutputBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxOutputBytes);
        throw corrupt(name, (error as Error).message, error);
      }
    },
  };
}

export const gzipCodec = zlibCodec('gzip', (data) => gzipSync(data), (data, options) => gunzipSync(data, options));
export const zstdCodec = zlibCodec('zstd', (data) => zstdCompressSync(data), (data, options) => zstdDecompressSync(data, options));

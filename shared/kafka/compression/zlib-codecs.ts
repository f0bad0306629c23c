// gzip and zstd through node:zlib (zstd needs Node 24), whose `maxOutputLength` bounds what
// one decompression may produce.
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CompressionCodes, corrupt, DECOMPRESSED_BYTES_MAX, tooLarge, type CompressionCodec } from './codec.ts';

function zlibDecompress(name: 'gzip' | 'zstd', decompress: () => Buffer, maxOutputBytes: number): Buffer {
  try {
    return decompress();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxOutputBytes);
    throw corrupt(name, (error as Error).message, error);
  }
}

export const gzipCodec: CompressionCodec = {
  code: CompressionCodes.gzip,
  name: 'gzip',
  compress: (data) => gzipSync(data),
  decompress: (data, maxOutputBytes = DECOMPRESSED_BYTES_MAX) =>
    zlibDecompress('gzip', () => gunzipSync(data, { maxOutputLength: maxOutputBytes }), maxOutputBytes),
};

export const zstdCodec: CompressionCodec = {
  code: CompressionCodes.zstd,
  name: 'zstd',
  compress: (data) => zstdCompressSync(data),
  decompress: (data, maxOutputBytes = DECOMPRESSED_BYTES_MAX) =>
    zlibDecompress('zstd', () => zstdDecompressSync(data, { maxOutputLength: maxOutputBytes }), maxOutputBytes),
};

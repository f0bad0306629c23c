// What every compression codec of Kafka record batches is: its code in the batch attributes,
// its name, and a decompression that takes a limit on its output and checks it before
// allocating wherever the format declares sizes, so a small hostile batch cannot expand into
// a large allocation. The codecs themselves are in the files beside this one, and
// registry.ts is the one list of them.
import { createRequire } from 'node:module';
import { TributaryError } from '../../errors.ts';

/** Compression codes carried in record batch attribute bits 0-2 (Kafka's CompressionType). */
export const CompressionCodes = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionCodes;
/** The names of the codecs: every compression but none. */
export type CodecName = Exclude<CompressionName, 'none'>;

/**
 * Default bound on what one decompression may produce. A record batch is at most a frame
 * (100 MiB) but is usually far below 1 MiB; 64 MiB leaves room for highly compressible
 * batches while keeping a hostile one from exhausting the memory of a small device.
 */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

export interface CompressionCodec {
  /** The code in record batch attribute bits 0-2. */
  readonly code: number;
  readonly name: CodecName;
  compress(data: Buffer): Buffer;
  /** Throws TributaryError COMPRESSED_DATA_CORRUPT or DECOMPRESSED_TOO_LARGE. */
  decompress(data: Buffer, maxOutputBytes?: number): Buffer;
}

export function corrupt(name: CodecName, reason: string, cause?: unknown): TributaryError {
  return new TributaryError('COMPRESSED_DATA_CORRUPT', `${name} data cannot be decompressed: ${reason}`, { codec: name }, { cause });
}

export function tooLarge(name: CodecName, maxOutputBytes: number): TributaryError {
  return new TributaryError(
    'DECOMPRESSED_TOO_LARGE',
    `${name} data expands beyond the limit of ${maxOutputBytes} bytes`,
    { codec: name, maxOutputBytes },
  );
}

const requirePackage = createRequire(import.meta.url);

/**
 * The native package behind a codec, loaded when the codec is first used. Each of snappy and
 * lz4-napi (napi-rs addons) adds about 2.5 MB to the resident size once loaded, and a daemon
 * whose clients never send those codecs need not pay it (bench/storage-footprint.ts measures
 * it). A package that cannot be loaded on this platform refuses that codec alone.
 */
export function packageOnFirstUse<Package>(name: CodecName, packageName: string): () => Package {
  let loaded: Package | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = requirePackage(packageName) as Package;
    } catch (error) {
      throw new TributaryError('COMPRESSION_UNSUPPORTED', `${name} compression needs the package ${packageName}, which cannot be loaded here: ${(error as Error).message}`, { compression: name, package: packageName }, { cause: error });
    }
    return loaded;
  };
}

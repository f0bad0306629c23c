// The record-batch codecs: round trips, data made by other implementations (the lz4 command
// line tool, @platformatic/kafka's WebAssembly snappy and lz4, xerial framing built by hand),
// and refusal of corrupt data and of data that would expand past the limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressionsAlgorithms } from '@platformatic/kafka';
import { compressSync as snappyRawCompress } from 'snappy';
import { DECOMPRESSED_BYTES_MAX } from '../../../shared/kafka/compression/codec.ts';
import { lz4Codec } from '../../../shared/kafka/compression/lz4.ts';
import { COMPRESSION_CODECS, compress, compressionCodec, decompress, findCompressionCodec } from '../../../shared/kafka/compression/registry.ts';
import { snappyCodec } from '../../../shared/kafka/compression/snappy.ts';
import { TributaryError } from '../../../shared/errors.ts';
import { decodeRecords, encodeRecordBatch } from '../../../shared/kafka/record-batch.ts';
import { requireProgram } from '../../helpers/system-programs.ts';

/** Text-like data that compresses, with enough variety that a wrong byte shows. */
function sampleData(byteCount: number): Buffer {
  const data = Buffer.alloc(byteCount);
  let seed = 12345;
  for (let index = 0; index < byteCount; index++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[index] = 0x61 + ((seed >> 16) % 8);
  }
  return data;
}

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof TributaryError) return error.code;
    throw error;
  }
  throw new Error('expected a TributaryError');
}

test('every codec round-trips empty, small and multi-block data', () => {
  for (const codec of COMPRESSION_CODECS) {
    for (const byteCount of [0, 1, 1000, 100_000, 5 * 1024 * 1024]) {
      const data = sampleData(byteCount);
      const compressed = codec.compress(data);
      assert.ok(compressed.length < byteCount || byteCount < 100, `${codec.name} compresses ${byteCount} bytes`);
      assert.ok(codec.decompress(compressed).equals(data), `${codec.name} ${byteCount} bytes`);
    }
  }
});

test('codecs are found by record batch attribute code and by name', () => {
  assert.equal(COMPRESSION_CODECS.map((codec) => [codec.code, codec.name]), [[1, 'gzip'], [2, 'snappy'], [3, 'lz4'], [4, 'zstd']]);
  assert.is(compressionCodec(3), lz4Codec);
  assert.is(compressionCodec('snappy'), snappyCodec);
  assert.ok(decompress('zstd', compress(4, Buffer.from('x'))).equals(Buffer.from('x')));
  assert.is(errorCode(() => compressionCodec(5)), 'COMPRESSION_UNSUPPORTED');
  assert.is(errorCode(() => compressionCodec(0)), 'COMPRESSION_UNSUPPORTED');
  assert.is(errorCode(() => compressionCodec('brotli')), 'COMPRESSION_UNSUPPORTED');
});

test('snappy: plain blocks (librdkafka, kafkajs) and xerial framing (Java clients) both decode', () => {
  const data = sampleData(100_000);
  // A plain block from the snappy library and one from @platformatic/kafka's WebAssembly build.
  assert.ok(snappyCodec.decompress(snappyRawCompress(data)).equals(data));
  assert.ok(snappyCodec.decompress(compressionsAlgorithms.snappy.compressSync(data)).equals(data));
  // xerial framing as Java's SnappyOutputStream writes it: header, then length-prefixed blocks.
  const chunks = [data.subarray(0, 32768), data.subarray(32768, 65536), data.subarray(65536)];
  const framed = Buffer.concat([
    Buffer.from('82534e41505059000000000100000001', 'hex'),
    ...chunks.flatMap((chunk) => {
      const block = snappyRawCompress(chunk);
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      return [length, block];
    }),
  ]);
  assert.ok(snappyCodec.decompress(framed).equals(data));
});

test('snappy: what we write is xerial-framed and read by another implementation', () => {
  const data = sampleData(100_000);
  const compressed = snappyCodec.compress(data);
  assert.is(compressed.subarray(0, 16).toString('hex'), '82534e41505059000000000100000001');
  assert.ok(Buffer.from(compressionsAlgorithms.snappy.decompressSync(compressed)).equals(data));
});

test('lz4: frames from the lz4 tool, with content size and checksums, decode', () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-'));
  try {
    const data = sampleData(300_000);
    const input = join(directory, 'data');
    writeFileSync(input, data);
    // -BD: linked blocks; --content-size; -BX: block checksums; 64 KiB blocks (-B4).
    for (const flags of [['-B4'], ['-B4', '--content-size', '-BX'], ['-B7', '--no-frame-crc'], ['-B5', '-BD']]) {
      const output = join(directory, `data-${flags.join('')}.lz4`);
      execFileSync(requireProgram('lz4'), ['-q', '-f', ...flags, input, output]);
      assert.ok(lz4Codec.decompress(readFileSync(output)).equals(data), flags.join(' '));
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('lz4: what we write is read by the lz4 tool and by another implementation', () => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-'));
  try {
    const data = sampleData(300_000);
    const compressed = lz4Codec.compress(data);
    const input = join(directory, 'data.lz4');
    writeFileSync(input, compressed);
    assert.ok(execFileSync(requireProgram('lz4'), ['-q', '-d', '-c', input], { maxBuffer: 1 << 24 }).equals(data));
    assert.ok(Buffer.from(compressionsAlgorithms.lz4.decompressSync(compressed)).equals(data));
    assert.ok(lz4Codec.decompress(compressionsAlgorithms.lz4.compressSync(data)).equals(data));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('lz4: concatenated frames decode one after another', () => {
  const first = sampleData(1000);
  const second = sampleData(5000);
  const joined = Buffer.concat([lz4Codec.compress(first), lz4Codec.compress(second)]);
  assert.ok(lz4Codec.decompress(joined).equals(Buffer.concat([first, second])));
});

test('data that expands past the limit is refused', () => {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const limit = 1024 * 1024;
  for (const codec of COMPRESSION_CODECS) {
    const compressed = codec.compress(zeros);
    assert.ok(compressed.length < 512 * 1024, `${codec.name} shrinks zeros`);
    assert.is(errorCode(() => codec.decompress(compressed, limit)), 'DECOMPRESSED_TOO_LARGE', codec.name);
    assert.is(codec.decompress(compressed, zeros.length).length, zeros.length, `${codec.name} at the limit`);
  }
  assert.is(DECOMPRESSED_BYTES_MAX, 64 * 1024 * 1024);
});

test('snappy refuses a block that declares more than the limit before decompressing it', () => {
  // A plain block declaring 2^31 bytes of output, with nothing behind the claim.
  assert.is(errorCode(() => snappyCodec.decompress(Buffer.from('8080808008', 'hex'))), 'DECOMPRESSED_TOO_LARGE');
  // xerial chunks each under the limit, adding up to more than it.
  const block = snappyRawCompress(Buffer.alloc(40_000));
  const length = Buffer.alloc(4);
  length.writeInt32BE(block.length);
  const framed = Buffer.concat([Buffer.from('82534e41505059000000000100000001', 'hex'), length, block, length, block]);
  assert.is(errorCode(() => snappyCodec.decompress(framed, 50_000)), 'DECOMPRESSED_TOO_LARGE');
  assert.is(snappyCodec.decompress(framed, 80_000).length, 80_000);
});

test('corrupt or truncated data is refused with COMPRESSED_DATA_CORRUPT', () => {
  const garbage = Buffer.from('this is not compressed data at all, not in any format');
  for (const codec of COMPRESSION_CODECS) {
    assert.is(errorCode(() => codec.decompress(garbage)), 'COMPRESSED_DATA_CORRUPT', codec.name);
  }
  const data = sampleData(200_000);
  for (const codec of COMPRESSION_CODECS) {
    const compressed = codec.compress(data);
    // Cut at a spread of places, including inside headers and at block boundaries.
    for (let length = 0; length < compressed.length; length += Math.max(1, Math.floor(compressed.length / 97))) {
      const cut = compressed.subarray(0, length);
      let outcome: string;
      try {
        const output = codec.decompress(cut);
        // A cut at a chunk boundary of xerial snappy leaves a shorter but valid stream.
        outcome = output.equals(data) ? 'whole' : 'shorter';
      } catch (error) {
        outcome = error instanceof TributaryError ? error.code : `unexpected ${(error as Error).message}`;
      }
      assert.ok(
        outcome === 'COMPRESSED_DATA_CORRUPT' || (codec.name === 'snappy' && outcome === 'shorter'),
        `${codec.name} cut at ${length}: ${outcome}`,
      );
    }
  }
});

test('an lz4 frame whose block claims more than the frame block size is corrupt', () => {
  const frame = Buffer.from(lz4Codec.compress(sampleData(1000)));
  // FLG/BD at bytes 4-5; the first block size follows the 1-byte header checksum at 6.
  frame.writeUInt32LE(0x7fffffff, 7);
  assert.is(errorCode(() => lz4Codec.decompress(frame)), 'COMPRESSED_DATA_CORRUPT');
});

test('record batches are compressed and read with the registry\'s codecs', () => {
  for (const codec of COMPRESSION_CODECS) {
    assert.is(findCompressionCodec(codec.code), codec, codec.name);
    const batch = encodeRecordBatch({ records: [{ key: Buffer.from('device-1'), value: sampleData(5000) }], compression: codec.code });
    const [record] = decodeRecords(batch);
    assert.ok(record!.value!.equals(sampleData(5000)), codec.name);
  }
});

test.run();

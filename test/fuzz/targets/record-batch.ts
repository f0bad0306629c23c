// RecordBatch v2 (KIP-98) as a broker receives it from a client or reads it back from a
// segment: the header checks (lengths, magic, CRC-32C, counts, codec), then the records,
// decompressed by whichever codec the attributes name. Refusals are TributaryErrors that
// say which check failed at which byte.
//
// Input layout: one control byte, then the batch. Mutated bytes rarely keep a CRC right or
// stay valid compressed data, so the control byte can repair the batch first (its length,
// magic and CRC) and compress its records section with the codec it names: the mutations
// then reach the record decoder under every codec, as well as the decompressors' own
// handling of corrupt data when it does not.
import { isTributaryError, type ErrorCode } from '../../../shared/errors.ts';
import { DECOMPRESSED_BYTES_MAX } from '../../../shared/kafka/compression/codec.ts';
import { compress } from '../../../shared/kafka/compression/registry.ts';
import { BatchField, checkBatch, computeBatchCrc, decodeRecords, RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_LOG_OVERHEAD, RECORD_BATCH_MAGIC, verifyBatches } from '../../../shared/kafka/record-batch.ts';
import type { FuzzTarget } from './target.ts';

/** Control bit: set batchLength, magic and the CRC to match the bytes. */
const REPAIR = 0x01;
/** Control bit: compress the records section with the codec in the attributes (with REPAIR). */
const COMPRESS = 0x02;

const EXPECTED: ReadonlySet<ErrorCode> = new Set(['INVALID_RECORD_BATCH', 'RECORD_TOO_LARGE', 'COMPRESSED_DATA_CORRUPT', 'DECOMPRESSED_TOO_LARGE', 'COMPRESSION_UNSUPPORTED']);

/** Decompression may produce up to its limit, and zlib gathers its output in chunks before joining them. */
const ALLOCATION_BASE_BYTES = 2 * DECOMPRESSED_BYTES_MAX + 1024 * 1024;
const ALLOCATION_PER_INPUT_BYTE = 16;

function prepare(input: Buffer): Buffer {
  const control = input[0] ?? 0;
  let batch = input.subarray(1);
  if ((control & REPAIR) === 0 || batch.length < RECORD_BATCH_HEADER_BYTES) return batch;
  batch = Buffer.from(batch);
  const codecCode = batch.readInt16BE(BatchField.attributes) & 0x07;
  if ((control & COMPRESS) !== 0 && codecCode >= 1 && codecCode <= 4) {
    const records = compress(codecCode, batch.subarray(RECORD_BATCH_HEADER_BYTES));
    batch = Buffer.concat([batch.subarray(0, RECORD_BATCH_HEADER_BYTES), records]);
  }
  batch.writeInt32BE(batch.length - RECORD_BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt8(RECORD_BATCH_MAGIC, BatchField.magic);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchField.crc);
  return batch;
}

const target: FuzzTarget = {
  fuzz(input) {
    const batch = prepare(input);
    // checkBatch reports problems as data; it must not throw on any bytes.
    checkBatch(batch, 0, { requireDenseOffsets: false });
    try {
      verifyBatches(batch);
    } catch (error) {
      if (!isTributaryError(error)) throw error;
    }
    decodeRecords(batch);
  },
  isExpectedError: (error) => isTributaryError(error) && EXPECTED.has(error.code),
  allocationBytesMax: (input) => ALLOCATION_BASE_BYTES + ALLOCATION_PER_INPUT_BYTE * input.length,
};
export default target;

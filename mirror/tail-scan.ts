// The tail scan: how the mirror learns, from the central cluster itself, what it has
// already delivered. It reads a target partition backwards from its end, window by
// window, until it finds the newest record whose headers name this edge, topic and
// partition (see source-headers.ts). The next source offset to send is the one after it.
//
// The same record's batch also names the idempotent producer that wrote it (KIP-98:
// producer id, epoch, first sequence). The mirror carries on with that producer id and
// the next sequence number, so that the cluster's duplicate check applies across mirror
// restarts too: a request of an earlier run that arrives late is refused as out of order
// instead of being appended twice (see partition-mirror.ts).
//
// With the default template every record of a target partition comes from one source, so
// the first window (the last record) is enough. When several edges share a target topic
// (a template without {edge}) the scan reads further back, up to TAIL_SCAN_BYTES_MAX.
import { TributaryError } from '../shared/errors.ts';
import type { HeaderLike } from './source-headers.ts';

/** The scan reads at most this much of one partition; past it the mirror refuses to guess where it stands. */
export const TAIL_SCAN_BYTES_MAX = 256 * 1024 * 1024;
/** Bytes asked for per read during the scan. */
const TAIL_SCAN_READ_BYTES = 1024 * 1024;
/** Each window is this many times longer (in offsets) than the one before. */
const WINDOW_GROWTH = 4n;
/** Kafka sequence numbers are int32 and wrap to 0 after the largest (KIP-98). */
const SEQUENCE_MODULUS = 2 ** 31;

export interface TargetRecord {
  offset: bigint;
  headers: readonly HeaderLike[];
}

export interface TargetBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  sizeBytes: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: readonly TargetRecord[];
}

export interface TargetPartitionReader {
  offsets(): Promise<{ logStartOffset: bigint; highWatermark: bigint }>;
  /** Whole batches from the one holding `offset` onwards, about `maxBytes` of them; empty at the end. */
  read(offset: bigint, maxBytes: number): Promise<TargetBatch[]>;
}

export interface ProducerContinuation {
  producerId: bigint;
  producerEpoch: number;
  /** The sequence number of the record after the last one delivered. */
  nextSequence: number;
}

export interface DeliveredPosition {
  /** The newest source offset found on the target; undefined when nothing of this source is there. */
  lastDeliveredOffset: bigint | undefined;
  /** The producer that wrote it, when it was an idempotent one. */
  producer: ProducerContinuation | undefined;
  /** The target partition's end when the scan began. */
  targetHighWatermark: bigint;
  /** The target partition's log start when the scan began: above 0 once retention removed records. */
  targetLogStartOffset: bigint;
  scannedBytes: number;
}

export interface TailScanOptions {
  /** The source offset a target record came from, when it came from the source being mirrored; undefined for others. */
  sourceOffsetOf(headers: readonly HeaderLike[]): bigint | undefined;
  /** Names the source in errors: "edge pump-7 (sensors/2)". */
  source: string;
  /** Where the scan stands, for errors: "central topic pump-7.sensors partition 2". */
  where: string;
  bytesMax?: number;
}

export async function scanTail(reader: TargetPartitionReader, options: TailScanOptions): Promise<DeliveredPosition> {
  const bytesMax = options.bytesMax ?? TAIL_SCAN_BYTES_MAX;
  const { logStartOffset, highWatermark } = await reader.offsets();
  let scanEnd = highWatermark;
  let window = 1n;
  let scannedBytes = 0;
  while (scanEnd > logStartOffset) {
    const from = scanEnd - window > logStartOffset ? scanEnd - window : logStartOffset;
    let newest: { record: TargetRecord; batch: TargetBatch; sourceOffset: bigint } | undefined;
    let position = from;
    while (position < scanEnd) {
      const batches = await reader.read(position, TAIL_SCAN_READ_BYTES);
      if (batches.length === 0) break;
      for (const batch of batches) {
        scannedBytes += batch.sizeBytes;
        for (const record of batch.records) {
          if (record.offset < from || record.offset >= scanEnd) continue;
          const sourceOffset = options.sourceOffsetOf(record.headers);
          if (sourceOffset !== undefined) newest = { record, batch, sourceOffset };
        }
      }
      const next = batches[batches.length - 1]!.lastOffset + 1n;
      // A reader that does not move forward would loop for ever; the data is then unusable.
      if (next <= position) {
        throw new TributaryError('MIRROR_TARGET_FAILED', `${options.where}: reading at offset ${position} returned no newer batch`, { offset: position });
      }
      position = next;
      if (scannedBytes > bytesMax && newest === undefined) {
        throw new TributaryError('MIRROR_TARGET_FAILED', `${options.where}: no record from ${options.source} in the last ${scannedBytes} bytes; the scan stops at ${bytesMax} bytes rather than guess where the mirror stands. Give each edge its own target topics ({edge} in mirror.topics.template)`, { scannedBytes });
      }
    }
    if (newest !== undefined) {
      return {
        lastDeliveredOffset: newest.sourceOffset,
        producer: continuationOf(newest.batch, newest.record),
        targetHighWatermark: highWatermark,
        targetLogStartOffset: logStartOffset,
        scannedBytes,
      };
    }
    scanEnd = from;
    window *= WINDOW_GROWTH;
  }
  return { lastDeliveredOffset: undefined, producer: undefined, targetHighWatermark: highWatermark, targetLogStartOffset: logStartOffset, scannedBytes };
}

function continuationOf(batch: TargetBatch, record: TargetRecord): ProducerContinuation | undefined {
  if (batch.producerId < 0n || batch.baseSequence < 0) return undefined;
  const recordSequence = (batch.baseSequence + Number(record.offset - batch.baseOffset)) % SEQUENCE_MODULUS;
  return { producerId: batch.producerId, producerEpoch: batch.producerEpoch, nextSequence: nextSequence(recordSequence, 1) };
}

/** The sequence `count` records after `sequence`, wrapping at int32 like Kafka's. */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % SEQUENCE_MODULUS;
}

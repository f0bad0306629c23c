// Control batches (KIP-98): the transaction markers a transaction coordinator writes into
// every partition of a transaction when it ends. A control batch holds one record whose key
// says what it is and whose value carries the coordinator epoch:
//   key   => version int16 (0), type int16 (0 = ABORT, 1 = COMMIT)
//   value => version int16 (0), coordinator_epoch int32
// (apache/kafka ControlRecordType and EndTransactionMarker). Both the transactional and the
// control attribute bits are set, with the producer's id and epoch and no sequence.
import { TributaryError } from '../errors.ts';
import { decodeRecords, encodeRecordBatch, type RecordBatchHeader } from './record-batch.ts';

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;
export type TransactionMarker = 'commit' | 'abort';

const CONTROL_KEY_VERSION = 0;
const END_TRANSACTION_MARKER_VERSION = 0;

export interface MarkerBatchOptions {
  producerId: bigint;
  producerEpoch: number;
  marker: TransactionMarker;
  coordinatorEpoch: number;
  timestampMs?: number;
}

/** One control batch holding the end-of-transaction marker. */
export function encodeMarkerBatch(options: MarkerBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(options.marker === 'commit' ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(END_TRANSACTION_MARKER_VERSION, 0);
  value.writeInt32BE(options.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key, value, timestampMs: options.timestampMs }],
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    isTransactional: true,
    isControl: true,
  });
}

/**
 * The marker a control batch holds, or undefined for a control batch of another kind
 * (Kafka defines LEADER_CHANGE and others that carry no transaction outcome).
 * `batch` holds the whole batch from its first byte.
 */
export function markerOf(header: RecordBatchHeader, batch: Buffer): TransactionMarker | undefined {
  if (!header.isControlBatch) return undefined;
  const [record] = decodeRecords(batch, 0);
  const key = record?.key;
  if (key === null || key === undefined || key.length < 4) {
    throw new TributaryError('INVALID_RECORD_BATCH', `control batch at offset ${header.baseOffset} has no control record key`, { offset: header.baseOffset });
  }
  const type = key.readInt16BE(2);
  if (type === ControlRecordType.COMMIT) return 'commit';
  if (type === ControlRecordType.ABORT) return 'abort';
  return undefined;
}

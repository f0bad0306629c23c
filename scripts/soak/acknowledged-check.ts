// The soak's loss check: every record the edge acknowledged — each device reading a
// simulated device got a PUBACK for, each record the Kafka producer got an acknowledgement
// for — must be on the central once the mirror has caught up. The edge's retention deletes
// what the mirror delivered, so the central is where all of them must be.
//
// Alongside: source offsets the central holds twice (the mirror delivers exactly once, so
// there must be none), and readings found more than once (a QoS 1 publish resent after a
// reconnect is a second record by MQTT's own rules; counted, not a loss).
import type { DecodedRecord } from '../../shared/kafka/record-batch.ts';
import { decodeReading } from '../../firmware-sim/payloads.ts';
import { SequenceSet, type SequenceRange } from '../../firmware-sim/sim/sequence-set.ts';
import { header, kafkaClient, readPartition } from '../../test/mirror/cluster.ts';
import { SourceHeader } from '../../mirror/source-headers.ts';

/** Missing records named in the report at most; the count says how many there are. */
const EXAMPLES_MAX = 10;

export interface AcknowledgedSource {
  /** The target topic on the central and its partitions. */
  topic: string;
  partitions: number;
  /** The record's producer and number, from its value; undefined for a record that is not one of the soak's. */
  identify: (record: DecodedRecord) => { producer: string; sequence: number } | undefined;
  /** Acknowledged numbers per producer (device id, or the Kafka producer's name). */
  acknowledged: Map<string, readonly SequenceRange[]>;
}

export interface AcknowledgedCheck {
  topic: string;
  acknowledged: number;
  found: number;
  missing: number;
  missingExamples: string[];
  /** Acknowledged records found more than once (an MQTT QoS 1 resend is a new record). */
  repeated: number;
  /** Source offsets the central holds more than once: the mirror delivered a record twice. */
  duplicateSourceOffsets: number;
  /** Records on the central that are not the soak's. */
  unrecognised: number;
}

/** The device and sequence of a simulated device's reading. */
export function identifyReading(record: DecodedRecord): { producer: string; sequence: number } | undefined {
  if (record.value === null) return undefined;
  try {
    const reading = decodeReading(record.value);
    return { producer: reading.deviceId, sequence: reading.sequence };
  } catch {
    return undefined;
  }
}

export async function checkAcknowledged(centralBootstrap: string, source: AcknowledgedSource): Promise<AcknowledgedCheck> {
  const client = kafkaClient(centralBootstrap, 'soak-check');
  const found = new Map<string, SequenceSet>();
  const result: AcknowledgedCheck = { topic: source.topic, acknowledged: 0, found: 0, missing: 0, missingExamples: [], repeated: 0, duplicateSourceOffsets: 0, unrecognised: 0 };
  try {
    for (let partition = 0; partition < source.partitions; partition++) {
      const sourceOffsets = new Set<string>();
      for (const record of await readPartition(client, source.topic, partition)) {
        const sourceOffset = `${header(record, SourceHeader.partition)}/${header(record, SourceHeader.offset)}`;
        if (sourceOffsets.has(sourceOffset)) result.duplicateSourceOffsets += 1;
        sourceOffsets.add(sourceOffset);
        const identity = source.identify(record);
        if (identity === undefined) {
          result.unrecognised += 1;
          continue;
        }
        let sequences = found.get(identity.producer);
        if (sequences === undefined) found.set(identity.producer, sequences = new SequenceSet());
        if (!sequences.add(identity.sequence)) result.repeated += 1;
      }
    }
  } finally {
    await client.close();
  }
  for (const [producer, ranges] of source.acknowledged) {
    const sequences = found.get(producer);
    for (const [first, last] of ranges) {
      for (let sequence = first; sequence <= last; sequence++) {
        result.acknowledged += 1;
        if (sequences?.has(sequence)) {
          result.found += 1;
          continue;
        }
        result.missing += 1;
        if (result.missingExamples.length < EXAMPLES_MAX) result.missingExamples.push(`${producer} #${sequence}`);
      }
    }
  }
  return result;
}

// The partitions a consumer group member was assigned, read from its SyncGroup assignment
// when the group's protocol type is "consumer" (Kafka's ConsumerProtocolAssignment:
// version int16, then assigned_partitions [topic string, partitions [int32]], then user
// data; later versions only add fields after these).
import { readStruct } from '../../../shared/kafka/protocol/codec.ts';
import { ByteReader, DecodeFailure } from '../../../shared/kafka/protocol/reader.ts';
import { array, string } from '../../../shared/kafka/protocol/schema.ts';

const ASSIGNMENT_PREFIX = { assignedPartitions: array('0+', { topic: string('0+'), partitions: array('0+', 'int32') }) };
/** Bytes of the version in front of the assignment. */
const VERSION_BYTES = 2;

/** The assigned partitions, or an empty list when the bytes are not a consumer assignment. */
export function assignedPartitions(assignment: Buffer): { topic: string; partitions: number[] }[] {
  if (assignment.length < VERSION_BYTES || assignment.readInt16BE(0) < 0) return [];
  try {
    const decoded = readStruct(new ByteReader(assignment, VERSION_BYTES), ASSIGNMENT_PREFIX, 0, false) as { assignedPartitions: { topic: string; partitions: number[] }[] };
    return decoded.assignedPartitions.map((entry) => ({ topic: entry.topic, partitions: [...entry.partitions].sort((a, b) => a - b) }));
  } catch (error) {
    if (error instanceof DecodeFailure) return [];
    throw error;
  }
}

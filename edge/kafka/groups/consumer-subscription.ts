// The topics a classic consumer group member subscribes to, read from its JoinGroup
// metadata when the group's protocol type is "consumer" (Kafka's ConsumerProtocolSubscription:
// version int16, then topics [string], user data and, in later versions, owned partitions,
// generation and rack; every version begins with the topics). OffsetDelete needs them: the
// offsets of a topic the group consumes are not deleted under it (GROUP_SUBSCRIBED_TO_TOPIC).
import { readStruct } from '../../../shared/kafka/protocol/codec.ts';
import { ByteReader, DecodeFailure } from '../../../shared/kafka/protocol/reader.ts';
import { array } from '../../../shared/kafka/protocol/schema.ts';

/** The protocol type of groups of Kafka consumers, whose metadata this module reads. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const SUBSCRIPTION_PREFIX = { topics: array('0+', 'string') };
/** Bytes of the version in front of the subscription. */
const VERSION_BYTES = 2;

/** The subscribed topics, or undefined when the metadata is not a consumer subscription. */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  if (metadata.length < VERSION_BYTES) return undefined;
  const version = metadata.readInt16BE(0);
  if (version < 0) return undefined;
  try {
    // Later versions only add fields after the topics; the topics read alike in all of them.
    return readStruct(new ByteReader(metadata, VERSION_BYTES), SUBSCRIPTION_PREFIX, 0, false).topics as string[];
  } catch (error) {
    if (error instanceof DecodeFailure) return undefined;
    throw error;
  }
}

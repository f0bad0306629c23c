// The part of the log store the MQTT front end uses, and the publish path's view of it.
import type { LogStore } from '../storage/index.ts';
import { isTributaryError } from '../../shared/errors.ts';
import type { IngestTarget } from './ingest.ts';

export type MqttLogStore = Pick<LogStore, 'describeTopic' | 'createTopic' | 'partition' | 'on' | 'off'>;

/**
 * How long a topic's partition count and batch limit are reused before being read
 * again. Partitions only ever grow (CreatePartitions); like a Kafka producer's metadata
 * age, this bounds how long publishes keep to the old count afterwards.
 */
const TOPIC_METADATA_MAX_AGE_MS = 1_000;

interface TopicMetadata {
  partitions: number;
  maxMessageBytes: number;
  readAt: number;
}

export function logStoreAdapter(store: MqttLogStore): IngestTarget {
  const metadata = new Map<string, TopicMetadata>();
  function describe(topic: string): TopicMetadata | undefined {
    const now = Date.now();
    const cached = metadata.get(topic);
    if (cached !== undefined && now - cached.readAt < TOPIC_METADATA_MAX_AGE_MS) return cached;
    const description = store.describeTopic(topic);
    if (description === undefined) {
      metadata.delete(topic);
      return undefined;
    }
    const fresh = { partitions: description.partitions, maxMessageBytes: description.config.maxMessageBytes, readAt: now };
    metadata.set(topic, fresh);
    return fresh;
  }
  return {
    partitionCount: (topic) => describe(topic)?.partitions,
    maxBatchBytes: (topic) => describe(topic)?.maxMessageBytes ?? Number.MAX_SAFE_INTEGER,
    async createTopic(topic) {
      try {
        await store.createTopic(topic);
      } catch (error) {
        // Another path (a Kafka client, a concurrent publish) created it first.
        if (!isTributaryError(error, 'TOPIC_EXISTS')) throw error;
      }
      metadata.delete(topic);
    },
    async append(topic, partition, batch) {
      await store.partition(topic, partition).append(batch);
    },
  };
}

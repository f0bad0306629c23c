// What the connectors use of the daemon: the log store (append, read, wait for data) and
// the group coordinator's offset store (a sink's position is a consumer group's committed
// offsets). Described here by the few methods used, so that the connectors depend on no
// more of the storage and Kafka parts than that, and tests can see what they touch.
import { isTributaryError } from '../../../shared/errors.ts';
import type { RecordData } from '../../../shared/record-view.ts';
import { topicsProviderFor } from '../../http/console/daemon-providers.ts';
import type { GroupCoordinator } from '../../kafka/groups/coordinator.ts';
import type { LogStore } from '../../storage/index.ts';

export type { RecordData };

export interface ConnectorPartition {
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  /** Appends whole record batches; resolves once they are durable under the topic's flush policy. */
  append(batches: Buffer): Promise<{ baseOffset: bigint; lastOffset: bigint }>;
  /** Resolves true once the high watermark passes `offset`, false after `timeoutMs` or when `signal` aborts. */
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

export interface ConnectorLog {
  /** Partitions and largest batch of a topic, undefined when it does not exist. */
  describeTopic(name: string): { partitions: number; maxBatchBytes: number } | undefined;
  /** Creates a topic with the topic defaults, unless it exists. */
  ensureTopic(name: string): Promise<{ partitions: number; maxBatchBytes: number }>;
  partition(topic: string, index: number): ConnectorPartition;
  /** Records of one partition from `offset` up to the high watermark, at most `maxRecords` and about `maxBytes` read. */
  read(topic: string, partition: number, offset: bigint, maxRecords: number, maxBytes: number): Promise<RecordData[]>;
}

/** The group coordinator's offset commits and fetches (OffsetCommit and OffsetFetch without group membership). */
export type GroupOffsetStore = Pick<GroupCoordinator, 'commitOffsets' | 'fetchOffsets'>;

/** The connectors' view of the daemon's log store. */
export function connectorLogOf(store: LogStore): ConnectorLog {
  const reader = topicsProviderFor(store);
  const describe = (name: string) => {
    const topic = store.describeTopic(name);
    return topic === undefined ? undefined : { partitions: topic.partitions, maxBatchBytes: topic.config.maxMessageBytes };
  };
  return {
    describeTopic: describe,
    async ensureTopic(name) {
      if (describe(name) === undefined) {
        try {
          await store.createTopic(name);
        } catch (error) {
          if (!isTributaryError(error, 'TOPIC_EXISTS')) throw error;
        }
      }
      return describe(name)!;
    },
    partition: (topic, index) => store.partition(topic, index),
    async read(topic, partition, offset, maxRecords, maxBytes) {
      return (await reader.read(topic, partition, offset, maxRecords, maxBytes)) ?? [];
    },
  };
}

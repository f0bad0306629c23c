// The console's providers over the daemon's own parts: the log store, the group
// coordinator, read in process (no network round trip). The MQTT front end provides its
// connected clients itself.
import { iterateBatchHeaders, decodeRecords } from '../../../shared/kafka/record-batch.ts';
// Registers the compression codecs with the batch decoder: stored batches stay compressed.
import '../../../shared/kafka/compression.ts';
import type { GroupCoordinator } from '../../kafka/groups/coordinator.ts';
import type { LogStore } from '../../storage/index.ts';
import type { RecordData } from '../../cli/ops/record-view.ts';
import type { GroupsProvider, TopicsProvider } from './providers.ts';

/** Bytes read from the log for one "latest records" request; bounds the memory a page view costs. */
const LATEST_RECORDS_READ_BYTES_MAX = 1024 * 1024;
/** Reads one request may make to collect its records (batches can be large and records few). */
const LATEST_RECORDS_READS_MAX = 16;

export function topicsProviderFor(store: LogStore): TopicsProvider {
  return {
    topics() {
      return store.listTopics().map((topic) => ({
        name: topic.name,
        partitions: Array.from({ length: topic.partitions }, (_, index) => {
          const log = store.partition(topic.name, index);
          return { partition: index, logStartOffset: log.logStartOffset, logEndOffset: log.highWatermark, sizeBytes: log.sizeBytes };
        }),
        config: {
          retentionMs: topic.config.retentionMs,
          retentionBytes: topic.config.retentionBytes,
          segmentBytes: topic.config.segmentBytes,
          flush: topic.config.flush.policy,
        },
      }));
    },
    async latestRecords(topicName, partition, limit) {
      const topic = store.describeTopic(topicName);
      if (!topic || partition < 0 || partition >= topic.partitions) return undefined;
      const log = store.partition(topicName, partition);
      const end = log.highWatermark;
      const wanted = end - BigInt(limit);
      let offset = wanted > log.logStartOffset ? wanted : log.logStartOffset;
      const records: RecordData[] = [];
      let bytesRead = 0;
      for (let reads = 0; offset < end && reads < LATEST_RECORDS_READS_MAX && bytesRead < LATEST_RECORDS_READ_BYTES_MAX; reads += 1) {
        const { batches } = await log.read(offset, LATEST_RECORDS_READ_BYTES_MAX - bytesRead);
        if (batches.length === 0) break;
        bytesRead += batches.length;
        for (const header of iterateBatchHeaders(batches)) {
          // Transaction markers carry no records a reader sees.
          if (!header.isControlBatch) {
            for (const record of decodeRecords(batches, header.position)) {
              if (record.offset < offset || record.offset >= end) continue;
              records.push({ topic: topicName, partition, offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers.map((entry) => ({ key: Buffer.from(entry.key, 'utf8'), value: entry.value })) });
            }
          }
          if (header.lastOffset + 1n > offset) offset = header.lastOffset + 1n;
        }
      }
      return records.slice(-limit);
    },
  };
}

export function groupsProviderFor(coordinator: GroupCoordinator): GroupsProvider {
  return {
    groups() {
      const listed = coordinator.listGroups().groups;
      const described = coordinator.describeGroups({ groups: listed.map((group) => group.groupId) }).groups;
      return described.map((group) => {
        const fetched = coordinator.fetchOffsets({ groupId: group.groupId, topics: null });
        return {
          groupId: group.groupId,
          state: group.groupState,
          protocolType: group.protocolType,
          members: group.members.map((member) => ({ memberId: member.memberId, clientId: member.clientId, clientHost: member.clientHost })),
          offsets: fetched.topics.flatMap((topic) => topic.partitions
            .filter((entry) => entry.committedOffset >= 0n)
            .map((entry) => ({ topic: topic.name, partition: entry.partitionIndex, committedOffset: entry.committedOffset }))),
        };
      });
    },
  };
}

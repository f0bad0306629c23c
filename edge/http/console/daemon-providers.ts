// The console's providers over the daemon's own parts: the log store, the group
// coordinator, read in process (no network round trip). The MQTT front end provides its
// connected clients itself.
import { iterateBatchHeaders, decodeRecords } from '../../../shared/kafka/record-batch.ts';
import type { GroupCoordinator } from '../../kafka/groups/coordinator.ts';
import type { DurableEvent, LogStore } from '../../storage/index.ts';
import type { RecordData } from '../../../shared/record-view.ts';
import { assignedPartitions } from './consumer-assignment.ts';
import type { GroupsProvider, TopicsProvider } from './providers.ts';

/** Reads one request may make to collect its records (batches can be large and records few). */
const READS_PER_REQUEST_MAX = 64;

export function topicsProviderFor(store: LogStore): TopicsProvider {
  const partitionOf = (topicName: string, partition: number) => {
    const topic = store.describeTopic(topicName);
    if (!topic || !Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) return undefined;
    return store.partition(topicName, partition);
  };
  return {
    topics() {
      return store.listTopics().map((topic) => ({
        name: topic.name,
        partitions: Array.from({ length: topic.partitions }, (_, index) => {
          const log = store.partition(topic.name, index);
          return { partition: index, logStartOffset: log.logStartOffset, logEndOffset: log.highWatermark, sizeBytes: log.sizeBytes, segments: log.segments.length };
        }),
        config: { ...topic.config },
      }));
    },
    async read(topicName, partition, from, maxRecords, maxBytes) {
      const log = partitionOf(topicName, partition);
      if (log === undefined) return undefined;
      const end = log.highWatermark;
      let offset = from > log.logStartOffset ? from : log.logStartOffset;
      const records: RecordData[] = [];
      let bytesRead = 0;
      for (let reads = 0; offset < end && reads < READS_PER_REQUEST_MAX && bytesRead < maxBytes && records.length < maxRecords; reads += 1) {
        const { batches } = await log.read(offset, maxBytes - bytesRead);
        if (batches.length === 0) break;
        bytesRead += batches.length;
        for (const header of iterateBatchHeaders(batches)) {
          // Transaction markers carry no records a reader sees.
          if (!header.isControlBatch) {
            for (const record of decodeRecords(batches, header.position)) {
              if (record.offset < offset || record.offset >= end || records.length >= maxRecords) continue;
              records.push({ topic: topicName, partition, offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers.map((entry) => ({ key: Buffer.from(entry.key, 'utf8'), value: entry.value })) });
            }
          }
          if (header.lastOffset + 1n > offset) offset = header.lastOffset + 1n;
        }
      }
      return records;
    },
    async offsetForTimestamp(topicName, partition, timestampMs) {
      const log = partitionOf(topicName, partition);
      if (log === undefined) return undefined;
      return (await log.offsetForTimestamp(timestampMs))?.offset ?? log.highWatermark;
    },
    onDurable(listener) {
      const onEvent = (event: DurableEvent): void => listener(event.topic, event.partition, event.highWatermark);
      store.on('durable', onEvent);
      return () => store.off('durable', onEvent);
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
          members: group.members.map((member) => ({
            memberId: member.memberId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            assignments: group.protocolType === 'consumer' ? assignedPartitions(member.memberAssignment) : [],
          })),
          offsets: fetched.topics.flatMap((topic) => topic.partitions
            .filter((entry) => entry.committedOffset >= 0n)
            .map((entry) => ({ topic: topic.name, partition: entry.partitionIndex, committedOffset: entry.committedOffset }))),
        };
      });
    },
  };
}

// The console's providers over the daemon's own parts: the log store, the group
// coordinator and the aedes broker, read in process (no network round trip).
import type { Aedes, Client } from 'aedes';
import type { Socket } from 'node:net';
import { iterateBatchHeaders, decodeRecords } from '../../../shared/kafka/record-batch.ts';
import type { GroupCoordinator } from '../../kafka/groups/coordinator.ts';
import type { LogStore } from '../../storage/index.ts';
import type { RecordData } from '../../cli/ops/record-view.ts';
import type { GroupsProvider, MqttClientSnapshot, MqttClientsProvider, TopicsProvider } from './providers.ts';

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

/** aedes keeps its connected clients in `clients` (by client id) without declaring it in its types. */
interface AedesWithClients {
  clients: Record<string, Client>;
}

/**
 * Connected MQTT clients as aedes knows them, with the time each connected (aedes does
 * not keep it, so the provider listens for its events from the moment it is made).
 */
export function mqttClientsProviderFor(broker: Aedes): MqttClientsProvider {
  // One entry per connected client: aedes itself bounds that count (mqtt.limits).
  const connectedAt = new Map<string, string>();
  broker.on('client', (client) => connectedAt.set(client.id, new Date().toISOString()));
  broker.on('clientDisconnect', (client) => connectedAt.delete(client.id));
  return {
    clients() {
      const clients = Object.values((broker as unknown as AedesWithClients).clients);
      return clients.filter((client) => client.connected).map((client): MqttClientSnapshot => {
        const socket = client.conn as Partial<Socket>;
        const address = socket.remoteAddress ?? client.req?.socket.remoteAddress ?? null;
        return {
          clientId: client.id,
          address: address === null ? null : `${address}${socket.remotePort !== undefined ? `:${socket.remotePort}` : ''}`,
          protocolVersion: client.version ?? null,
          cleanSession: client.clean,
          connectedAt: connectedAt.get(client.id) ?? null,
        };
      }).sort((a, b) => a.clientId.localeCompare(b.clientId));
    },
  };
}

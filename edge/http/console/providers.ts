// What the web console and its JSON API read from the parts of the daemon. Each part that
// has something to show passes a provider; a part that is not configured (no mirror) or
// not wired passes nothing, and its API answers {"configured": false}.
import type { RecordData } from '../../cli/ops/record-view.ts';

export interface PartitionSnapshot {
  partition: number;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** Bytes of the partition's segments on disk. */
  sizeBytes: number;
}

export interface TopicSnapshot {
  name: string;
  partitions: PartitionSnapshot[];
  /** Effective settings worth showing (retention, segment size, flush policy). */
  config: Record<string, unknown>;
}

export interface TopicsProvider {
  topics(): TopicSnapshot[];
  /** The newest `limit` records of one partition, oldest first; undefined when the topic or partition does not exist. */
  latestRecords(topic: string, partition: number, limit: number): Promise<RecordData[] | undefined>;
}

export interface GroupSnapshot {
  groupId: string;
  state: string;
  protocolType: string;
  members: { memberId: string; clientId: string; clientHost: string }[];
  /** Committed offsets; partitions with nothing committed are left out. */
  offsets: { topic: string; partition: number; committedOffset: bigint }[];
}

export interface GroupsProvider {
  groups(): GroupSnapshot[];
}

export interface MqttClientSnapshot {
  clientId: string;
  address: string | null;
  protocolVersion: number | null;
  cleanSession: boolean;
  connectedAt: string | null;
}

export interface MqttClientsProvider {
  clients(): MqttClientSnapshot[];
}

/** The parts of the mirror's report (GET /api/mirror) the throughput chart samples. */
export interface MirrorSample {
  deliveredRecordsTotal: number;
  backlogRecords: number;
}

export interface MirrorProvider {
  /** Undefined while no mirror runs. */
  report(): MirrorSample | undefined;
}

export interface ConsoleProviders {
  topics: TopicsProvider;
  groups?: GroupsProvider;
  mqttClients?: MqttClientsProvider;
  mirror?: MirrorProvider;
}

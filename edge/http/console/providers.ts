// What the web console and its JSON API read from the parts of the daemon. Each part that
// has something to show passes a provider; a part that is not configured (no mirror) or
// not wired passes nothing, and its API answers {"configured": false}. The interfaces are
// narrow on purpose: another engine (the MQTT front end, for one) only has to implement
// the same few methods for the console to show it.
import type { RecordData } from '../../../shared/record-view.ts';
import type { MirrorReportJson } from '../../cli/ops/mirror-report.ts';
import type { MqttClientDetail, MqttClientSummary } from '../../mqtt/client-view.ts';
import type { PipelineProblem, PipelineReport } from '../../pipelines/index.ts';
import type { PipelineConfig } from '../../../shared/config/pipelines-schema.ts';

export type { MqttClientDetail, MqttClientSummary, PipelineConfig, PipelineProblem, PipelineReport };

export interface PartitionSnapshot {
  partition: number;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** Bytes of the partition's segments on disk. */
  sizeBytes: number;
  segments: number;
}

export interface TopicSnapshot {
  name: string;
  partitions: PartitionSnapshot[];
  /** The topic's effective settings (retention, segments, flush, cleanup, …), as configured. */
  config: Record<string, unknown>;
}

export interface TopicsProvider {
  topics(): TopicSnapshot[];
  /** Records of one partition from `offset` on, oldest first, at most `maxRecords` and about `maxBytes` read; undefined when the partition does not exist. */
  read(topic: string, partition: number, offset: bigint, maxRecords: number, maxBytes: number): Promise<RecordData[] | undefined>;
  /** The first offset whose timestamp is at or after `timestampMs`; the log end when there is none; undefined when the partition does not exist. */
  offsetForTimestamp(topic: string, partition: number, timestampMs: bigint): Promise<bigint | undefined>;
  /** Calls `listener` whenever a partition's high watermark advances; returns the function that stops it. */
  onDurable(listener: (topic: string, partition: number, highWatermark: bigint) => void): () => void;
}

export interface GroupMemberSnapshot {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** Partitions assigned to this member (consumer groups that are Stable); empty otherwise. */
  assignments: { topic: string; partitions: number[] }[];
}

export interface GroupSnapshot {
  groupId: string;
  state: string;
  protocolType: string;
  members: GroupMemberSnapshot[];
  /** Committed offsets; partitions with nothing committed are left out. */
  offsets: { topic: string; partition: number; committedOffset: bigint }[];
}

export interface GroupsProvider {
  groups(): GroupSnapshot[];
}

export interface MqttClientsProvider {
  /** The clients connected now, in any order. */
  clients(): MqttClientSummary[];
  /** The sessions kept for clients that are not connected (persistent sessions): how many, and the first `max` found, in any order. */
  offlineSessions(max: number): { total: number; sessions: MqttClientSummary[] };
  /** One client's session (connected or kept offline); undefined when the broker knows nothing of it. */
  client(clientId: string): Promise<MqttClientDetail | undefined>;
}

/** The pipelines running in the daemon (edge/pipelines' PipelineRunner is one). */
export interface PipelinesProvider {
  /** What GET /api/pipelines and `tributary pipelines status` give: topics, step kinds, and per input partition its state, positions, lag and windows. */
  report(): PipelineReport[];
  /** One pipeline as configured; undefined when none is named so. */
  definition(name: string): PipelineConfig | undefined;
  /** Its newest problems, newest first; undefined when none is named so. */
  recentProblems(name: string): PipelineProblem[] | undefined;
}

export interface MirrorProvider {
  /** The running mirror's report (the one behind GET /api/mirror); undefined while no mirror runs here. */
  report(): MirrorReportJson | undefined;
  /** The consumer group under which the mirror commits what it delivered (mirror.source.deliveredGroup). */
  deliveredGroup: string;
}

/** What the overview says about the node itself. */
export interface NodeProvider {
  health(): { status: string; [key: string]: unknown };
  /** The log's data directory, for the free space of its file system. */
  dataDir: string;
  /** Settings every topic gets unless overridden (retention by time and size). */
  topicDefaults: Record<string, unknown>;
}

export interface ConsoleProviders {
  node: NodeProvider;
  topics: TopicsProvider;
  groups?: GroupsProvider;
  mqttClients?: MqttClientsProvider;
  pipelines?: PipelinesProvider;
  mirror?: MirrorProvider;
}

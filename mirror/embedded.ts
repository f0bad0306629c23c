// The mirror inside the edge daemon: reads and appends through the log store in the same
// process, commits its delivered offsets through the group coordinator, and tells the
// store's retention how far each mirrored partition is delivered, so that segments not yet
// delivered are kept until the disk budget forces them out (and are then counted as lost).
import type { Registry } from 'prom-client';
import type { Config } from '../shared/config/schema.ts';
import { TributaryError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { configVersion } from '../shared/config/config-version.ts';
import { LocalEndpoint, type LocalLog } from './local-endpoint.ts';
import { Mirror, mirroredTopicSelector } from './mirror.ts';
import { mirrorConfigured } from './status-route.ts';

/** What the mirror needs of the edge's group coordinator: offsets committed outside group management. */
export interface OffsetStore {
  commitOffsets(request: {
    groupId: string;
    generationIdOrMemberEpoch: number;
    memberId: string;
    groupInstanceId: string | null;
    topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
  }): Promise<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }>;
  fetchOffsets(request: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] | null }): { topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[] };
}

export interface EmbeddedMirrorOptions {
  config: Config;
  store: LocalLog;
  offsets: OffsetStore;
  registry: Registry;
  logger: Logger;
}

/** Starts the mirror in the edge daemon, or returns undefined when the YAML asks for none (or for a standalone one). */
export function startEmbeddedMirror(options: EmbeddedMirrorOptions): Mirror | undefined {
  const { config } = options;
  if (!mirrorConfigured(config) || !config.mirror.embedded) return undefined;
  const edge = new LocalEndpoint(options.store, async (group, offsets) => {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const entry of offsets) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push({ partitionIndex: entry.partition, committedOffset: entry.offset, committedLeaderEpoch: -1, committedMetadata: null });
      byTopic.set(entry.topic, list);
    }
    const response = await options.offsets.commitOffsets({ groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
    const failed = response.topics.flatMap((topic) => topic.partitions.filter((partition) => partition.errorCode !== 0).map((partition) => `${topic.name}/${partition.partitionIndex}: error ${partition.errorCode}`));
    if (failed.length > 0) throw new TributaryError('MIRROR_SOURCE_FAILED', `edge log: committing delivered offsets of group ${group} failed for ${failed.join(', ')}`, {});
  }, (group, topic, partition) => committedOffset(options.offsets, group, topic, partition));
  return Mirror.start({ config: config.mirror, edgeId: config.node.id, configVersion: configVersion(config), edge, registry: options.registry, logger: options.logger });
}

/**
 * The log store's `deliveredOffset` hook: for a partition the mirror takes, the next
 * offset it will deliver (from the running mirror, else from the offsets it committed,
 * else 0: nothing delivered); undefined for partitions that are not mirrored. The same
 * committed offsets serve a standalone mirror, which commits them through the edge's
 * Kafka listener.
 */
export function deliveredOffsetHook(config: Config, parts: () => { mirror?: Mirror; offsets?: OffsetStore }): ((topic: string, partition: number) => bigint | undefined) | undefined {
  if (!mirrorConfigured(config)) return undefined;
  const selector = mirroredTopicSelector(config.mirror);
  const group = config.mirror.source.deliveredGroup;
  return (topic, partition) => {
    if (!selector.selects(topic)) return undefined;
    const { mirror, offsets } = parts();
    const live = mirror?.deliveredOffset(topic, partition);
    if (live !== undefined) return live;
    return (offsets === undefined ? undefined : committedOffset(offsets, group, topic, partition)) ?? 0n;
  };
}

/** The offset a group committed for a partition in the edge's group store; undefined when none. */
function committedOffset(offsets: OffsetStore, group: string, topic: string, partition: number): bigint | undefined {
  const committed = offsets.fetchOffsets({ groupId: group, topics: [{ name: topic, partitionIndexes: [partition] }] }).topics[0]?.partitions[0]?.committedOffset;
  return committed !== undefined && committed >= 0n ? committed : undefined;
}

// GET /api/topics: every topic with its size and rates. GET /api/topic?name=: one topic's
// partitions (offsets, segments, size, the mirror's delivered offset), its settings
// (retention, segments, cleanup policy, flush) and the groups that read it.
import { groupView, logOffsetsOf } from '../group-view.ts';
import { ApiRefusal, required, type ApiHandler } from './api-request.ts';

/** Kafka's default cleanup policy; shown when a topic's settings name none. */
const DEFAULT_CLEANUP_POLICY = 'delete';

export const topicsApi: ApiHandler = ({ providers, history }) => {
  const topics = providers.topics.topics().map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.length,
    records: topic.partitions.reduce((sum, partition) => sum + (partition.logEndOffset - partition.logStartOffset), 0n),
    sizeBytes: topic.partitions.reduce((sum, partition) => sum + partition.sizeBytes, 0),
    segments: topic.partitions.reduce((sum, partition) => sum + partition.segments, 0),
    ...history.rateOf(topic.name),
  })).sort((a, b) => a.name.localeCompare(b.name));
  return { topics };
};

export const topicApi: ApiHandler = ({ providers, history }, query) => {
  const name = required(query, 'name', '/api/topic?name=sensors');
  const topics = providers.topics.topics();
  const topic = topics.find((entry) => entry.name === name);
  if (!topic) throw new ApiRefusal(404, `no topic named ${name}; topics: ${topics.map((entry) => entry.name).sort().join(', ') || '(none)'}`);
  const report = providers.mirror?.report();
  const mirrored = new Map((report?.partitions ?? []).filter((row) => row.topic === name).map((row) => [row.partition, row]));
  const offsets = logOffsetsOf(topics);
  const mirror = providers.mirror ? { deliveredGroup: providers.mirror.deliveredGroup, report } : undefined;
  const consumers = (providers.groups?.groups() ?? [])
    .map((group) => groupView(group, offsets, mirror))
    .filter((view) => view.partitions.some((row) => row.topic === name))
    .map((view) => ({ groupId: view.groupId, state: view.state, mirror: view.mirror, lag: view.partitions.filter((row) => row.topic === name).reduce((sum, row) => sum + (row.lag ?? 0n), 0n) }));
  return {
    name: topic.name,
    config: topic.config,
    cleanupPolicy: typeof topic.config.cleanupPolicy === 'string' ? topic.config.cleanupPolicy : DEFAULT_CLEANUP_POLICY,
    ...history.rateOf(topic.name),
    partitions: topic.partitions.map((partition) => {
      const row = mirrored.get(partition.partition);
      return {
        ...partition,
        records: partition.logEndOffset - partition.logStartOffset,
        mirror: row === undefined ? null : { deliveredOffset: row.deliveredOffset, backlogRecords: row.backlogRecords },
      };
    }),
    consumers,
  };
};

// The protocol scenarios the differential suite runs against Apache Kafka 4.4 and the edge.
// Each returns what the broker answered, reduced to what must agree: error codes, offsets,
// states, shapes and flags, but not what differs between any two clusters (cluster and
// topic ids, host names, ports, node ids, throttle times, error message texts).
import { ZERO_UUID } from '../../../../shared/kafka/protocol/schema.ts';
import type { Target } from './target.ts';

interface ConfigAnswer { value: string | null; source: number; readOnly: boolean; type: number; sensitive: boolean }

export interface Scenario {
  name: string;
  run(target: Target): Promise<unknown>;
  /** The differences between the two answers, one line each; a deep comparison when absent. */
  compare?(kafka: unknown, edge: unknown): string[];
}

/** bigint as text, so answers compare and print as JSON. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item)));
}

const NO_ID = ZERO_UUID;
/** FindCoordinator lookups while a broker creates its offsets topic, and the pause between them (a client's retry backoff). */
const COORDINATOR_LOOKUPS_MAX = 300;
const COORDINATOR_RETRY_MS = 100;
/** Heartbeats sent while waiting for a broker to start a rebalance; each is one round trip. */
const HEARTBEATS_MAX = 5_000;

function metadataRequest(topics: string[] | null, allowAutoTopicCreation: boolean) {
  return { topics: topics === null ? null : topics.map((name) => ({ name, topicId: NO_ID })), allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
}

function fetchRequest(topic: string, partition: number, fetchOffset: bigint, maxBytes: number, partitionMaxBytes: number) {
  return { maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, topicId: NO_ID, partitions: [{ partition, fetchOffset, partitionMaxBytes }] }], forgottenTopicsData: [], rackId: '' };
}

async function fetchPartition(target: Target, topic: string, partition: number, fetchOffset: bigint, maxBytes = 1 << 20, partitionMaxBytes = 1 << 20) {
  const response = await target.request(1, 11, fetchRequest(topic, partition, fetchOffset, maxBytes, partitionMaxBytes));
  const answer = response.responses[0]!.partitions[0]!;
  return { errorCode: answer.errorCode, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset, recordBytes: answer.records?.length ?? -1 };
}

async function listOffset(target: Target, version: number, topic: string, partition: number, timestamp: bigint) {
  const response = await target.request(2, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }], timeoutMs: 10_000 });
  const answer = response.topics[0]!.partitions[0]!;
  return { errorCode: answer.errorCode, offset: answer.offset, timestamp: answer.timestamp };
}

function joinRequest(groupId: string, memberId: string) {
  return { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) }], reason: null };
}

async function groupState(target: Target, groupId: string): Promise<string> {
  return (await target.request(15, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0]!.groupState;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'metadata of an unknown topic, with and without auto-creation',
    async run(target) {
      const without = await target.request(3, 12, metadataRequest(['unknown-a'], false));
      const withCreation = await target.request(3, 12, metadataRequest(['unknown-b'], true));
      const invalid = await target.request(3, 12, metadataRequest(['bad name!'], true));
      const shape = (response: typeof without) => response.topics.map((topic) => ({ name: topic.name, errorCode: topic.errorCode, partitions: topic.partitions.length, hasId: topic.topicId !== NO_ID }));
      return { without: shape(without), withCreation: shape(withCreation), invalid: shape(invalid) };
    },
  },
  {
    name: 'produce, fetch and list offsets of an unknown topic and of a partition that does not exist',
    async run(target) {
      await target.createTopic('one-partition', 1);
      return plain({
        produceUnknownTopic: (await target.produce('never-created', 0, [{ value: 'x' }])).errorCode,
        produceWrongPartition: (await target.produce('one-partition', 9, [{ value: 'x' }])).errorCode,
        fetchUnknownTopic: (await fetchPartition(target, 'never-created-2', 0, 0n)).errorCode,
        fetchWrongPartition: (await fetchPartition(target, 'one-partition', 9, 0n)).errorCode,
        listOffsetsWrongPartition: (await listOffset(target, 7, 'one-partition', 9, -1n)).errorCode,
      });
    },
  },
  {
    name: 'fetch out of range: past the end and below the start',
    async run(target) {
      await target.createTopic('ranged', 1);
      await target.produceOk('ranged', 0, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      return plain({
        atEnd: await fetchPartition(target, 'ranged', 0, 3n),
        pastEnd: await fetchPartition(target, 'ranged', 0, 4n),
        negative: await fetchPartition(target, 'ranged', 0, -1n),
      });
    },
  },
  {
    name: 'max_bytes smaller than the first batch: the batch comes whole (KIP-74)',
    async run(target) {
      await target.createTopic('big-batch', 1);
      await target.produceOk('big-batch', 0, [{ value: 'v'.repeat(4000) }]);
      const small = await fetchPartition(target, 'big-batch', 0, 0n, 10, 10);
      return plain({ ...small, wholeBatch: small.recordBytes > 4000 });
    },
  },
  {
    name: 'a batch larger than max.message.bytes is refused',
    async run(target) {
      await target.createTopic('limited', 1, { 'max.message.bytes': '4096' });
      return plain({ oversized: (await target.produce('limited', 0, [{ value: 'x'.repeat(8000) }])).errorCode, fits: (await target.produce('limited', 0, [{ value: 'x'.repeat(100) }])).errorCode });
    },
  },
  {
    name: 'an unsupported version: ApiVersions answers error 35 with the ranges, other APIs close the connection',
    async run(target) {
      const apiVersions = await target.requestAlone(18, 3, { clientSoftwareName: 'differential', clientSoftwareVersion: '1' });
      const frame = Buffer.from('0000000c000300630000000700000000', 'hex');
      const metadataV99 = await target.replayAlone(frame);
      const apiVersionsV99 = await target.replayAlone(Buffer.from('0000000c001200630000000800000000', 'hex'));
      return {
        apiVersionsError: apiVersions === 'connection closed' ? apiVersions : apiVersions.errorCode,
        metadataV99: metadataV99 === 'connection closed' ? metadataV99 : 'answered',
        apiVersionsV99: apiVersionsV99 === 'connection closed' ? apiVersionsV99 : { errorCode: apiVersionsV99.readInt16BE(4), correlationId: apiVersionsV99.readInt32BE(0) },
      };
    },
  },
  {
    name: 'produce v2 with a magic 1 message set, and v3 with a magic 2 batch',
    async run(target) {
      await target.createTopic('formats', 1);
      // offset, size, crc, magic 1, attributes, timestamp, null key, one-byte value
      const message = Buffer.from('0000000000000000' + '00000013' + '00000000' + '01' + '00' + '00000000000003e8' + 'ffffffff' + '00000001' + '61', 'hex');
      const legacy = await target.requestAlone(0, 2, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'formats', partitionData: [{ index: 0, records: message }] }] });
      return { v2: legacy === 'connection closed' ? legacy : legacy.responses[0]!.partitionResponses[0]!.errorCode, v3: (await target.produce('formats', 0, [{ value: 'x' }], 3)).errorCode };
    },
  },
  {
    name: 'find the coordinator of a transactional id',
    async run(target) {
      const response = await target.request(10, 4, { key: '', keyType: 1, coordinatorKeys: ['differential-tx'] });
      return { errorCode: response.coordinators[0]!.errorCode };
    },
  },
  {
    name: 'list offsets: latest, earliest, max timestamp and by timestamp',
    async run(target) {
      await target.createTopic('clocks', 1);
      await target.produceOk('clocks', 0, [{ value: 'a', timestampMs: 100 }, { value: 'b', timestampMs: 400 }, { value: 'c', timestampMs: 250 }]);
      const empty = 'clocks-empty';
      await target.createTopic(empty, 1);
      return plain({
        latest: await listOffset(target, 7, 'clocks', 0, -1n),
        earliest: await listOffset(target, 7, 'clocks', 0, -2n),
        maxTimestamp: await listOffset(target, 7, 'clocks', 0, -3n),
        maxTimestampV6: (await listOffset(target, 6, 'clocks', 0, -3n)).errorCode,
        at200: await listOffset(target, 7, 'clocks', 0, 200n),
        at260: await listOffset(target, 7, 'clocks', 0, 260n),
        after: await listOffset(target, 7, 'clocks', 0, 500n),
        emptyMax: await listOffset(target, 7, empty, 0, -3n),
        emptyLatest: await listOffset(target, 7, empty, 0, -1n),
      });
    },
  },
  {
    name: 'metadata shapes: every topic, none, named, v0 and authorized operations',
    async run(target) {
      await target.createTopic('shape-a', 2);
      const all = await target.request(3, 12, metadataRequest(null, false));
      const none = await target.request(3, 12, metadataRequest([], false));
      const v0 = await target.request(3, 0, metadataRequest([], false));
      const named = await target.request(3, 12, { ...metadataRequest(['shape-a'], false), includeTopicAuthorizedOperations: true });
      const v9 = await target.request(3, 9, { ...metadataRequest(['shape-a'], false), includeClusterAuthorizedOperations: true });
      const topic = named.topics[0]!;
      return {
        allHasTopic: all.topics.some((candidate) => candidate.name === 'shape-a'),
        noneTopics: none.topics.length,
        v0HasTopic: v0.topics.some((candidate) => candidate.name === 'shape-a'),
        brokers: all.brokers.length,
        controllerIsTheBroker: all.controllerId === all.brokers[0]!.nodeId,
        clusterIdSet: all.clusterId !== null && all.clusterId.length > 0,
        topic: { errorCode: topic.errorCode, isInternal: topic.isInternal, hasId: topic.topicId !== NO_ID, operations: topic.topicAuthorizedOperations, partitions: topic.partitions.map((partition) => ({ index: partition.partitionIndex, errorCode: partition.errorCode, leaderIsTheBroker: partition.leaderId === all.brokers[0]!.nodeId, replicas: partition.replicaNodes.length, isr: partition.isrNodes.length, offline: partition.offlineReplicas.length })) },
        clusterOperationsV9: v9.clusterAuthorizedOperations,
      };
    },
  },
  {
    name: 'group states through joins, a rebalance during a commit, and leaving',
    async run(target) {
      await target.createTopic('grouped', 2);
      const states: string[] = [];
      const group = 'differential-group';
      // Kafka's coordinator answers NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS until its
      // offsets topic exists and is loaded; FindCoordinator creates it. Clients retry; so does this.
      await target.request(10, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
      const describeError = async () => (await target.request(15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0]!.errorCode;
      for (let attempt = 0; attempt < COORDINATOR_LOOKUPS_MAX && (await describeError()) !== 0; attempt++) await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS));
      states.push(await groupState(target, group));
      // KIP-394: a new member first gets its id.
      const first = await target.request(11, 5, joinRequest(group, ''));
      const firstId = first.memberId;
      const joined = await target.request(11, 5, joinRequest(group, firstId));
      states.push(await groupState(target, group));
      const synced = await target.request(14, 3, { groupId: group, generationId: joined.generationId, memberId: firstId, groupInstanceId: null, assignments: [{ memberId: firstId, assignment: Buffer.from([0, 0]) }] });
      states.push(await groupState(target, group));
      const commit = (generationId: number, memberId: string) => target.request(8, 7, {
        groupId: group, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null,
        topics: [{ name: 'grouped', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      const stableCommit = (await commit(joined.generationId, firstId)).topics[0]!.partitions[0]!.errorCode;
      // A second member asks for its id, then joins: the group rebalances while the first commits.
      const second = await target.request(11, 5, joinRequest(group, ''));
      // Its JoinGroup is parked until the first member rejoins, so it goes on a connection of its own.
      const secondJoin = target.requestAlone(11, 5, joinRequest(group, second.memberId));
      // The first member learns of the rebalance from its heartbeat once the broker has the second's JoinGroup.
      const heartbeat = async () => (await target.request(12, 3, { groupId: group, generationId: joined.generationId, memberId: firstId, groupInstanceId: null })).errorCode;
      let heartbeatError = await heartbeat();
      for (let attempt = 0; attempt < HEARTBEATS_MAX && heartbeatError === 0; attempt++) heartbeatError = await heartbeat();
      states.push(await groupState(target, group));
      const rebalancingCommit = (await commit(joined.generationId, firstId)).topics[0]!.partitions[0]!.errorCode;
      const staleCommit = (await commit(joined.generationId - 1, firstId)).topics[0]!.partitions[0]!.errorCode;
      const rejoined = await target.request(11, 5, joinRequest(group, firstId));
      await secondJoin;
      states.push(await groupState(target, group));
      const left = await target.request(13, 3, { groupId: group, memberId: '', members: [{ memberId: firstId, groupInstanceId: null, reason: null }, { memberId: second.memberId, groupInstanceId: null, reason: null }] });
      states.push(await groupState(target, group));
      return {
        firstJoinError: first.errorCode,
        joinedGeneration: joined.generationId,
        syncError: synced.errorCode,
        stableCommit,
        heartbeatDuringRebalance: heartbeatError,
        rebalancingCommit,
        staleCommit,
        rejoinGeneration: rejoined.generationId,
        leaveErrors: left.members.map((member) => member.errorCode),
        states,
      };
    },
  },
  {
    name: 'describe configs of a topic: names, defaults, sources, read-only flags and types',
    async run(target) {
      await target.createTopic('described', 1, { 'retention.ms': '3600000' });
      const response = await target.request(32, 4, { resources: [{ resourceType: 2, resourceName: 'described', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      const configs: Record<string, ConfigAnswer> = {};
      for (const config of response.results[0]!.configs) configs[config.name] = { value: config.value, source: config.configSource, readOnly: config.readOnly, type: config.configType, sensitive: config.isSensitive };
      return configs;
    },
    // Kafka has many topic configs for features the edge lacks; each config the edge reports is compared field by field.
    compare(kafka, edge) {
      const theirs = kafka as Record<string, ConfigAnswer>;
      const ours = edge as Record<string, ConfigAnswer>;
      const lines: string[] = [];
      for (const [name, config] of Object.entries(ours).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const other = theirs[name];
        if (other === undefined) {
          lines.push(`${name}: not a Kafka config`);
          continue;
        }
        for (const field of ['value', 'source', 'readOnly', 'type', 'sensitive'] as const) {
          if (config[field] !== other[field]) lines.push(`${name}.${field}: edge ${JSON.stringify(config[field])}, Kafka ${JSON.stringify(other[field])}`);
        }
      }
      const unreported = Object.keys(theirs).filter((name) => !(name in ours)).sort();
      if (unreported.length > 0) lines.push(`Kafka configs the edge does not report: ${unreported.join(', ')}`);
      return lines;
    },
  },
];

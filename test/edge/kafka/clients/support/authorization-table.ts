// Kafka's authorization, API by API, as a table the permissions matrix runs: for each API
// this broker serves, a request, the ACLs Kafka's KafkaApis requires for it (Apache Kafka
// 4.4: the operation on each topic, group, transactional id or the cluster), where in the
// response the answer is read, and the answer with those ACLs and without them.
import { encodeRecordBatch } from '../../../../../shared/kafka/record-batch.ts';
import type { DecodedResponseBody, RequestBodyInput, ServedApiKey } from '../../../../../shared/kafka/apis/index.ts';
import { AclOperation, ResourceType } from '../../../../../edge/auth/acls/acl.ts';
import { ZERO_UUID } from '../../../../../shared/kafka/wire/index.ts';

const NONE = 0;
const UNKNOWN_MEMBER_ID = 25;
const TOPIC_DENIED = 29;
const GROUP_DENIED = 30;
const CLUSTER_DENIED = 31;
const INVALID_PRODUCER_ID_MAPPING = 49;
const TRANSACTIONAL_ID_DENIED = 53;
const TRANSACTIONAL_ID_NOT_FOUND = 105;
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;

/** The resources one principal kind works on, apart from the other kinds'. */
export interface Names {
  kind: string;
  topic: string;
  /** Deleted when DeleteTopics is allowed. */
  doomedTopic: string;
  /** Created when CreateTopics is allowed. */
  newTopic: string;
  /** Has committed offsets from the start. */
  group: string;
  /** Offsets deleted when OffsetDelete is allowed. */
  offsetsGroup: string;
  /** Deleted when DeleteGroups is allowed. */
  doomedGroup: string;
  /** Joined when JoinGroup is allowed. */
  joinGroup: string;
  /** Given a producer id when InitProducerId is allowed; the transaction APIs then ask with another producer id. */
  transactionalId: string;
  /** Never given a producer id. */
  unknownTransactionalId: string;
}

export function namesOf(kind: string): Names {
  return {
    kind,
    topic: `${kind}.data`,
    doomedTopic: `${kind}.doomed`,
    newTopic: `${kind}.new`,
    group: `${kind}.group`,
    offsetsGroup: `${kind}.offsets-group`,
    doomedGroup: `${kind}.doomed-group`,
    joinGroup: `${kind}.join`,
    transactionalId: `${kind}.txn`,
    unknownTransactionalId: `${kind}.txn-unknown`,
  };
}

export interface Grant {
  resourceType: number;
  resourceName: (names: Names) => string;
  operation: number;
}

type Outcome = number | string;

export interface MatrixRow<Key extends ServedApiKey = ServedApiKey> {
  apiKey: Key;
  version: number;
  /** What sets this row apart from others of the same API. */
  label: string;
  request: (names: Names) => RequestBodyInput<Key>;
  /** The ACLs Kafka requires; with none, the API is open to every principal. */
  needs: readonly Grant[];
  outcome: (response: DecodedResponseBody<Key>, names: Names) => Outcome;
  allowed: Outcome | ((kind: string) => Outcome);
  denied: Outcome | ((kind: string) => Outcome);
}

function row<Key extends ServedApiKey>(spec: MatrixRow<Key>): MatrixRow {
  return spec as unknown as MatrixRow;
}

const topic = (operation: number, pick: (names: Names) => string = (names) => names.topic): Grant => ({ resourceType: ResourceType.TOPIC, resourceName: pick, operation });
const group = (operation: number, pick: (names: Names) => string = (names) => names.group): Grant => ({ resourceType: ResourceType.GROUP, resourceName: pick, operation });
const transactionalId = (operation: number, pick: (names: Names) => string = (names) => names.transactionalId): Grant => ({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName: pick, operation });
const cluster = (operation: number): Grant => ({ resourceType: ResourceType.CLUSTER, resourceName: () => 'kafka-cluster', operation });
const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

/** Principal kinds whose listener has no SASL. */
const WITHOUT_SASL = ['anonymous', 'certificate'];
const handshakeAnswer = (kind: string) => (WITHOUT_SASL.includes(kind) ? UNSUPPORTED_SASL_MECHANISM : NONE);

const BATCH = encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] });
const retention = [{ name: 'retention.ms', value: '600000' }];

export const MATRIX: readonly MatrixRow[] = [
  row({
    apiKey: 0, version: 9, label: '', needs: [topic(WRITE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: names.topic, partitionData: [{ index: 0, records: BATCH }] }] }),
    outcome: (response) => response.responses[0]!.partitionResponses[0]!.errorCode,
  }),
  row({
    apiKey: 1, version: 12, label: '', needs: [topic(READ)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: names.topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }),
    outcome: (response) => response.responses[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 2, version: 7, label: '', needs: [topic(DESCRIBE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }], timeoutMs: 5000 }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 3, version: 12, label: 'a named topic', needs: [topic(DESCRIBE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
    outcome: (response) => response.topics[0]!.errorCode,
  }),
  row({
    apiKey: 3, version: 12, label: 'every topic', needs: [topic(DESCRIBE)], allowed: 'listed', denied: 'hidden',
    request: () => ({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
    outcome: (response, names) => (response.topics.some((entry) => entry.name === names.topic) ? 'listed' : 'hidden'),
  }),
  row({
    apiKey: 8, version: 8, label: '', needs: [group(READ), topic(READ)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 8, version: 8, label: 'the group allowed, the topic not', needs: [group(READ)], allowed: TOPIC_DENIED, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 9, version: 8, label: '', needs: [group(DESCRIBE), topic(DESCRIBE)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupId: '', topics: null, groups: [{ groupId: names.group, memberId: null, memberEpoch: -1, topics: [{ name: names.topic, partitionIndexes: [0] }] }], requireStable: false }),
    outcome: (response) => response.groups[0]!.errorCode || response.groups[0]!.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 9, version: 5, label: 'v5', needs: [group(DESCRIBE), topic(DESCRIBE)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, topics: [{ name: names.topic, partitionIndexes: [0] }], groups: [], requireStable: false }),
    outcome: (response) => response.errorCode || response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 10, version: 4, label: '', needs: [group(DESCRIBE)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ key: '', keyType: 0, coordinatorKeys: [names.group] }),
    outcome: (response) => response.coordinators[0]!.errorCode,
  }),
  row({
    apiKey: 10, version: 4, label: 'a transactional id', needs: [transactionalId(DESCRIBE)], allowed: NONE, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ key: '', keyType: 1, coordinatorKeys: [names.transactionalId] }),
    outcome: (response) => response.coordinators[0]!.errorCode,
  }),
  row({
    apiKey: 11, version: 3, label: '', needs: [group(READ, (names) => names.joinGroup)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.joinGroup, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 12, version: 3, label: '', needs: [group(READ)], allowed: UNKNOWN_MEMBER_ID, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, generationId: 1, memberId: 'nobody', groupInstanceId: null }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 13, version: 3, label: '', needs: [group(READ)], allowed: UNKNOWN_MEMBER_ID, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, memberId: '', members: [{ memberId: 'nobody', groupInstanceId: null }] }),
    outcome: (response) => response.errorCode || response.members[0]!.errorCode,
  }),
  row({
    apiKey: 14, version: 3, label: '', needs: [group(READ)], allowed: UNKNOWN_MEMBER_ID, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.group, generationId: 1, memberId: 'nobody', groupInstanceId: null, assignments: [] }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 15, version: 5, label: '', needs: [group(DESCRIBE)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groups: [names.group], includeAuthorizedOperations: false }),
    outcome: (response) => response.groups[0]!.errorCode,
  }),
  row({
    apiKey: 16, version: 4, label: '', needs: [group(DESCRIBE)], allowed: 'listed', denied: 'hidden',
    request: () => ({ statesFilter: [], typesFilter: [] }),
    outcome: (response, names) => (response.groups.some((entry) => entry.groupId === names.group) ? 'listed' : 'hidden'),
  }),
  row({
    apiKey: 17, version: 1, label: '', needs: [],
    // Open to all: the listener decides. The anonymous and certificate principals' listeners offer no SASL; a signed-in client may start again.
    allowed: handshakeAnswer, denied: handshakeAnswer,
    request: () => ({ mechanism: 'PLAIN' }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 18, version: 3, label: '', needs: [], allowed: NONE, denied: NONE,
    request: () => ({ clientSoftwareName: 'matrix', clientSoftwareVersion: '1' }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 19, version: 5, label: '', needs: [topic(CREATE, (names) => names.newTopic)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.newTopic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }),
    outcome: (response) => response.topics[0]!.errorCode,
  }),
  row({
    apiKey: 19, version: 5, label: 'CREATE on the cluster', needs: [cluster(CREATE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: `${names.newTopic}-by-cluster`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true }),
    outcome: (response) => response.topics[0]!.errorCode,
  }),
  row({
    apiKey: 20, version: 5, label: '', needs: [topic(DELETE, (names) => names.doomedTopic)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topicNames: [names.doomedTopic], topics: [], timeoutMs: 5000 }),
    outcome: (response) => response.responses[0]!.errorCode,
  }),
  row({
    apiKey: 21, version: 2, label: '', needs: [topic(DELETE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 22, version: 4, label: 'IDEMPOTENT_WRITE on the cluster', needs: [cluster(IDEMPOTENT_WRITE)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 22, version: 4, label: 'WRITE on some topic (KIP-679)', needs: [topic(WRITE)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 22, version: 4, label: 'a transactional id', needs: [transactionalId(WRITE)], allowed: NONE, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 23, version: 4, label: '', needs: [topic(DESCRIBE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ replicaId: -1, topics: [{ topic: names.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  // The transaction APIs, allowed, reach the coordinator, which refuses a producer id the
  // transactional id was not given (the InitProducerId row above gave it one).
  row({
    apiKey: 24, version: 3, label: '', needs: [transactionalId(WRITE), topic(WRITE)], allowed: INVALID_PRODUCER_ID_MAPPING, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ v3AndBelowTransactionalId: names.transactionalId, v3AndBelowProducerId: -1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: names.topic, partitions: [0] }] }),
    outcome: (response) => response.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
  }),
  row({
    apiKey: 24, version: 3, label: 'the transactional id allowed, the topic not', needs: [transactionalId(WRITE)], allowed: TOPIC_DENIED, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ v3AndBelowTransactionalId: names.transactionalId, v3AndBelowProducerId: -1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: names.topic, partitions: [0] }] }),
    outcome: (response) => response.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
  }),
  row({
    apiKey: 25, version: 3, label: '', needs: [transactionalId(WRITE), group(READ)], allowed: INVALID_PRODUCER_ID_MAPPING, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, producerId: -1n, producerEpoch: 0, groupId: names.group }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 25, version: 3, label: 'the transactional id allowed, the group not', needs: [transactionalId(WRITE)], allowed: GROUP_DENIED, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, producerId: -1n, producerEpoch: 0, groupId: names.group }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 26, version: 3, label: '', needs: [transactionalId(WRITE)], allowed: INVALID_PRODUCER_ID_MAPPING, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, producerId: -1n, producerEpoch: 0, committed: false }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 28, version: 3, label: '', needs: [transactionalId(WRITE), group(READ), topic(READ)], allowed: INVALID_PRODUCER_ID_MAPPING, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, groupId: names.group, producerId: -1n, producerEpoch: 0, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 28, version: 3, label: 'the transactional id and group allowed, the topic not', needs: [transactionalId(WRITE), group(READ)], allowed: TOPIC_DENIED, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalId: names.transactionalId, groupId: names.group, producerId: -1n, producerEpoch: 0, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 29, version: 3, label: '', needs: [cluster(DESCRIBE)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: 1 }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 30, version: 3, label: '', needs: [cluster(ALTER)], allowed: NONE, denied: CLUSTER_DENIED,
    request: (names) => ({ creations: [{ resourceType: ResourceType.TOPIC, resourceName: `${names.kind}.elsewhere`, resourcePatternType: 3, principal: 'User:nobody', host: '*', operation: READ, permissionType: 3 }] }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 31, version: 3, label: '', needs: [cluster(ALTER)], allowed: NONE, denied: CLUSTER_DENIED,
    request: (names) => ({ filters: [{ resourceTypeFilter: ResourceType.TOPIC, resourceNameFilter: `${names.kind}.elsewhere`, patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: 1 }] }),
    outcome: (response) => response.filterResults[0]!.errorCode,
  }),
  row({
    apiKey: 32, version: 4, label: 'a topic', needs: [topic(DESCRIBE_CONFIGS)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ resources: [{ resourceType: 2, resourceName: names.topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 32, version: 4, label: 'the broker', needs: [cluster(DESCRIBE_CONFIGS)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 33, version: 2, label: '', needs: [topic(ALTER_CONFIGS)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ resources: [{ resourceType: 2, resourceName: names.topic, configs: retention }], validateOnly: true }),
    outcome: (response) => response.responses[0]!.errorCode,
  }),
  row({
    apiKey: 35, version: 4, label: '', needs: [cluster(DESCRIBE)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ topics: null }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 36, version: 2, label: '', needs: [],
    // Open to all: after sign-in (or on a listener without SASL) another exchange is out of order.
    allowed: ILLEGAL_SASL_STATE, denied: ILLEGAL_SASL_STATE,
    request: () => ({ authBytes: Buffer.alloc(0) }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 37, version: 3, label: '', needs: [topic(ALTER)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.topic, count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 42, version: 2, label: '', needs: [group(DELETE, (names) => names.doomedGroup)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupsNames: [names.doomedGroup] }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 44, version: 1, label: '', needs: [topic(ALTER_CONFIGS)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ resources: [{ resourceType: 2, resourceName: names.topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '600000' }] }], validateOnly: true }),
    outcome: (response) => response.responses[0]!.errorCode,
  }),
  row({
    apiKey: 47, version: 0, label: '', needs: [group(DELETE, (names) => names.offsetsGroup), topic(READ)], allowed: NONE, denied: GROUP_DENIED,
    request: (names) => ({ groupId: names.offsetsGroup, topics: [{ name: names.topic, partitions: [{ partitionIndex: 0 }] }] }),
    outcome: (response) => response.errorCode || response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 48, version: 1, label: '', needs: [cluster(DESCRIBE_CONFIGS)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ components: [{ entityType: 'user', matchType: 2, match: null }], strict: false }),
    outcome: (response) => response.errorCode,
  }),
  row({
    apiKey: 50, version: 0, label: '', needs: [cluster(DESCRIBE)], allowed: NONE, denied: CLUSTER_DENIED,
    request: () => ({ users: null }),
    outcome: (response) => response.errorCode,
  }),
  row({
    // A new stored user of each principal kind's own: SCRAM-SHA-256, 4096 iterations, a 16-byte salt and a 32-byte salted password.
    apiKey: 51, version: 0, label: '', needs: [cluster(ALTER)], allowed: NONE, denied: CLUSTER_DENIED,
    request: (names) => ({ deletions: [], upsertions: [{ name: `${names.kind}.scram-user`, mechanism: 1, iterations: 4096, salt: Buffer.alloc(16, 1), saltedPassword: Buffer.alloc(32, 2) }] }),
    outcome: (response) => response.results[0]!.errorCode,
  }),
  row({
    apiKey: 60, version: 1, label: '', needs: [cluster(DESCRIBE)], allowed: 1 << DESCRIBE, denied: 0,
    // DescribeCluster checks nothing; the operations it reports are the principal's (KIP-430).
    request: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    outcome: (response) => (response.errorCode !== NONE ? `error ${response.errorCode}` : response.clusterAuthorizedOperations),
  }),
  row({
    apiKey: 61, version: 0, label: '', needs: [topic(READ)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.topic, partitionIndexes: [0] }] }),
    outcome: (response) => response.topics[0]!.partitions[0]!.errorCode,
  }),
  row({
    apiKey: 65, version: 0, label: '', needs: [transactionalId(DESCRIBE, (names) => names.unknownTransactionalId)], allowed: TRANSACTIONAL_ID_NOT_FOUND, denied: TRANSACTIONAL_ID_DENIED,
    request: (names) => ({ transactionalIds: [names.unknownTransactionalId] }),
    outcome: (response) => response.transactionStates[0]!.errorCode,
  }),
  row({
    apiKey: 66, version: 1, label: '', needs: [transactionalId(DESCRIBE)], allowed: 'listed', denied: 'hidden',
    request: () => ({ stateFilters: [], producerIdFilters: [], durationFilter: -1n }),
    outcome: (response, names) => (response.transactionStates.some((state) => state.transactionalId === names.transactionalId) ? 'listed' : 'hidden'),
  }),
  row({
    apiKey: 75, version: 0, label: '', needs: [topic(DESCRIBE)], allowed: NONE, denied: TOPIC_DENIED,
    request: (names) => ({ topics: [{ name: names.topic }], responsePartitionLimit: 100, cursor: null }),
    outcome: (response) => response.topics[0]!.errorCode,
  }),
  row({
    apiKey: 75, version: 0, label: 'its authorized operations (KIP-430)', needs: [topic(READ)], allowed: (1 << READ) | (1 << DESCRIBE), denied: `error ${TOPIC_DENIED}`,
    // READ implies DESCRIBE; the topic's other operations are not the principal's.
    request: (names) => ({ topics: [{ name: names.topic }], responsePartitionLimit: 100, cursor: null }),
    outcome: (response) => (response.topics[0]!.errorCode !== NONE ? `error ${response.topics[0]!.errorCode}` : response.topics[0]!.topicAuthorizedOperations),
  }),
];

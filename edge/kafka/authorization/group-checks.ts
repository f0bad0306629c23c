// The checks of the consumer-group APIs, as Kafka 4.4's KafkaApis makes them: READ on the
// group to join, sync, heartbeat, leave and commit; DESCRIBE to find its coordinator, fetch
// its offsets and describe it; DELETE to delete it or its offsets; and READ (commit, offset
// delete) or DESCRIBE (offset fetch) on each topic named. A denied group gets
// GROUP_AUTHORIZATION_FAILED, a denied topic TOPIC_AUTHORIZATION_FAILED.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { CoordinatorKeyType } from '../../../shared/kafka/apis/find-coordinator.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../../auth/acls/acl.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_ACL_OPERATIONS } from '../authorized-operations.ts';
import { split, withRefusals, type Check } from './checked.ts';
import type { KafkaAccess } from './kafka-access.ts';

const { READ, DELETE, DESCRIBE } = AclOperation;
const { GROUP, TOPIC } = ResourceType;
const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;

export const joinGroup: Check<typeof ApiKey.JoinGroup> = (body, access, _context, apiVersion) => (access.may(READ, GROUP, body.groupId) ? { body } : {
  // Versions before 7 cannot carry a null protocol name: Kafka writes the empty string.
  answer: { throttleTimeMs: 0, errorCode: GROUP_DENIED, generationId: -1, protocolType: null, protocolName: apiVersion < 7 ? '' : null, leader: '', skipAssignment: false, memberId: body.memberId, members: [] },
});

export const heartbeat: Check<typeof ApiKey.Heartbeat> = (body, access) => (access.may(READ, GROUP, body.groupId) ? { body } : { answer: { throttleTimeMs: 0, errorCode: GROUP_DENIED } });

export const leaveGroup: Check<typeof ApiKey.LeaveGroup> = (body, access) => (access.may(READ, GROUP, body.groupId) ? { body } : { answer: { throttleTimeMs: 0, errorCode: GROUP_DENIED, members: [] } });

export const syncGroup: Check<typeof ApiKey.SyncGroup> = (body, access) => (access.may(READ, GROUP, body.groupId) ? { body } : {
  answer: { throttleTimeMs: 0, errorCode: GROUP_DENIED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) },
});

export const offsetCommit: Check<typeof ApiKey.OffsetCommit> = (body, access) => {
  const partitionsOf = (topics: typeof body.topics, errorCode: number) => topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
  if (!access.may(READ, GROUP, body.groupId)) return { answer: { throttleTimeMs: 0, topics: partitionsOf(body.topics, GROUP_DENIED) } };
  const { allowed, denied } = split(body.topics, (topic) => access.may(READ, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => partitionsOf(denied, TOPIC_DENIED));
};

type TopicPartitions = { name: string; partitionIndexes: number[] };

function deniedOffsets(topics: readonly TopicPartitions[], errorCode: number) {
  return topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: null, errorCode })) }));
}

/** Of a group's topics: those named and denied go back with an error; with none named (all), those denied are left out. */
function offsetTopics(access: KafkaAccess, topics: TopicPartitions[] | null) {
  if (topics === null) return { topics, denied: [], shown: (name: string) => access.allows(DESCRIBE, TOPIC, name) };
  const { allowed, denied } = split(topics, (topic) => access.may(DESCRIBE, TOPIC, topic.name));
  return { topics: allowed, denied, shown: () => true };
}

export const offsetFetch: Check<typeof ApiKey.OffsetFetch> = (body, access, _context, apiVersion) => {
  if (apiVersion < 8) {
    if (!access.may(DESCRIBE, GROUP, body.groupId)) {
      // v0-1 carry no group error: each partition asked for carries it.
      return { answer: { throttleTimeMs: 0, errorCode: GROUP_DENIED, topics: apiVersion < 2 ? deniedOffsets(body.topics ?? [], GROUP_DENIED) : [], groups: [] } };
    }
    const { topics, denied, shown } = offsetTopics(access, body.topics);
    return {
      body: { ...body, topics },
      complete: (response) => ({ ...response, topics: [...response.topics.filter((topic) => shown(topic.name)), ...deniedOffsets(denied, TOPIC_DENIED)] }),
    };
  }
  const groups = split(body.groups, (group) => access.may(DESCRIBE, GROUP, group.groupId));
  const checked = new Map(groups.allowed.map((group) => [group.groupId, offsetTopics(access, group.topics)]));
  return {
    body: { ...body, groups: groups.allowed.map((group) => ({ ...group, topics: checked.get(group.groupId)!.topics })) },
    complete: (response) => ({
      ...response,
      groups: [
        ...response.groups.map((group) => {
          const topics = checked.get(group.groupId);
          return topics === undefined ? group : { ...group, topics: [...group.topics.filter((topic) => topics.shown(topic.name)), ...deniedOffsets(topics.denied, TOPIC_DENIED)] };
        }),
        ...groups.denied.map((group) => ({ groupId: group.groupId, topics: [], errorCode: GROUP_DENIED })),
      ],
    }),
  };
};

export const findCoordinator: Check<typeof ApiKey.FindCoordinator> = (body, access) => {
  const transactional = body.keyType === CoordinatorKeyType.TRANSACTION;
  const [resourceType, errorCode] = transactional ? [ResourceType.TRANSACTIONAL_ID, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED] : [GROUP, GROUP_DENIED];
  // Share-group keys and unknown key types are refused by the handler whoever asks.
  if (!transactional && body.keyType !== CoordinatorKeyType.GROUP) return { body };
  const refusal = (key: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: 'Authorization failed.' });
  const batched = body.coordinatorKeys.length > 0;
  const { allowed, denied } = split(batched ? body.coordinatorKeys : [body.key], (key) => access.may(DESCRIBE, resourceType, key));
  if (allowed.length === 0) {
    return { answer: { throttleTimeMs: 0, errorCode, errorMessage: 'Authorization failed.', nodeId: -1, host: '', port: -1, coordinators: batched ? denied.map(refusal) : [] } };
  }
  return withRefusals({ ...body, coordinatorKeys: batched ? allowed : [] }, denied, 'coordinators', () => denied.map(refusal));
};

export const describeGroups: Check<typeof ApiKey.DescribeGroups> = (body, access) => {
  const { allowed, denied } = split(body.groups, (groupId) => access.may(DESCRIBE, GROUP, groupId));
  return {
    body: { ...body, groups: allowed },
    complete: (response) => ({
      ...response,
      groups: [
        ...response.groups.map((group) => (group.authorizedOperations === AUTHORIZED_OPERATIONS_OMITTED ? group : { ...group, authorizedOperations: access.operationBits(GROUP, group.groupId, GROUP_ACL_OPERATIONS) })),
        ...denied.map((groupId) => ({ errorCode: GROUP_DENIED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })),
      ],
    }),
  };
};

export const listGroups: Check<typeof ApiKey.ListGroups> = (body, access) => {
  // DESCRIBE on the cluster lists every group; without it, the groups the principal may describe.
  if (access.allows(DESCRIBE, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) return { body };
  return { body, complete: (response) => ({ ...response, groups: response.groups.filter((group) => access.allows(DESCRIBE, GROUP, group.groupId)) }) };
};

export const deleteGroups: Check<typeof ApiKey.DeleteGroups> = (body, access) => {
  const { allowed, denied } = split(body.groupsNames, (groupId) => access.may(DELETE, GROUP, groupId));
  return withRefusals({ ...body, groupsNames: allowed }, denied, 'results', () => denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED, errorMessage: null })));
};

export const offsetDelete: Check<typeof ApiKey.OffsetDelete> = (body, access) => {
  if (!access.may(DELETE, GROUP, body.groupId)) return { answer: { errorCode: GROUP_DENIED, throttleTimeMs: 0, topics: [] } };
  const { allowed, denied } = split(body.topics, (topic) => access.may(READ, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: TOPIC_DENIED })),
  })));
};

// The checks of the APIs that act on topics, as Kafka 4.4's KafkaApis makes them: READ to
// fetch, WRITE to produce, DESCRIBE to see offsets and metadata, CREATE (on the cluster or
// the topic) to create, DELETE to delete topics or records, ALTER to add partitions. A topic
// denied gets TOPIC_AUTHORIZATION_FAILED in its entry while the rest of the request is served.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ZERO_UUID } from '../../../shared/kafka/protocol/schema.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../../auth/acls/acl.ts';
import { split, topicNameOf, withRefusals, type Check } from './checked.ts';
import type { KafkaAccess } from './kafka-access.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, TOPIC_ACL_OPERATIONS } from '../authorized-operations.ts';

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE } = AclOperation;
const TOPIC = ResourceType.TOPIC;
const DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;

/** CREATE on the cluster covers every topic; CREATE on the topic covers that one (KafkaApis.handleCreateTopicsRequest). */
function mayCreate(access: KafkaAccess, name: string): boolean {
  return access.allows(CREATE, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME) || access.may(CREATE, TOPIC, name);
}

export const produce: Check<typeof ApiKey.Produce> = (body, access, context) => {
  // A transactional producer needs WRITE on its transactional id before anything else (KIP-98).
  const transactionDenied = body.transactionalId !== null && !access.may(WRITE, ResourceType.TRANSACTIONAL_ID, body.transactionalId);
  const refusals = new Map<string, number>();
  const { allowed, denied } = split(body.topicData, (topic) => {
    if (transactionDenied) refusals.set(topic.name, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    else if (!access.may(WRITE, TOPIC, topic.name)) refusals.set(topic.name, DENIED);
    // kafka.autoCreateTopics also creates a topic produced to (Kafka creates topics only through
    // Metadata): that takes CREATE too, and a topic that may not be created is unknown, as in Kafka.
    else if (context.config.autoCreateTopics && context.store.describeTopic(topic.name) === undefined && !mayCreate(access, topic.name)) refusals.set(topic.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return !refusals.has(topic.name);
  });
  return withRefusals({ ...body, topicData: allowed }, denied, 'responses', () => denied.map((topic) => ({
    name: topic.name,
    partitionResponses: topic.partitionData.map((partition) => ({ index: partition.index, errorCode: refusals.get(topic.name)!, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null })),
  })));
};

export const fetch: Check<typeof ApiKey.Fetch> = (body, access, context) => {
  const { allowed, denied } = split(body.topics, (topic) => {
    const name = topicNameOf(context, topic.topic, topic.topicId);
    // A topic id that names no topic is the handler's to answer (UNKNOWN_TOPIC_ID).
    return name === undefined || access.may(READ, TOPIC, name);
  });
  return withRefusals({ ...body, topics: allowed }, denied, 'responses', () => denied.map((topic) => ({
    topic: topic.topic,
    topicId: topic.topicId,
    partitions: topic.partitions.map((partition) => ({
      partitionIndex: partition.partition, errorCode: DENIED, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: null,
    })),
  })));
};

export const listOffsets: Check<typeof ApiKey.ListOffsets> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => access.may(DESCRIBE, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: DENIED, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 })),
  })));
};

export const metadata: Check<typeof ApiKey.Metadata> = (body, access, context, apiVersion) => {
  const everyTopic = body.topics === null || (apiVersion === 0 && body.topics.length === 0);
  const { allowed, denied } = everyTopic ? { allowed: body.topics, denied: [] } : split(body.topics!, (topic) => {
    const name = topicNameOf(context, topic.name, topic.topicId);
    return name === undefined || access.may(DESCRIBE, TOPIC, name);
  });
  // Creating a missing topic needs CREATE as well; without it the topic is reported unknown.
  const allowAutoTopicCreation = body.allowAutoTopicCreation && (allowed ?? []).every((topic) => topic.name === null || context.store.describeTopic(topic.name) !== undefined || mayCreate(access, topic.name));
  return {
    body: { ...body, topics: allowed, allowAutoTopicCreation },
    complete: (response) => {
      // Of every topic, those the principal may not describe are left out, as if they did not exist.
      const shown = everyTopic ? response.topics.filter((topic) => topic.name === null || access.allows(DESCRIBE, TOPIC, topic.name)) : response.topics;
      const topics = [...shown, ...denied.map((topic) => ({ errorCode: DENIED, name: topic.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED }))];
      for (const topic of topics) {
        if (topic.topicAuthorizedOperations !== AUTHORIZED_OPERATIONS_OMITTED && topic.name !== null && topic.errorCode === ErrorCode.NONE) topic.topicAuthorizedOperations = access.operationBits(TOPIC, topic.name, TOPIC_ACL_OPERATIONS);
      }
      const clusterAuthorizedOperations = response.clusterAuthorizedOperations === AUTHORIZED_OPERATIONS_OMITTED ? AUTHORIZED_OPERATIONS_OMITTED : access.clusterOperationBits();
      return { ...response, topics, clusterAuthorizedOperations };
    },
  };
};

export const createTopics: Check<typeof ApiKey.CreateTopics> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => mayCreate(access, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    name: topic.name, topicId: ZERO_UUID, errorCode: DENIED, errorMessage: 'Authorization failed.', topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null,
  })));
};

export const deleteTopics: Check<typeof ApiKey.DeleteTopics> = (body, access, context) => {
  const mayDelete = (name: string | undefined) => name === undefined || access.may(DELETE, TOPIC, name);
  const byName = split(body.topicNames, (name) => mayDelete(name));
  const byEntry = split(body.topics, (topic) => mayDelete(topicNameOf(context, topic.name, topic.topicId)));
  const denied = [...byName.denied.map((name) => ({ name, topicId: ZERO_UUID })), ...byEntry.denied];
  return withRefusals({ ...body, topicNames: byName.allowed, topics: byEntry.allowed }, denied, 'responses', () => denied.map((topic) => ({
    name: topic.name, topicId: topic.topicId, errorCode: DENIED, errorMessage: 'Authorization failed.',
  })));
};

export const deleteRecords: Check<typeof ApiKey.DeleteRecords> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => access.may(DELETE, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode: DENIED })),
  })));
};

export const offsetForLeaderEpoch: Check<typeof ApiKey.OffsetForLeaderEpoch> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => access.may(DESCRIBE, TOPIC, topic.topic));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    topic: topic.topic, partitions: topic.partitions.map((partition) => ({ errorCode: DENIED, partition: partition.partition, leaderEpoch: -1, endOffset: -1n })),
  })));
};

export const createPartitions: Check<typeof ApiKey.CreatePartitions> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => access.may(ALTER, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'results', () => denied.map((topic) => ({ name: topic.name, errorCode: DENIED, errorMessage: 'Authorization failed.' })));
};

export const describeProducers: Check<typeof ApiKey.DescribeProducers> = (body, access) => {
  const { allowed, denied } = split(body.topics, (topic) => access.may(READ, TOPIC, topic.name));
  return withRefusals({ ...body, topics: allowed }, denied, 'topics', () => denied.map((topic) => ({
    name: topic.name, partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: DENIED, errorMessage: 'Authorization failed.', activeProducers: [] })),
  })));
};

export const describeTopicPartitions: Check<typeof ApiKey.DescribeTopicPartitions> = (body, access) => {
  // The topic operations reported (KIP-430) are the principal's.
  const withOperations = <Topic extends { name: string | null; errorCode: number; topicAuthorizedOperations?: number | undefined }>(topic: Topic): Topic => (
    topic.name === null || topic.errorCode !== ErrorCode.NONE ? topic : { ...topic, topicAuthorizedOperations: access.operationBits(TOPIC, topic.name, TOPIC_ACL_OPERATIONS) });
  if (body.topics.length === 0) {
    // Of every topic, those the principal may not describe are left out, as if they did not exist.
    return { body, complete: (response) => ({ ...response, topics: response.topics.filter((topic) => topic.name === null || access.allows(DESCRIBE, TOPIC, topic.name)).map(withOperations) }) };
  }
  const { allowed, denied } = split(body.topics, (topic) => access.may(DESCRIBE, TOPIC, topic.name));
  if (allowed.length === 0) {
    // An empty list would ask for every topic: answer the denied ones alone.
    return { answer: { throttleTimeMs: 0, topics: denied.map((topic) => deniedTopicPartitions(topic.name)), nextCursor: null } };
  }
  return {
    body: { ...body, topics: allowed },
    complete: (response) => ({ ...response, topics: [...response.topics.map(withOperations), ...denied.map((topic) => deniedTopicPartitions(topic.name))] as typeof response.topics }),
  };
};

function deniedTopicPartitions(name: string) {
  return { errorCode: DENIED, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}


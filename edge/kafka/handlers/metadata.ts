// Metadata: one broker (this one) leading every partition, and the topics asked for —
// all of them when the list is null (v1+) or empty (v0). Asked-for topics are created when
// auto-creation is on and the client allows it (v4+). The authorized operations of each
// topic (v8+) and of the cluster (v8-10) are sent when asked for (KIP-430).
import type { MetadataRequest, MetadataResponse } from '../../../shared/kafka/apis/metadata.ts';
import { ZERO_UUID } from '../../../shared/kafka/protocol/schema.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { authorizedOperations, CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../authorized-operations.ts';
import { isValidTopicName } from '../../../shared/kafka/topic-name.ts';
import { isExpectedError, kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { BROKER_NODE_ID, topicOrAutoCreate, type BrokerContext } from '../broker-context.ts';
import { PARTITION_LEADER_EPOCH, type TopicDescription } from '../../storage/index.ts';

type TopicResponse = MetadataResponse['topics'][number];

export async function handleMetadata(context: BrokerContext, request: MetadataRequest, apiVersion: number): Promise<MetadataResponse> {
  const everyTopic = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
  let topics: TopicResponse[];
  if (everyTopic) {
    topics = context.store.listTopics().map(describe);
  } else {
    topics = await Promise.all(request.topics!.map(async (requested) => {
      const name = requested.name ?? context.store.listTopics().find((topic) => topic.id === requested.topicId)?.name;
      if (name === undefined) return missing(null, requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
      if (!isValidTopicName(name)) return missing(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
      let topic;
      try {
        topic = await topicOrAutoCreate(context, name, request.allowAutoTopicCreation);
      } catch (error) {
        // Auto-creation refused (topics.maxTopics, say): the topic's entry carries the reason's code, the rest of the answer stands.
        if (!isExpectedError(error)) throw error;
        return missing(name, ZERO_UUID, kafkaErrorCodeOf(error));
      }
      return topic ? describe(topic) : missing(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }));
  }
  const topicOperations = authorizedOperations(request.includeTopicAuthorizedOperations, TOPIC_OPERATIONS);
  for (const topic of topics) topic.topicAuthorizedOperations = topicOperations;
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: BROKER_NODE_ID, host: context.advertised.host, port: context.advertised.port, rack: null }],
    clusterId: context.clusterId,
    controllerId: BROKER_NODE_ID,
    topics,
    clusterAuthorizedOperations: authorizedOperations(request.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS),
  };
}

/** One partition as Metadata and DescribeTopicPartitions describe it: led by this broker, its only replica, in epoch 0. */
export function partitionLeadership(partitionIndex: number) {
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex,
    leaderId: BROKER_NODE_ID,
    leaderEpoch: PARTITION_LEADER_EPOCH,
    replicaNodes: [BROKER_NODE_ID],
    isrNodes: [BROKER_NODE_ID],
    offlineReplicas: [],
  };
}

function describe(topic: TopicDescription): TopicResponse {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: false,
    partitions: Array.from({ length: topic.partitions }, (_, partitionIndex) => partitionLeadership(partitionIndex)),
  };
}

function missing(name: string | null, topicId: string, errorCode: number): TopicResponse {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

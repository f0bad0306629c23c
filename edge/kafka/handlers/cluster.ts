// The small APIs that describe the broker and its producers: ApiVersions, DescribeCluster,
// InitProducerId and OffsetForLeaderEpoch.
import type { ApiVersionsResponse } from '../../../shared/kafka/apis/api-versions.ts';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../shared/kafka/apis/describe-cluster.ts';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../../shared/kafka/apis/init-producer-id.ts';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../../shared/kafka/apis/offset-for-leader-epoch.ts';
import { SUPPORTED_APIS } from '../../../shared/kafka/apis/index.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { authorizedOperations, CLUSTER_OPERATIONS } from '../authorized-operations.ts';
import { BROKER_NODE_ID, type BrokerContext } from '../broker-context.ts';
import { fencedAs } from './transactions.ts';

/** Every partition has had one leader, this broker, since it was created. */
const LEADER_EPOCH = 0;

export function apiVersionsBody(errorCode: number = ErrorCode.NONE): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
    throttleTimeMs: 0,
  };
}

export function handleDescribeCluster(context: BrokerContext, request: DescribeClusterRequest): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    clusterId: context.clusterId,
    controllerId: BROKER_NODE_ID,
    brokers: [{ brokerId: BROKER_NODE_ID, host: context.advertised.host, port: context.advertised.port, rack: null }],
    clusterAuthorizedOperations: authorizedOperations(request.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS),
  };
}

export async function handleInitProducerId(context: BrokerContext, request: InitProducerIdRequest, apiVersion: number): Promise<InitProducerIdResponse> {
  // Versions before 4 know INVALID_PRODUCER_EPOCH, not PRODUCER_FENCED (KIP-588), as Kafka answers them.
  const answer = await context.transactions.initProducerId(request);
  return { throttleTimeMs: 0, ...answer, errorCode: fencedAs(answer.errorCode, apiVersion, 4) };
}

/** Every epoch ends at the log end: there has only ever been one leader epoch (0). */
export function handleOffsetForLeaderEpoch(context: BrokerContext, request: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => {
      const description = context.store.describeTopic(topic.topic);
      return {
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => {
          if (!description || partition.partition < 0 || partition.partition >= description.partitions) {
            return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: partition.partition, leaderEpoch: -1, endOffset: -1n };
          }
          const log = context.store.partition(topic.topic, partition.partition);
          if (partition.leaderEpoch > LEADER_EPOCH) return { errorCode: ErrorCode.NONE, partition: partition.partition, leaderEpoch: -1, endOffset: -1n };
          return { errorCode: ErrorCode.NONE, partition: partition.partition, leaderEpoch: LEADER_EPOCH, endOffset: log.highWatermark };
        }),
      };
    }),
  };
}

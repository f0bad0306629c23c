// DescribeCluster (API key 60). Schema: apache/kafka DescribeClusterRequest.json and DescribeClusterResponse.json.
//
// DescribeCluster Request (Version: 1) => include_cluster_authorized_operations endpoint_type TAG_BUFFER
// DescribeCluster Response (Version: 1) => throttle_time_ms error_code error_message endpoint_type cluster_id controller_id [brokers] cluster_authorized_operations TAG_BUFFER
//   brokers => broker_id host port rack TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeClusterApi = defineApi({
  apiKey: ApiKey.DescribeCluster,
  versions: '0-1',
  request: {
    includeClusterAuthorizedOperations: bool('0+'),
    endpointType: int8('1+').default(1),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+').default(null),
    endpointType: int8('1+').default(1),
    clusterId: string('0+'),
    controllerId: int32('0+').default(-1),
    brokers: array('0+', {
      brokerId: int32('0+'),
      host: string('0+'),
      port: int32('0+'),
      rack: string('0+').nullable('0+').default(null),
    }),
    clusterAuthorizedOperations: int32('0+').default(-2147483648),
  },
});

export type DescribeClusterRequest = RequestOf<typeof describeClusterApi>;
export type DescribeClusterResponse = ResponseOf<typeof describeClusterApi>;

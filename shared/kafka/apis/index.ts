// The Kafka APIs this broker serves: one definition per API, each in its own file. This list
// is the single source of the versions advertised in ApiVersions.
import { inVersions } from '../protocol/schema.ts';
import type { ApiDefinition, DecodedResponseOf, RequestInputOf, RequestOf, ResponseOf } from '../protocol/schema.ts';
import { produceApi } from './produce.ts';
import { fetchApi } from './fetch.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { offsetCommitApi } from './offset-commit.ts';
import { offsetFetchApi } from './offset-fetch.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { joinGroupApi } from './join-group.ts';
import { heartbeatApi } from './heartbeat.ts';
import { leaveGroupApi } from './leave-group.ts';
import { syncGroupApi } from './sync-group.ts';
import { describeGroupsApi } from './describe-groups.ts';
import { listGroupsApi } from './list-groups.ts';
import { saslHandshakeApi } from './sasl-handshake.ts';
import { apiVersionsApi } from './api-versions.ts';
import { createTopicsApi } from './create-topics.ts';
import { deleteTopicsApi } from './delete-topics.ts';
import { initProducerIdApi } from './init-producer-id.ts';
import { offsetForLeaderEpochApi } from './offset-for-leader-epoch.ts';
import { describeAclsApi } from './describe-acls.ts';
import { createAclsApi } from './create-acls.ts';
import { deleteAclsApi } from './delete-acls.ts';
import { describeConfigsApi } from './describe-configs.ts';
import { saslAuthenticateApi } from './sasl-authenticate.ts';
import { createPartitionsApi } from './create-partitions.ts';
import { describeClusterApi } from './describe-cluster.ts';
import { alterConfigsApi } from './alter-configs.ts';
import { incrementalAlterConfigsApi } from './incremental-alter-configs.ts';
import { deleteGroupsApi } from './delete-groups.ts';
import { offsetDeleteApi } from './offset-delete.ts';
import { deleteRecordsApi } from './delete-records.ts';
import { describeLogDirsApi } from './describe-log-dirs.ts';
import { describeProducersApi } from './describe-producers.ts';
import { describeTopicPartitionsApi } from './describe-topic-partitions.ts';
import { addPartitionsToTxnApi } from './add-partitions-to-txn.ts';
import { addOffsetsToTxnApi } from './add-offsets-to-txn.ts';
import { endTxnApi } from './end-txn.ts';
import { txnOffsetCommitApi } from './txn-offset-commit.ts';
import { describeTransactionsApi } from './describe-transactions.ts';
import { listTransactionsApi } from './list-transactions.ts';
import { describeClientQuotasApi } from './describe-client-quotas.ts';
import { describeUserScramCredentialsApi } from './describe-user-scram-credentials.ts';
import { alterUserScramCredentialsApi } from './alter-user-scram-credentials.ts';

export { produceApi } from './produce.ts';
export type { ProduceRequest, ProduceResponse } from './produce.ts';
export { fetchApi } from './fetch.ts';
export type { FetchRequest, FetchResponse } from './fetch.ts';
export { listOffsetsApi } from './list-offsets.ts';
export type { ListOffsetsRequest, ListOffsetsResponse } from './list-offsets.ts';
export { metadataApi } from './metadata.ts';
export type { MetadataRequest, MetadataResponse } from './metadata.ts';
export { offsetCommitApi } from './offset-commit.ts';
export type { OffsetCommitRequest, OffsetCommitResponse } from './offset-commit.ts';
export { offsetFetchApi } from './offset-fetch.ts';
export type { OffsetFetchRequest, OffsetFetchResponse } from './offset-fetch.ts';
export { findCoordinatorApi } from './find-coordinator.ts';
export type { FindCoordinatorRequest, FindCoordinatorResponse } from './find-coordinator.ts';
export { joinGroupApi } from './join-group.ts';
export type { JoinGroupRequest, JoinGroupResponse } from './join-group.ts';
export { heartbeatApi } from './heartbeat.ts';
export type { HeartbeatRequest, HeartbeatResponse } from './heartbeat.ts';
export { leaveGroupApi } from './leave-group.ts';
export type { LeaveGroupRequest, LeaveGroupResponse } from './leave-group.ts';
export { syncGroupApi } from './sync-group.ts';
export type { SyncGroupRequest, SyncGroupResponse } from './sync-group.ts';
export { describeGroupsApi } from './describe-groups.ts';
export type { DescribeGroupsRequest, DescribeGroupsResponse } from './describe-groups.ts';
export { listGroupsApi } from './list-groups.ts';
export type { ListGroupsRequest, ListGroupsResponse } from './list-groups.ts';
export { saslHandshakeApi } from './sasl-handshake.ts';
export type { SaslHandshakeRequest, SaslHandshakeResponse } from './sasl-handshake.ts';
export { apiVersionsApi } from './api-versions.ts';
export type { ApiVersionsRequest, ApiVersionsResponse } from './api-versions.ts';
export { createTopicsApi } from './create-topics.ts';
export type { CreateTopicsRequest, CreateTopicsResponse } from './create-topics.ts';
export { deleteTopicsApi } from './delete-topics.ts';
export type { DeleteTopicsRequest, DeleteTopicsResponse } from './delete-topics.ts';
export { initProducerIdApi } from './init-producer-id.ts';
export type { InitProducerIdRequest, InitProducerIdResponse } from './init-producer-id.ts';
export { offsetForLeaderEpochApi } from './offset-for-leader-epoch.ts';
export type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from './offset-for-leader-epoch.ts';
export { describeAclsApi } from './describe-acls.ts';
export type { DescribeAclsRequest, DescribeAclsResponse } from './describe-acls.ts';
export { createAclsApi } from './create-acls.ts';
export type { CreateAclsRequest, CreateAclsResponse } from './create-acls.ts';
export { deleteAclsApi } from './delete-acls.ts';
export type { DeleteAclsRequest, DeleteAclsResponse } from './delete-acls.ts';
export { describeConfigsApi } from './describe-configs.ts';
export type { DescribeConfigsRequest, DescribeConfigsResponse } from './describe-configs.ts';
export { saslAuthenticateApi } from './sasl-authenticate.ts';
export type { SaslAuthenticateRequest, SaslAuthenticateResponse } from './sasl-authenticate.ts';
export { createPartitionsApi } from './create-partitions.ts';
export type { CreatePartitionsRequest, CreatePartitionsResponse } from './create-partitions.ts';
export { describeClusterApi } from './describe-cluster.ts';
export type { DescribeClusterRequest, DescribeClusterResponse } from './describe-cluster.ts';
export { alterConfigsApi } from './alter-configs.ts';
export type { AlterConfigsRequest, AlterConfigsResponse } from './alter-configs.ts';
export { incrementalAlterConfigsApi } from './incremental-alter-configs.ts';
export type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from './incremental-alter-configs.ts';
export { deleteGroupsApi } from './delete-groups.ts';
export type { DeleteGroupsRequest, DeleteGroupsResponse } from './delete-groups.ts';
export { offsetDeleteApi } from './offset-delete.ts';
export type { OffsetDeleteRequest, OffsetDeleteResponse } from './offset-delete.ts';
export { deleteRecordsApi } from './delete-records.ts';
export type { DeleteRecordsRequest, DeleteRecordsResponse } from './delete-records.ts';
export { describeLogDirsApi } from './describe-log-dirs.ts';
export type { DescribeLogDirsRequest, DescribeLogDirsResponse } from './describe-log-dirs.ts';
export { describeProducersApi } from './describe-producers.ts';
export type { DescribeProducersRequest, DescribeProducersResponse } from './describe-producers.ts';
export { describeTopicPartitionsApi } from './describe-topic-partitions.ts';
export type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse } from './describe-topic-partitions.ts';
export { addPartitionsToTxnApi } from './add-partitions-to-txn.ts';
export type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from './add-partitions-to-txn.ts';
export { addOffsetsToTxnApi } from './add-offsets-to-txn.ts';
export type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from './add-offsets-to-txn.ts';
export { endTxnApi } from './end-txn.ts';
export type { EndTxnRequest, EndTxnResponse } from './end-txn.ts';
export { txnOffsetCommitApi } from './txn-offset-commit.ts';
export type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from './txn-offset-commit.ts';
export { describeTransactionsApi } from './describe-transactions.ts';
export type { DescribeTransactionsRequest, DescribeTransactionsResponse } from './describe-transactions.ts';
export { listTransactionsApi } from './list-transactions.ts';
export type { ListTransactionsRequest, ListTransactionsResponse } from './list-transactions.ts';
export { describeClientQuotasApi } from './describe-client-quotas.ts';
export type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from './describe-client-quotas.ts';
export { describeUserScramCredentialsApi } from './describe-user-scram-credentials.ts';
export type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from './describe-user-scram-credentials.ts';
export { alterUserScramCredentialsApi } from './alter-user-scram-credentials.ts';
export type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from './alter-user-scram-credentials.ts';

/** Every API this broker serves, by ascending API key. */
export const API_DEFINITIONS = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  txnOffsetCommitApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  describeConfigsApi,
  alterConfigsApi,
  describeLogDirsApi,
  saslAuthenticateApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  offsetDeleteApi,
  describeClientQuotasApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
  describeClusterApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
  describeTopicPartitionsApi,
] as const;

export type ServedApi = (typeof API_DEFINITIONS)[number];
export type ServedApiKey = ServedApi['apiKey'];

type ApiByKey = { [Api in ServedApi as Api['apiKey']]: Api };

/** The decoded request body of the API with this key. */
export type RequestBody<Key extends ServedApiKey> = RequestOf<ApiByKey[Key]>;
/** What the encoder accepts as a request body of the API with this key. */
export type RequestBodyInput<Key extends ServedApiKey> = RequestInputOf<ApiByKey[Key]>;
/** What the encoder accepts as a response body of the API with this key. */
export type ResponseBody<Key extends ServedApiKey> = ResponseOf<ApiByKey[Key]>;
/** The decoded response body of the API with this key. */
export type DecodedResponseBody<Key extends ServedApiKey> = DecodedResponseOf<ApiByKey[Key]>;

/**
 * The decoded response body of `Api` without its throttle time: what the part of a server
 * that answers a request returns. The throttle time is the server's to decide, not the part's.
 */
export type AnswerOf<Api extends ApiDefinition> = Omit<DecodedResponseOf<Api>, 'throttleTimeMs'>;

export interface SupportedApi {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** The APIs and version ranges this broker serves, as ApiVersions reports them. */
export const SUPPORTED_APIS: readonly SupportedApi[] = Object.freeze(
  API_DEFINITIONS.map((api) => Object.freeze({ apiKey: api.apiKey, name: api.name, minVersion: api.versions.min, maxVersion: api.versions.max })),
);

const byKey: ReadonlyMap<number, ApiDefinition> = new Map(API_DEFINITIONS.map((api) => [api.apiKey, api as ApiDefinition]));

/** The definition of a served API, or undefined if this broker does not serve the key. */
export function apiDefinition(apiKey: number): ApiDefinition | undefined {
  return byKey.get(apiKey);
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const api = byKey.get(apiKey);
  return api !== undefined && inVersions(api.versions, apiVersion);
}

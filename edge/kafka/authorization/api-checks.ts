// Kafka's authorization, API by API: the one table the router consults before a request
// reaches its handler. Each entry takes the denied parts out of a request (or answers it
// whole) and puts them back into the response with Kafka's error code for that API. The
// table covers every served API (type-checked); an API added later must say what it checks.
//
// Transactions (KIP-98), when served, check as Kafka does: AddPartitionsToTxn (24) WRITE on
// the transactional id and WRITE on each topic; AddOffsetsToTxn (25) WRITE on the
// transactional id and READ on the group; EndTxn (26) WRITE on the transactional id;
// TxnOffsetCommit (28) WRITE on the transactional id, READ on the group and READ on each
// topic; DescribeTransactions (65) DESCRIBE on each transactional id; ListTransactions (66)
// DESCRIBE on each transactional id listed. A denied transactional id gets
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import type { ApiChecks } from './checked.ts';
import { createPartitions, createTopics, deleteRecords, deleteTopics, describeProducers, describeTopicPartitions, fetch, listOffsets, metadata, offsetForLeaderEpoch, produce } from './topic-checks.ts';
import { deleteGroups, describeGroups, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, offsetCommit, offsetDelete, offsetFetch, syncGroup } from './group-checks.ts';
import { alterConfigs, createAcls, deleteAcls, describeAcls, describeCluster, describeConfigs, describeLogDirs, incrementalAlterConfigs, initProducerId, open } from './cluster-checks.ts';

export const API_CHECKS: ApiChecks = {
  [ApiKey.Produce]: produce,
  [ApiKey.Fetch]: fetch,
  [ApiKey.ListOffsets]: listOffsets,
  [ApiKey.Metadata]: metadata,
  [ApiKey.OffsetCommit]: offsetCommit,
  [ApiKey.OffsetFetch]: offsetFetch,
  [ApiKey.FindCoordinator]: findCoordinator,
  [ApiKey.JoinGroup]: joinGroup,
  [ApiKey.Heartbeat]: heartbeat,
  [ApiKey.LeaveGroup]: leaveGroup,
  [ApiKey.SyncGroup]: syncGroup,
  [ApiKey.DescribeGroups]: describeGroups,
  [ApiKey.ListGroups]: listGroups,
  [ApiKey.SaslHandshake]: open,
  [ApiKey.ApiVersions]: open,
  [ApiKey.CreateTopics]: createTopics,
  [ApiKey.DeleteTopics]: deleteTopics,
  [ApiKey.DeleteRecords]: deleteRecords,
  [ApiKey.InitProducerId]: initProducerId,
  [ApiKey.OffsetForLeaderEpoch]: offsetForLeaderEpoch,
  [ApiKey.DescribeAcls]: describeAcls,
  [ApiKey.CreateAcls]: createAcls,
  [ApiKey.DeleteAcls]: deleteAcls,
  [ApiKey.DescribeConfigs]: describeConfigs,
  [ApiKey.AlterConfigs]: alterConfigs,
  [ApiKey.DescribeLogDirs]: describeLogDirs,
  [ApiKey.SaslAuthenticate]: open,
  [ApiKey.CreatePartitions]: createPartitions,
  [ApiKey.DeleteGroups]: deleteGroups,
  [ApiKey.IncrementalAlterConfigs]: incrementalAlterConfigs,
  [ApiKey.OffsetDelete]: offsetDelete,
  [ApiKey.DescribeCluster]: describeCluster,
  [ApiKey.DescribeProducers]: describeProducers,
  [ApiKey.DescribeTopicPartitions]: describeTopicPartitions,
};

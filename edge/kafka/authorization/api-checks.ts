// Kafka's authorization, API by API: the one table the router consults before a request
// reaches its handler. Each entry takes the denied parts out of a request (or answers it
// whole) and puts them back into the response with Kafka's error code for that API. The
// table covers every served API (type-checked); an API added later must say what it checks.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import type { ApiChecks } from './checked.ts';
import { createPartitions, createTopics, deleteRecords, deleteTopics, describeProducers, describeTopicPartitions, fetch, listOffsets, metadata, offsetForLeaderEpoch, produce } from './topic-checks.ts';
import { deleteGroups, describeGroups, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, offsetCommit, offsetDelete, offsetFetch, syncGroup } from './group-checks.ts';
import { addOffsetsToTxn, addPartitionsToTxn, describeTransactions, endTxn, listTransactions, txnOffsetCommit } from './transaction-checks.ts';
import { alterConfigs, alterUserScramCredentials, createAcls, deleteAcls, describeAcls, describeClientQuotas, describeUserScramCredentials, describeCluster, describeConfigs, describeLogDirs, incrementalAlterConfigs, initProducerId, open } from './cluster-checks.ts';

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
  [ApiKey.AddPartitionsToTxn]: addPartitionsToTxn,
  [ApiKey.AddOffsetsToTxn]: addOffsetsToTxn,
  [ApiKey.EndTxn]: endTxn,
  [ApiKey.TxnOffsetCommit]: txnOffsetCommit,
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
  [ApiKey.DescribeClientQuotas]: describeClientQuotas,
  [ApiKey.DescribeUserScramCredentials]: describeUserScramCredentials,
  [ApiKey.AlterUserScramCredentials]: alterUserScramCredentials,
  [ApiKey.DescribeProducers]: describeProducers,
  [ApiKey.DescribeTransactions]: describeTransactions,
  [ApiKey.ListTransactions]: listTransactions,
  [ApiKey.DescribeTopicPartitions]: describeTopicPartitions,
};

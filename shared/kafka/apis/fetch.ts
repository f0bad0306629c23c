// Fetch (API key 1). Schema: apache/kafka FetchRequest.json and FetchResponse.json.
//
// Fetch Request (Version: 17) => max_wait_ms min_bytes max_bytes isolation_level session_id session_epoch [topics] [forgotten_topics_data] rack_id TAG_BUFFER
//   topics => topic_id [partitions] TAG_BUFFER
//     partitions => partition current_leader_epoch fetch_offset last_fetched_epoch log_start_offset partition_max_bytes TAG_BUFFER
//   forgotten_topics_data => topic_id [partitions] TAG_BUFFER
// Fetch Response (Version: 17) => throttle_time_ms error_code session_id [responses] TAG_BUFFER
//   responses => topic_id [partitions] TAG_BUFFER
//     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset [aborted_transactions] preferred_read_replica records TAG_BUFFER
//       aborted_transactions => producer_id first_offset TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int8, int16, int32, int64, records, string, struct, uuid } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

/** isolation_level of Fetch and ListOffsets (KIP-98): read_committed stops at the last stable offset. */
export const IsolationLevel = { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } as const;

export const fetchApi = defineApi({
  apiKey: ApiKey.Fetch,
  versions: '4-17',
  request: {
    clusterId: string('12+').nullable('12+').default(null).tagged(0, '12+'),
    replicaId: int32('0-14').default(-1),
    replicaState: struct('15+', {
      replicaId: int32('15+').default(-1),
      replicaEpoch: int64('15+').default(-1n),
    }).tagged(1, '15+'),
    maxWaitMs: int32('0+'),
    minBytes: int32('0+'),
    maxBytes: int32('3+').default(2147483647),
    isolationLevel: int8('4+').default(0),
    sessionId: int32('7+').default(0),
    sessionEpoch: int32('7+').default(-1),
    topics: array('0+', {
      topic: string('0-12'),
      topicId: uuid('13+'),
      partitions: array('0+', {
        partition: int32('0+'),
        currentLeaderEpoch: int32('9+').default(-1),
        fetchOffset: int64('0+'),
        lastFetchedEpoch: int32('12+').default(-1),
        logStartOffset: int64('5+').default(-1n),
        partitionMaxBytes: int32('0+'),
        replicaDirectoryId: uuid('17+').tagged(0, '17+'),
      }),
    }),
    forgottenTopicsData: array('7+', {
      topic: string('7-12'),
      topicId: uuid('13+'),
      partitions: array('7+', 'int32'),
    }),
    rackId: string('11+').default(''),
  },
  response: {
    throttleTimeMs: int32('1+'),
    errorCode: int16('7+'),
    sessionId: int32('7+').default(0),
    responses: array('0+', {
      topic: string('0-12'),
      topicId: uuid('13+'),
      partitions: array('0+', {
        partitionIndex: int32('0+'),
        errorCode: int16('0+'),
        highWatermark: int64('0+'),
        lastStableOffset: int64('4+').default(-1n),
        logStartOffset: int64('5+').default(-1n),
        divergingEpoch: struct('12+', {
          epoch: int32('12+').default(-1),
          endOffset: int64('12+').default(-1n),
        }).tagged(0, '12+'),
        currentLeader: struct('12+', {
          leaderId: int32('12+').default(-1),
          leaderEpoch: int32('12+').default(-1),
        }).tagged(1, '12+'),
        snapshotId: struct('12+', {
          endOffset: int64('0+').default(-1n),
          epoch: int32('0+').default(-1),
        }).tagged(2, '12+'),
        abortedTransactions: array('4+', {
          producerId: int64('4+'),
          firstOffset: int64('4+'),
        }).nullable('4+'),
        preferredReadReplica: int32('11+').default(-1),
        records: records('0+').nullable('0+'),
      }),
    }),
    nodeEndpoints: array('16+', {
      nodeId: int32('16+'),
      host: string('16+'),
      port: int32('16+'),
      rack: string('16+').nullable('16+').default(null),
    }).tagged(0, '16+'),
  },
});

export type FetchRequest = RequestOf<typeof fetchApi>;
export type FetchResponse = ResponseOf<typeof fetchApi>;

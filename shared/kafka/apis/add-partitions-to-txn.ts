// AddPartitionsToTxn (API key 24, KIP-98). Schema: apache/kafka AddPartitionsToTxnRequest.json and AddPartitionsToTxnResponse.json.
//
// AddPartitionsToTxn Request (Version: 3) => v3_and_below_transactional_id v3_and_below_producer_id v3_and_below_producer_epoch [v3_and_below_topics] TAG_BUFFER
//   v3_and_below_topics => name [partitions] TAG_BUFFER
// AddPartitionsToTxn Response (Version: 3) => throttle_time_ms [results_by_topic_v3_and_below] TAG_BUFFER
//   results_by_topic_v3_and_below => name [results_by_partition] TAG_BUFFER
//     results_by_partition => partition_index partition_error_code TAG_BUFFER
//
// Versions 4 and 5 batch several transactions and are sent only between brokers (KIP-890),
// which a single node never does: they are not served.
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, int16, int32, int64, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const addPartitionsToTxnApi = defineApi({
  apiKey: ApiKey.AddPartitionsToTxn,
  versions: '0-3',
  request: {
    v3AndBelowTransactionalId: string('0-3'),
    v3AndBelowProducerId: int64('0-3'),
    v3AndBelowProducerEpoch: int16('0-3'),
    v3AndBelowTopics: array('0-3', {
      name: string('0+'),
      partitions: array('0+', 'int32'),
    }),
  },
  response: {
    throttleTimeMs: int32('0+'),
    resultsByTopicV3AndBelow: array('0-3', {
      name: string('0+'),
      resultsByPartition: array('0+', {
        partitionIndex: int32('0+'),
        partitionErrorCode: int16('0+'),
      }),
    }),
  },
});

export type AddPartitionsToTxnRequest = RequestOf<typeof addPartitionsToTxnApi>;
export type AddPartitionsToTxnResponse = ResponseOf<typeof addPartitionsToTxnApi>;

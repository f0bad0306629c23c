// DescribeProducers (KIP-664): the idempotent producers each partition keeps state for,
// with the sequence and timestamp of their last batch and the first offset of the
// transaction each has open there, as kafka-transactions describe-producers shows them
// (it finds hanging transactions by that offset). The coordinator epoch of a producer's
// last marker is not kept: -1.
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../../shared/kafka/apis/describe-producers.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';

type PartitionProducers = DescribeProducersResponse['topics'][number]['partitions'][number];

export function handleDescribeProducers(context: BrokerContext, request: DescribeProducersRequest): DescribeProducersResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((requested) => ({
      name: requested.name,
      partitions: requested.partitionIndexes.map((partitionIndex): PartitionProducers => {
        const topic = context.store.describeTopic(requested.name);
        if (topic === undefined || partitionIndex < 0 || partitionIndex >= topic.partitions) {
          return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic "${requested.name}" has no partition ${partitionIndex}`, activeProducers: [] };
        }
        const activeProducers = context.store.partition(requested.name, partitionIndex).producers.map((producer) => ({
          producerId: producer.producerId,
          producerEpoch: producer.epoch,
          lastSequence: producer.batches.at(-1)?.lastSequence ?? -1,
          lastTimestamp: producer.lastTimestamp,
          coordinatorEpoch: -1,
          currentTxnStartOffset: producer.transactionFirstOffset,
        }));
        return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
      }),
    })),
  };
}

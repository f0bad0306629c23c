// Produce: validate and append each partition's record batches as bytes, answering once
// they are durable under the topic's flush policy (acks=1 and -1; there are no replicas,
// so both mean "on this broker's disk"). acks=0 gets no response at all.
import type { ProduceRequest, ProduceResponse } from '../../../shared/kafka/apis/produce.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { BatchField, RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_MAGIC, readBatchHeader } from '../../../shared/kafka/record-batch.ts';
import { topicOrAutoCreate, type BrokerContext } from '../broker-context.ts';
import { isExpectedError, kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { recompressForTopic } from '../recompression.ts';
import type { LoadShedding } from '../../daemon/memory-guard.ts';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export async function handleProduce(context: BrokerContext, request: ProduceRequest): Promise<ProduceResponse | undefined> {
  if (context.memoryGuard?.shedding) return memoryPressureRefusal(context.memoryGuard, request);
  const refuseAll = refusal(request);
  // Start every append before awaiting any, in request order: batches of one partition
  // pipelined on one connection must reach the log in the order they were sent.
  const pending = request.topicData.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionData.map((partition) => ({
      index: partition.index,
      result: refuseAll ?? appendPartition(context, topic.name, partition.index, partition.records),
    })),
  }));
  const responses = await Promise.all(pending.map(async (topic) => ({
    name: topic.name,
    partitionResponses: await Promise.all(topic.partitions.map(async (partition): Promise<PartitionResponse> => ({ index: partition.index, ...(await partition.result) }))),
  })));
  if (request.acks === 0) return undefined;
  return { responses, throttleTimeMs: 0 };
}

type PartitionOutcome = Omit<PartitionResponse, 'index'>;

/**
 * A transactional batch is taken only into a partition its producer's ongoing transaction
 * holds, at the producer's current epoch (KIP-890 part 1, which Kafka applies to every
 * client): a batch of a producer that never added the partition, or of a transaction that
 * already ended, would open a transaction in the partition that no marker ever closes.
 */
function verifyTransactional(context: BrokerContext, topic: string, partition: number, records: Buffer): PartitionOutcome | undefined {
  if (records.length < RECORD_BATCH_HEADER_BYTES) return undefined;
  const header = readBatchHeader(records, 0);
  if (!header.isTransactional) return undefined;
  const errorCode = context.transactions.verifyPartition(header.producerId, header.producerEpoch, topic, partition);
  if (errorCode === ErrorCode.NONE) return undefined;
  return failure(errorCode, `producer ${header.producerId} epoch ${header.producerEpoch} has no ongoing transaction holding ${topic}-${partition}; add the partition to the transaction first (AddPartitionsToTxn)`);
}

function failure(errorCode: number, errorMessage: string | null = null): PartitionOutcome {
  return { errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

/**
 * Near the heap limit (edge/daemon/memory-guard.ts) a produce is refused whole, before any
 * of its batches is looked at. Kafka has no error for memory pressure (its broker stops
 * reading sockets past queued.max.requests), so the answer is REQUEST_TIMED_OUT, which
 * every client retries (Java: a RetriableException; librdkafka and kafkajs: retriable),
 * with the sampling interval as throttle time (KIP-219: clients wait that long before the
 * next request). Nothing of it was appended, so a retry cannot duplicate.
 */
function memoryPressureRefusal(guard: LoadShedding, request: ProduceRequest): ProduceResponse | undefined {
  const message = guard.refused({ protocol: 'kafka', request: 'produce' });
  if (request.acks === 0) return undefined;
  return {
    responses: request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((partition) => ({ index: partition.index, ...failure(ErrorCode.REQUEST_TIMED_OUT, message) })),
    })),
    throttleTimeMs: guard.retryAfterMs,
  };
}

function refusal(request: ProduceRequest): Promise<PartitionOutcome> | undefined {
  if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) {
    return Promise.resolve(failure(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${request.acks}`));
  }
  return undefined;
}

async function appendPartition(context: BrokerContext, topicName: string, index: number, records: Buffer | null): Promise<PartitionOutcome> {
  if (records === null || records.length === 0) return failure(ErrorCode.CORRUPT_MESSAGE, 'the partition carries no record batch');
  // Only RecordBatch v2 is stored; the formats of Produce v0-v2 (magic 0 and 1) are refused by partition.
  if (records.length > BatchField.magic && records[BatchField.magic] !== RECORD_BATCH_MAGIC) {
    return failure(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${records[BatchField.magic]} is not supported; use a client that sends magic 2 (Produce v3 and later)`);
  }
  try {
    const topic = await topicOrAutoCreate(context, topicName);
    if (!topic) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topicName}" does not exist`);
    if (index < 0 || index >= topic.partitions) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topicName}" has no partition ${index}`);
    const transactionError = verifyTransactional(context, topicName, index, records);
    if (transactionError !== undefined) return transactionError;
    const result = await context.store.partition(topicName, index).append(recompressForTopic(records, topic.config.compressionType));
    return { errorCode: ErrorCode.NONE, baseOffset: result.baseOffset, logAppendTimeMs: -1n, logStartOffset: result.logStartOffset, recordErrors: [], errorMessage: null };
  } catch (error) {
    if (!isExpectedError(error)) context.logger.error({ err: error, topic: topicName, partition: index }, 'produce failed');
    else context.logger.debug({ err: error, topic: topicName, partition: index }, 'produce refused');
    return failure(kafkaErrorCodeOf(error), (error as Error).message);
  }
}

// The transaction APIs (KIP-98; DescribeTransactions and ListTransactions KIP-664): each
// request goes to the transaction coordinator, which answers in the shared definitions'
// types; the throttle time is added here, and PRODUCER_FENCED is answered as
// INVALID_PRODUCER_EPOCH to the versions older than KIP-588, as Kafka answers them.
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../../shared/kafka/apis/add-offsets-to-txn.ts';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../../shared/kafka/apis/add-partitions-to-txn.ts';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../../shared/kafka/apis/describe-transactions.ts';
import type { EndTxnRequest, EndTxnResponse } from '../../../shared/kafka/apis/end-txn.ts';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../../shared/kafka/apis/list-transactions.ts';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../../shared/kafka/apis/txn-offset-commit.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';

/** PRODUCER_FENCED (KIP-588) as a request of `apiVersion` understands it: versions below `firstVersion` get INVALID_PRODUCER_EPOCH. */
export function fencedAs(errorCode: number, apiVersion: number, firstVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < firstVersion ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

export async function handleAddPartitionsToTxn(context: BrokerContext, request: AddPartitionsToTxnRequest, apiVersion: number): Promise<AddPartitionsToTxnResponse> {
  const answer = await context.transactions.addPartitions(request);
  for (const topic of answer.resultsByTopicV3AndBelow) for (const partition of topic.resultsByPartition) partition.partitionErrorCode = fencedAs(partition.partitionErrorCode, apiVersion, 2);
  return { throttleTimeMs: 0, ...answer };
}

export async function handleAddOffsetsToTxn(context: BrokerContext, request: AddOffsetsToTxnRequest, apiVersion: number): Promise<AddOffsetsToTxnResponse> {
  return { throttleTimeMs: 0, errorCode: fencedAs(await context.transactions.addOffsets(request), apiVersion, 2) };
}

export async function handleTxnOffsetCommit(context: BrokerContext, request: TxnOffsetCommitRequest, apiVersion: number): Promise<TxnOffsetCommitResponse> {
  const answer = await context.transactions.commitOffsets(request);
  for (const topic of answer.topics) for (const partition of topic.partitions) partition.errorCode = fencedAs(partition.errorCode, apiVersion, 3);
  return { throttleTimeMs: 0, ...answer };
}

export async function handleEndTxn(context: BrokerContext, request: EndTxnRequest, apiVersion: number): Promise<EndTxnResponse> {
  return { throttleTimeMs: 0, errorCode: fencedAs(await context.transactions.endTransaction(request), apiVersion, 2) };
}

export function handleDescribeTransactions(context: BrokerContext, request: DescribeTransactionsRequest): DescribeTransactionsResponse {
  return { throttleTimeMs: 0, ...context.transactions.describe(request.transactionalIds) };
}

export function handleListTransactions(context: BrokerContext, request: ListTransactionsRequest): ListTransactionsResponse {
  return { throttleTimeMs: 0, ...context.transactions.list(request) };
}

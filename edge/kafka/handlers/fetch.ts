// Fetch: serves stored record batches as they are, up to the durable high watermark.
// Honours max_bytes per partition and per response (only the first batch of the first
// partition with data may exceed them, KIP-74), and long-polls: with fewer than min_bytes
// available the request waits for an append to any of its partitions, at most max_wait_ms,
// without polling in a loop.
//
// isolation_level 1 (read_committed, KIP-98) reads up to the last stable offset only, and
// lists the aborted transactions whose records the returned batches hold, so that the
// consumer drops them; read_uncommitted (0) reads up to the high watermark.
//
// Fetch sessions (KIP-227) are not kept: every response says session 0, which tells the
// client to send full fetch requests.
import { IsolationLevel, type FetchRequest, type FetchResponse } from '../../../shared/kafka/apis/fetch.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import type { PartitionLog, TopicDescription } from '../../storage/index.ts';
import { iterateBatchHeaders } from '../../../shared/kafka/record-batch.ts';

type TopicResponse = FetchResponse['responses'][number];
type PartitionResponse = TopicResponse['partitions'][number];

/**
 * A partition with nothing to return carries an empty record set, never a null one: Kafka
 * brokers send MemoryRecords.EMPTY, and librdkafka (kcat, confluent-kafka) refuses a null
 * record set in non-flexible versions as "invalid MessageSetSize -1".
 */
const NO_RECORDS = Buffer.alloc(0);

/** Partition reads of one fetch in flight at once; bounds the file reads one request queues. */
const PARALLEL_READS_MAX = 8;

/** A client may ask to wait longer; a request parked past this ties up its connection. */
const MAX_WAIT_MS_LIMIT = 30_000;

interface PartitionTarget {
  topic: TopicResponse;
  response: PartitionResponse;
  log: PartitionLog | undefined;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  /** read_committed: up to the last stable offset, with the aborted transactions listed. */
  committedOnly: boolean;
}

export async function handleFetch(context: BrokerContext, request: FetchRequest, apiVersion: number): Promise<FetchResponse> {
  if (request.sessionId !== 0) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const byId = apiVersion >= 13 ? topicsById(context) : undefined;
  const targets: PartitionTarget[] = [];
  const committedOnly = request.isolationLevel === IsolationLevel.READ_COMMITTED;
  const responses: TopicResponse[] = request.topics.map((requested) => {
    const topic = byId ? byId.get(requested.topicId) : context.store.describeTopic(requested.topic);
    const topicResponse: TopicResponse = { topic: requested.topic, topicId: requested.topicId, partitions: [] };
    for (const partition of requested.partitions) {
      const response = emptyPartition(partition.partition);
      topicResponse.partitions.push(response);
      const log = partitionLog(context, topic, partition.partition, response, byId !== undefined);
      targets.push({ topic: topicResponse, response, log, fetchOffset: partition.fetchOffset, partitionMaxBytes: partition.partitionMaxBytes, committedOnly });
    }
    return topicResponse;
  });

  const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), MAX_WAIT_MS_LIMIT);
  for (;;) {
    const bytes = await readAll(context, targets, request.maxBytes);
    const remainingMs = deadline - Date.now();
    if (bytes >= Math.max(request.minBytes, 1) || remainingMs <= 0 || targets.every((target) => target.response.errorCode !== ErrorCode.NONE)) break;
    const woke = await waitForAnyAppend(targets, remainingMs);
    if (!woke) {
      if (bytes > 0 || Date.now() >= deadline) break;
    }
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
}

function topicsById(context: BrokerContext): Map<string, TopicDescription> {
  return new Map(context.store.listTopics().map((topic) => [topic.id, topic]));
}

function emptyPartition(partitionIndex: number): PartitionResponse {
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: NO_RECORDS,
  };
}

function partitionLog(context: BrokerContext, topic: TopicDescription | undefined, index: number, response: PartitionResponse, byId: boolean): PartitionLog | undefined {
  if (!topic) {
    response.errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return undefined;
  }
  if (index < 0 || index >= topic.partitions) {
    response.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return undefined;
  }
  return context.store.partition(topic.name, index);
}

/**
 * Reads every partition again; returns the bytes gathered. The response stays within
 * max_bytes and each partition within its partition_max_bytes, with one exception (KIP-74):
 * the first batch of the first partition that has data comes whole even when it is larger,
 * so that a consumer can always make progress. Every other partition gets only whole batches
 * that fit what is left, and nothing once the budget is spent.
 *
 * When the partitions' limits together fit the response, they are read at once, up to a
 * bound, so that a fetch of several partitions waits for one round of file reads instead of
 * one per partition; otherwise, or when the first partition with data holds a batch larger
 * than its limit, they are read in order, each within what the previous ones left.
 */
async function readAll(context: BrokerContext, targets: PartitionTarget[], responseMaxBytes: number): Promise<number> {
  const readable = targets.filter((target) => target.log !== undefined && (target.response.errorCode === ErrorCode.NONE || target.response.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE));
  let wanted = 0;
  for (const target of readable) wanted += target.partitionMaxBytes;
  if (readable.length > 1 && wanted <= responseMaxBytes && readable.every((target) => target.partitionMaxBytes > 0)) {
    const read: number[] = [];
    for (let start = 0; start < readable.length; start += PARALLEL_READS_MAX) {
      const reads = readable.slice(start, start + PARALLEL_READS_MAX).map((target) => readPartition(context, target, target.partitionMaxBytes, false));
      read.push(...(await Promise.all(reads)));
    }
    const first = readable.findIndex((target, index) => read[index]! > 0 || hasUnreadData(target));
    // The first partition with data is held back by a batch larger than its limit: only
    // the reads in order can give it that batch and keep the rest within what is left.
    if (first < 0 || read[first]! > 0) return read.reduce((sum, bytes) => sum + bytes, 0);
  }
  let total = 0;
  let served = false;
  for (const target of readable) {
    const budget = Math.min(target.partitionMaxBytes, Math.max(responseMaxBytes - total, 0));
    if (budget === 0 && served) {
      target.response.errorCode = ErrorCode.NONE;
      target.response.records = NO_RECORDS;
      setOffsets(target, target.log!);
      continue;
    }
    const bytes = await readPartition(context, target, served ? budget : Math.max(budget, 1), !served);
    total += bytes;
    if (bytes > 0) served = true;
  }
  return total;
}

/** The partition has durable records at or after the fetch offset that this read did not return. */
function hasUnreadData(target: PartitionTarget): boolean {
  return target.response.errorCode === ErrorCode.NONE && target.fetchOffset < (target.committedOnly ? (target.response.lastStableOffset ?? -1n) : target.response.highWatermark);
}

/** Reads one partition into its response; returns the bytes read. */
async function readPartition(context: BrokerContext, target: PartitionTarget, maxBytes: number, minOneBatch: boolean): Promise<number> {
  const log = target.log!;
  const response = target.response;
  response.errorCode = ErrorCode.NONE;
  try {
    const result = await log.read(target.fetchOffset, maxBytes, { minOneBatch, committedOnly: target.committedOnly });
    response.highWatermark = result.highWatermark;
    response.lastStableOffset = log.lastStableOffset;
    response.logStartOffset = result.logStartOffset;
    response.records = result.batches;
    response.abortedTransactions = target.committedOnly ? abortedIn(log, target.fetchOffset, result.batches) : null;
    return result.batches.length;
  } catch (error) {
    response.errorCode = kafkaErrorCodeOf(error);
    setOffsets(target, log);
    response.records = NO_RECORDS;
    if (response.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) context.logger.error({ err: error, partition: response.partitionIndex }, 'fetch read failed');
    return 0;
  }
}

function setOffsets(target: PartitionTarget, log: PartitionLog): void {
  const response = target.response;
  response.highWatermark = log.highWatermark;
  response.lastStableOffset = log.lastStableOffset;
  response.logStartOffset = log.logStartOffset;
  response.abortedTransactions = target.committedOnly ? [] : null;
}

/** The aborted transactions with records among the batches read from `fetchOffset` on (KIP-98), as Kafka lists them. */
function abortedIn(log: PartitionLog, fetchOffset: bigint, batches: Buffer): PartitionResponse['abortedTransactions'] {
  let endOffset = fetchOffset;
  for (const header of iterateBatchHeaders(batches)) endOffset = header.lastOffset + 1n;
  if (endOffset === fetchOffset) return [];
  return log.abortedTransactions(fetchOffset, endOffset).map((transaction) => ({ producerId: transaction.producerId, firstOffset: transaction.firstOffset }));
}

/** Waits until any fetched partition has data past its fetch offset, or the time is up. */
async function waitForAnyAppend(targets: PartitionTarget[], timeoutMs: number): Promise<boolean> {
  const waiting = targets.filter((target) => target.log && target.response.errorCode === ErrorCode.NONE);
  if (waiting.length === 0) return false;
  const abort = new AbortController();
  try {
    const woke = await Promise.race(waiting.map((target) => target.log!.waitForData(target.fetchOffset, timeoutMs, abort.signal, target.committedOnly)));
    return woke;
  } finally {
    abort.abort();
  }
}

// The edge log in the same process, for the embedded mirror: reads go straight to the
// log store (no Kafka round trip, and a long poll is a wait on the partition's last stable
// offset), appends too. Reads are read_committed (KIP-98): the mirror copies committed data
// only, never a transaction still open or aborted. The store is described here by the few methods the mirror
// uses, so that the mirror depends on no more of the edge than that.
import { isTributaryError, TributaryError, type ErrorCode } from '../shared/errors.ts';
import { kafkaErrorCodeOf } from '../shared/kafka/error-mapping.ts';
import type { EndpointRead, LogEndpoint, ProduceOutcome } from './endpoint.ts';
import { KafkaError } from '../shared/kafka/client/kafka-errors.ts';

export interface LocalPartition {
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  read(offset: bigint, maxBytes: number, options: { committedOnly: true }): Promise<{ batches: Buffer; highWatermark: bigint; lastStableOffset?: bigint; logStartOffset: bigint; abortedTransactions?: { producerId: bigint; firstOffset: bigint }[] }>;
  waitForData(offset: bigint, timeoutMs: number, signal: AbortSignal | undefined, committedOnly: true): Promise<boolean>;
  append(batches: Buffer): Promise<{ baseOffset: bigint; logStartOffset: bigint }>;
}

export interface LocalLog {
  listTopics(): { name: string; partitions: number }[];
  describeTopic(name: string): { partitions: number } | undefined;
  createTopic(name: string): Promise<{ partitions: number }>;
  createPartitions(name: string, totalCount: number): Promise<{ partitions: number }>;
  partition(topic: string, index: number): LocalPartition;
}

export type CommitOffsets = (group: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]) => Promise<void>;
export type CommittedOffset = (group: string, topic: string, partition: number) => bigint | undefined;

/** Every read of the mirror is read_committed. */
const COMMITTED_ONLY = { committedOnly: true } as const;

/** The failures of an append answered as a produce answer would be (the rest are thrown), with the codes the edge's Kafka server answers them with. */
const ANSWERED_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['OUT_OF_ORDER_SEQUENCE', 'DUPLICATE_SEQUENCE', 'PRODUCER_FENCED', 'RECORD_TOO_LARGE', 'INVALID_RECORD_BATCH', 'TOPIC_NOT_FOUND', 'PARTITION_NOT_FOUND']);

export class LocalEndpoint implements LogEndpoint {
  readonly name = 'edge log';
  readonly errorCode = 'MIRROR_SOURCE_FAILED' as const;
  // An append here is a function call that has finished or failed when it returns: no
  // request of an earlier run can arrive late, so no producer id is needed.
  readonly needsProducerId = false;
  readonly #log: LocalLog;
  readonly #commit: CommitOffsets;
  readonly #committed: CommittedOffset;

  constructor(log: LocalLog, commit: CommitOffsets, committed: CommittedOffset) {
    this.#log = log;
    this.#commit = commit;
    this.#committed = committed;
  }

  async listTopics(): Promise<Map<string, number>> {
    return new Map(this.#log.listTopics().map((topic) => [topic.name, topic.partitions]));
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    return this.#log.describeTopic(topic)?.partitions;
  }

  async ensureTopic(topic: string, partitions: number): Promise<number> {
    let existing = this.#log.describeTopic(topic);
    if (existing === undefined) {
      try {
        await this.#log.createTopic(topic);
      } catch (error) {
        if (!isTributaryError(error, 'TOPIC_EXISTS')) throw error;
      }
      existing = this.#log.describeTopic(topic);
    }
    if (existing === undefined) throw new TributaryError('MIRROR_SOURCE_FAILED', `edge log: topic ${topic} could not be created`, { topic });
    if (existing.partitions < partitions) existing = await this.#log.createPartitions(topic, partitions);
    return existing.partitions;
  }

  async offsets(topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }> {
    const log = this.#log.partition(topic, partition);
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark };
  }

  async read(topic: string, partition: number, offset: bigint, maxBytes: number, maxWaitMs: number, signal?: AbortSignal): Promise<EndpointRead> {
    const log = this.#log.partition(topic, partition);
    try {
      let result = await log.read(offset, maxBytes, COMMITTED_ONLY);
      if (result.batches.length === 0 && maxWaitMs > 0 && (await log.waitForData(offset, maxWaitMs, signal, true))) result = await log.read(offset, maxBytes, COMMITTED_ONLY);
      // The end a read_committed reader can reach: the mirror's lag counts to it (KIP-98).
      return { records: result.batches, highWatermark: result.lastStableOffset ?? result.highWatermark, logStartOffset: result.logStartOffset, outOfRange: false, abortedTransactions: result.abortedTransactions };
    } catch (error) {
      if (isTributaryError(error, 'OFFSET_OUT_OF_RANGE')) return { records: Buffer.alloc(0), highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, outOfRange: true };
      throw error;
    }
  }

  async append(topic: string, partition: number, batch: Buffer): Promise<ProduceOutcome> {
    try {
      const result = await this.#log.partition(topic, partition).append(batch);
      return { errorCode: KafkaError.NONE, baseOffset: result.baseOffset, logStartOffset: result.logStartOffset, errorMessage: null };
    } catch (error) {
      const code = isTributaryError(error) && ANSWERED_FAILURES.has(error.code) ? kafkaErrorCodeOf(error) : undefined;
      if (code === undefined) throw error;
      return { errorCode: code, baseOffset: -1n, logStartOffset: -1n, errorMessage: (error as Error).message };
    }
  }

  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    return { producerId: -1n, producerEpoch: -1 };
  }

  commitOffsets(group: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    return this.#commit(group, offsets);
  }

  async committedOffset(group: string, topic: string, partition: number): Promise<bigint | undefined> {
    return this.#committed(group, topic, partition);
  }

  reset(): void {}

  async close(): Promise<void> {}
}

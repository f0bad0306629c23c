// The transaction coordinator (KIP-98): the state of each transactional id's transaction,
// from its first AddPartitionsToTxn or AddOffsetsToTxn to the markers EndTxn writes.
//
//   Empty / Complete* ──AddPartitions, AddOffsets──► Ongoing ──EndTxn──► Prepare{Commit,Abort}
//        ▲                                               │ timeout, or InitProducerId    │ markers durable,
//        └──────────────── Complete{Commit,Abort} ◄──────┴──── of a new instance ────────┘ offsets committed
//
// Every change is durable (transaction-store.ts) before anything depends on it: a
// partition is in the transaction before the producer may write to it, and the outcome is
// decided (Prepare*) before any marker is written, so that after a crash the markers are
// written again with the same outcome. A transaction still Ongoing after a restart runs out
// its timeout and is aborted.
//
// A producer may write a transactional batch only to a partition its ongoing transaction
// holds, with its current epoch (KIP-890 part 1: verifyPartition, asked by Produce). An
// abort the coordinator makes on its own (a timeout, or a new instance calling
// InitProducerId) writes its markers with an epoch above the producer's, so that a batch
// of the old instance still on its way is refused by the partition (PRODUCER_FENCED) rather
// than opening a transaction no one will end.
//
// Requests for one transactional id run one after another; different ids run side by side.
import type { AnswerOf } from '../../../shared/kafka/apis/index.ts';
import type { AddOffsetsToTxnRequest } from '../../../shared/kafka/apis/add-offsets-to-txn.ts';
import type { AddPartitionsToTxnRequest, addPartitionsToTxnApi } from '../../../shared/kafka/apis/add-partitions-to-txn.ts';
import type { describeTransactionsApi } from '../../../shared/kafka/apis/describe-transactions.ts';
import type { EndTxnRequest } from '../../../shared/kafka/apis/end-txn.ts';
import type { initProducerIdApi, InitProducerIdRequest } from '../../../shared/kafka/apis/init-producer-id.ts';
import type { ListTransactionsRequest, listTransactionsApi } from '../../../shared/kafka/apis/list-transactions.ts';
import type { TxnOffsetCommitRequest, txnOffsetCommitApi } from '../../../shared/kafka/apis/txn-offset-commit.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { Logger } from '../../../shared/logger.ts';
import { silentLogger } from '../../../shared/logger.ts';
import type { LogStore } from '../../storage/index.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { ProducerIdAllocator } from '../producer-ids.ts';
import { TRANSACTIONAL_IDS_MAX } from '../producer-ids.ts';
import { writeMarkers } from './markers.ts';
import { TransactionStates, TransactionStore, type TransactionRecord, type TransactionState } from './transaction-store.ts';

/** How often ongoing transactions are checked against their timeout (Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms). */
export const TIMEOUT_CHECK_INTERVAL_MS = 10_000;
/** After a marker could not be written (a full disk, an I/O error), the next try waits this long. */
export const MARKER_RETRY_MS = 1_000;
/** Partitions one transaction may hold; bounds its row and its markers. Kafka Streams' largest tasks stay far below it. */
export const PARTITIONS_PER_TRANSACTION_MAX = 10_000;
/** Offsets pending in one transaction, over all its groups; bounds the same. */
export const PENDING_OFFSETS_PER_TRANSACTION_MAX = 10_000;
/** Requests waiting for their transactional id's turn, over all ids; past it a client is told to retry (COORDINATOR_LOAD_IN_PROGRESS). */
export const PENDING_REQUESTS_MAX = 4_096;
/** Transactions ListTransactions answers at most; the rest are left out (a device has far fewer). */
export const LISTED_TRANSACTIONS_MAX = 10_000;

type InitProducerIdAnswer = AnswerOf<typeof initProducerIdApi>;
type AddPartitionsAnswer = AnswerOf<typeof addPartitionsToTxnApi>;
type TxnOffsetCommitAnswer = AnswerOf<typeof txnOffsetCommitApi>;
type DescribeTransactionsAnswer = AnswerOf<typeof describeTransactionsApi>;
type ListTransactionsAnswer = AnswerOf<typeof listTransactionsApi>;

export interface TransactionCoordinatorOptions {
  dataDir: string;
  store: LogStore;
  groups: GroupCoordinator;
  producerIds: ProducerIdAllocator;
  logger?: Logger;
  now?: () => number;
  /** Overrides for tests. */
  timeoutCheckIntervalMs?: number;
  markerRetryMs?: number;
}

export class TransactionCoordinator {
  readonly #store: TransactionStore;
  readonly #log: LogStore;
  readonly #groups: GroupCoordinator;
  readonly #producerIds: ProducerIdAllocator;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #markerRetryMs: number;
  readonly #transactions = new Map<string, TransactionRecord>();
  /** Ongoing transactions by producer id, for Produce's check (verifyPartition). */
  readonly #ongoingByProducer = new Map<bigint, TransactionRecord>();
  /** The transactional id of each producer id with a record, so that Produce can tell a fenced epoch. Bounded with the records. */
  readonly #transactionalIdOf = new Map<bigint, string>();
  /** Each transactional id's requests, one after another. */
  readonly #chains = new Map<string, Promise<unknown>>();
  #pending = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #retries = new Set<NodeJS.Timeout>();
  #closed = false;

  private constructor(store: TransactionStore, options: TransactionCoordinatorOptions) {
    this.#store = store;
    this.#log = options.store;
    this.#groups = options.groups;
    this.#producerIds = options.producerIds;
    this.#logger = options.logger ?? silentLogger();
    this.#now = options.now ?? Date.now;
    this.#markerRetryMs = options.markerRetryMs ?? MARKER_RETRY_MS;
    this.#timer = setInterval(() => this.abortTimedOut(), options.timeoutCheckIntervalMs ?? TIMEOUT_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  /**
   * Opens the state and finishes what a crash interrupted: a transaction whose outcome was
   * decided gets its markers (and offsets) before the coordinator answers anyone.
   */
  static async open(options: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const store = await TransactionStore.open(options.dataDir);
    const coordinator = new TransactionCoordinator(store, options);
    try {
      for (const record of await store.loadAll()) {
        coordinator.#transactions.set(record.transactionalId, record);
        coordinator.#transactionalIdOf.set(record.producerId, record.transactionalId);
        if (record.state === 'Ongoing') coordinator.#ongoingByProducer.set(record.producerId, record);
      }
      for (const record of coordinator.#transactions.values()) {
        if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
          coordinator.#logger.info({ transactionalId: record.transactionalId, state: record.state }, 'completing a transaction decided before the restart');
          await coordinator.#run(record.transactionalId, () => coordinator.#completeOrRetry(record));
        }
      }
    } catch (error) {
      await coordinator.close();
      throw error;
    }
    return coordinator;
  }

  /**
   * InitProducerId. For a transactional id, a transaction its previous instance left
   * ongoing is aborted first, with markers carrying the new epoch (KIP-98 fencing).
   */
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdAnswer> {
    const transactionalId = request.transactionalId;
    if (transactionalId === null) return this.#producerIds.initProducerId(request);
    const refused = { errorCode: ErrorCode.NONE, producerId: -1n, producerEpoch: -1 };
    return this.#queue(transactionalId, (errorCode) => ({ ...refused, errorCode }), async () => {
      const record = this.#transactions.get(transactionalId);
      if (record !== undefined && isPreparing(record.state)) return { ...refused, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      const answer = await this.#producerIds.initProducerId(request);
      if (answer.errorCode !== ErrorCode.NONE || record === undefined || record.state !== 'Ongoing') return answer;
      // A new producer id (the epoch was exhausted) leaves the old one's epoch to go one past.
      const markerEpoch = answer.producerId === record.producerId ? answer.producerEpoch : record.producerEpoch + 1;
      this.#logger.info({ transactionalId, producerId: record.producerId.toString() }, 'a new instance of the producer aborts the transaction its previous instance left ongoing');
      const ended = await this.#decide(record, 'abort', markerEpoch);
      return ended ? answer : { ...refused, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    });
  }

  /** AddPartitionsToTxn v0-3: the partitions join the transaction, which begins if it had not. */
  addPartitions(request: AddPartitionsToTxnRequest): Promise<AddPartitionsAnswer> {
    const every = (errorCode: number): AddPartitionsAnswer => ({
      resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((topic) => ({ name: topic.name, resultsByPartition: topic.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCode })) })),
    });
    return this.#queue(request.v3AndBelowTransactionalId, every, async () => {
      const check = await this.#checkProducer(request.v3AndBelowTransactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch);
      if (typeof check === 'number') return every(check);
      // Partitions that do not exist fail alone; the others are not attempted (as Kafka answers).
      const unknown = new Set<string>();
      for (const topic of request.v3AndBelowTopics) {
        const description = this.#log.describeTopic(topic.name);
        for (const partition of topic.partitions) if (description === undefined || partition < 0 || partition >= description.partitions) unknown.add(`${topic.name}\0${partition}`);
      }
      if (unknown.size > 0) {
        return { resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((topic) => ({ name: topic.name, resultsByPartition: topic.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: unknown.has(`${topic.name}\0${partitionIndex}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED })) })) };
      }
      const record = check;
      if (isPreparing(record.state)) return every(ErrorCode.CONCURRENT_TRANSACTIONS);
      const next = this.#begin(record);
      for (const topic of request.v3AndBelowTopics) {
        let set = next.partitions.get(topic.name);
        if (set === undefined) next.partitions.set(topic.name, (set = new Set()));
        for (const partition of topic.partitions) set.add(partition);
      }
      if (countPartitions(next.partitions) > PARTITIONS_PER_TRANSACTION_MAX) {
        this.#logger.warn({ transactionalId: request.v3AndBelowTransactionalId, limit: PARTITIONS_PER_TRANSACTION_MAX }, 'AddPartitionsToTxn refused: the transaction would hold more partitions than the limit');
        return every(ErrorCode.INVALID_REQUEST);
      }
      await this.#save(next);
      return every(ErrorCode.NONE);
    });
  }

  /** AddOffsetsToTxn: the group's offsets join the transaction (TxnOffsetCommit follows). */
  addOffsets(request: AddOffsetsToTxnRequest): Promise<number> {
    return this.#queue(request.transactionalId, (errorCode) => errorCode, async () => {
      const check = await this.#checkProducer(request.transactionalId, request.producerId, request.producerEpoch);
      if (typeof check === 'number') return check;
      if (isPreparing(check.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
      if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
      const next = this.#begin(check);
      next.groups.add(request.groupId);
      await this.#save(next);
      return ErrorCode.NONE;
    });
  }

  /** TxnOffsetCommit: offsets held pending until the transaction ends, committed with it. */
  commitOffsets(request: TxnOffsetCommitRequest): Promise<TxnOffsetCommitAnswer> {
    const every = (errorCode: number): TxnOffsetCommitAnswer => ({
      topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) })),
    });
    return this.#queue(request.transactionalId, every, async () => {
      const check = await this.#checkProducer(request.transactionalId, request.producerId, request.producerEpoch);
      if (typeof check === 'number') return every(check);
      if (check.state !== 'Ongoing' || !check.groups.has(request.groupId)) return every(ErrorCode.INVALID_TXN_STATE);
      const { errorCodes, writes } = this.#groups.checkTransactionalCommit(request);
      const pending = check.pendingOffsets.get(request.groupId) ?? [];
      let total = writes.length;
      for (const group of check.pendingOffsets.values()) total += group.length;
      if (total > PENDING_OFFSETS_PER_TRANSACTION_MAX) {
        this.#logger.warn({ transactionalId: request.transactionalId, limit: PENDING_OFFSETS_PER_TRANSACTION_MAX }, 'TxnOffsetCommit refused: the transaction would hold more pending offsets than the limit');
        return every(ErrorCode.INVALID_REQUEST);
      }
      if (writes.length > 0) {
        await this.#store.addPendingOffsets(request.transactionalId, request.groupId, writes);
        const replaced = new Set(writes.map((write) => `${write.topic}\0${write.partition}`));
        check.pendingOffsets.set(request.groupId, [...pending.filter((write) => !replaced.has(`${write.topic}\0${write.partition}`)), ...writes]);
      }
      return {
        topics: request.topics.map((topic, topicIndex) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition, partitionIndex) => ({ partitionIndex: partition.partitionIndex, errorCode: errorCodes[topicIndex]![partitionIndex]! })),
        })),
      };
    });
  }

  /** EndTxn: commits or aborts; answers once every marker is durable (and the offsets committed). */
  endTransaction(request: EndTxnRequest): Promise<number> {
    return this.#queue(request.transactionalId, (errorCode) => errorCode, async () => {
      const check = await this.#checkProducer(request.transactionalId, request.producerId, request.producerEpoch);
      if (typeof check === 'number') return check;
      const outcome = request.committed ? 'commit' : 'abort';
      switch (check.state) {
        case 'Ongoing':
          return (await this.#decide(check, outcome, check.producerEpoch)) ? ErrorCode.NONE : ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'PrepareCommit':
        case 'PrepareAbort':
          return ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'CompleteCommit':
          // A retry of the EndTxn that completed it gets the same answer; the other outcome cannot follow.
          return outcome === 'commit' ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return outcome === 'abort' ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'Empty':
          return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  /**
   * Produce's check of a transactional batch (KIP-890 part 1): its producer must have an
   * ongoing transaction holding the partition, at the batch's epoch. An older epoch is
   * fenced; anything else is INVALID_TXN_STATE.
   */
  verifyPartition(producerId: bigint, producerEpoch: number, topic: string, partition: number): number {
    const transactionalId = this.#transactionalIdOf.get(producerId);
    const owner = transactionalId === undefined ? undefined : this.#producerIds.transactionalState(transactionalId);
    // A newer instance of the producer has the id now: this one is a zombie.
    if (owner !== undefined && owner.producerId === producerId && producerEpoch < owner.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    const record = this.#ongoingByProducer.get(producerId);
    if (record === undefined) return ErrorCode.INVALID_TXN_STATE;
    if (producerEpoch < record.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (producerEpoch !== record.producerEpoch || record.partitions.get(topic)?.has(partition) !== true) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** DescribeTransactions (KIP-664). */
  describe(transactionalIds: readonly string[]): DescribeTransactionsAnswer {
    return {
      transactionStates: transactionalIds.map((transactionalId) => {
        const record = this.#transactions.get(transactionalId);
        if (record === undefined) {
          // Given a producer id but no transaction yet: Empty, as Kafka's coordinator has it after InitProducerId.
          const owner = this.#producerIds.transactionalState(transactionalId);
          if (owner !== undefined) return { errorCode: ErrorCode.NONE, transactionalId, transactionState: 'Empty', transactionTimeoutMs: owner.transactionTimeoutMs, transactionStartTimeMs: -1n, producerId: owner.producerId, producerEpoch: owner.producerEpoch, topics: [] };
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        }
        return {
          errorCode: ErrorCode.NONE,
          transactionalId,
          transactionState: record.state,
          transactionTimeoutMs: record.timeoutMs,
          transactionStartTimeMs: BigInt(record.startMs),
          producerId: record.producerId,
          producerEpoch: record.producerEpoch,
          topics: [...record.partitions].map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) })),
        };
      }),
    };
  }

  /** ListTransactions (KIP-664; the duration filter KIP-994: transactions running longer than it). */
  list(request: ListTransactionsRequest): ListTransactionsAnswer {
    const known = new Set<string>(TransactionStates);
    const unknownStateFilters = request.stateFilters.filter((state) => !known.has(state));
    const states = new Set(request.stateFilters);
    const producerIds = new Set(request.producerIdFilters);
    const now = this.#now();
    const transactionStates: ListTransactionsAnswer['transactionStates'] = [];
    const listed = (entry: { transactionalId: string; producerId: bigint; state: TransactionState; startMs: number }): boolean => {
      if (states.size > 0 && !states.has(entry.state)) return true;
      if (producerIds.size > 0 && !producerIds.has(entry.producerId)) return true;
      if (request.durationFilter >= 0n && (entry.startMs < 0 || BigInt(now - entry.startMs) <= request.durationFilter)) return true;
      if (transactionStates.length >= LISTED_TRANSACTIONS_MAX) return false;
      transactionStates.push({ transactionalId: entry.transactionalId, producerId: entry.producerId, transactionState: entry.state });
      return true;
    };
    for (const record of this.#transactions.values()) if (!listed(record)) break;
    // Ids given a producer id that have not begun a transaction are Empty, as in Kafka.
    for (const transactionalId of this.#producerIds.transactionalIds()) {
      if (this.#transactions.has(transactionalId)) continue;
      const owner = this.#producerIds.transactionalState(transactionalId)!;
      if (!listed({ transactionalId, producerId: owner.producerId, state: 'Empty', startMs: -1 })) break;
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }

  /** Aborts every ongoing transaction past its timeout; runs on a timer, and from tests. Resolves when those aborts are done. */
  async abortTimedOut(): Promise<void> {
    if (this.#closed) return;
    const now = this.#now();
    const expired = [...this.#ongoingByProducer.values()].filter((record) => record.startMs >= 0 && now - record.startMs > record.timeoutMs);
    await Promise.all(expired.map((record) => this.#run(record.transactionalId, async () => {
      if (this.#transactions.get(record.transactionalId) !== record || record.state !== 'Ongoing') return;
      this.#logger.warn({ transactionalId: record.transactionalId, producerId: record.producerId.toString(), timeoutMs: record.timeoutMs }, 'aborting a transaction that outlived its timeout (transaction.timeout.ms)');
      const markerEpoch = await this.#producerIds.fenceEpoch(record.transactionalId, record.producerId, record.producerEpoch);
      await this.#decide(record, 'abort', markerEpoch);
    }).catch((error: unknown) => this.#logger.error({ err: error, transactionalId: record.transactionalId }, 'aborting a timed-out transaction failed'))));
  }

  /** Stops the timers and waits for the requests under way. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    await Promise.allSettled([...this.#chains.values()]);
    await this.#store.close();
  }

  /** The state of a transactional id (for tests and diagnostics). */
  stateOf(transactionalId: string): TransactionState | undefined {
    return this.#transactions.get(transactionalId)?.state;
  }

  /**
   * The transactional id's record when the producer id and epoch are its current ones;
   * otherwise the error Kafka answers: an unknown id or another producer id is
   * INVALID_PRODUCER_ID_MAPPING, another epoch PRODUCER_FENCED.
   */
  async #checkProducer(transactionalId: string, producerId: bigint, producerEpoch: number): Promise<TransactionRecord | number> {
    const owner = this.#producerIds.transactionalState(transactionalId);
    if (owner === undefined || owner.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (owner.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    let record = this.#transactions.get(transactionalId);
    if (record !== undefined && record.state === 'Ongoing' && (record.producerId !== producerId || record.producerEpoch !== producerEpoch)) {
      // A transaction of an earlier instance, left ongoing by a crash between the
      // InitProducerId that fenced it and its abort: it is aborted now, before anything new.
      const markerEpoch = record.producerId === producerId ? producerEpoch : record.producerEpoch + 1;
      if (!(await this.#decide(record, 'abort', markerEpoch))) return ErrorCode.CONCURRENT_TRANSACTIONS;
      record = this.#transactions.get(transactionalId);
    }
    if (record !== undefined && (isPreparing(record.state) || (record.producerId === producerId && record.producerEpoch === producerEpoch))) return record;
    // The producer's first transaction, or its first since InitProducerId gave it a new epoch.
    return { transactionalId, producerId, producerEpoch, state: 'Empty', timeoutMs: owner.transactionTimeoutMs, startMs: -1, updatedMs: this.#now(), partitions: new Map(), groups: new Set(), pendingOffsets: new Map() };
  }

  /** The record as an ongoing transaction: a new one if it had ended. */
  #begin(record: TransactionRecord): TransactionRecord {
    if (record.state === 'Ongoing') return record;
    const owner = this.#producerIds.transactionalState(record.transactionalId);
    return { ...record, state: 'Ongoing', startMs: this.#now(), timeoutMs: owner?.transactionTimeoutMs ?? record.timeoutMs, partitions: new Map(), groups: new Set(), pendingOffsets: new Map() };
  }

  /** Writes a record and makes it the transactional id's current one. */
  async #save(record: TransactionRecord): Promise<void> {
    record.updatedMs = this.#now();
    await this.#store.save(record);
    const previous = this.#transactions.get(record.transactionalId);
    if (previous !== undefined && this.#ongoingByProducer.get(previous.producerId) === previous) this.#ongoingByProducer.delete(previous.producerId);
    this.#transactions.set(record.transactionalId, record);
    this.#transactionalIdOf.set(record.producerId, record.transactionalId);
    if (record.state === 'Ongoing') this.#ongoingByProducer.set(record.producerId, record);
  }

  /**
   * Decides the outcome durably (Prepare*), then completes it. Resolves false when the
   * markers could not all be written yet: they are tried again in the background, and the
   * transaction stays Prepare* meanwhile (clients get CONCURRENT_TRANSACTIONS and retry).
   */
  async #decide(record: TransactionRecord, outcome: 'commit' | 'abort', markerEpoch: number): Promise<boolean> {
    const decided: TransactionRecord = { ...record, state: outcome === 'commit' ? 'PrepareCommit' : 'PrepareAbort', producerEpoch: markerEpoch };
    await this.#save(decided);
    return this.#completeOrRetry(decided);
  }

  async #completeOrRetry(record: TransactionRecord): Promise<boolean> {
    try {
      await this.#complete(record);
      return true;
    } catch (error) {
      this.#logger.error({ err: error, transactionalId: record.transactionalId, state: record.state }, 'writing the transaction markers failed; trying again');
      this.#retryLater(record);
      return false;
    }
  }

  /** Writes the markers of a decided transaction, then its offsets when it committed, then records it complete. */
  async #complete(record: TransactionRecord): Promise<void> {
    const commit = record.state === 'PrepareCommit';
    await writeMarkers(this.#log, { producerId: record.producerId, producerEpoch: record.producerEpoch, marker: commit ? 'commit' : 'abort', partitions: record.partitions }, this.#logger);
    if (commit) for (const [groupId, writes] of record.pendingOffsets) await this.#groups.commitTransactionalOffsets(groupId, writes);
    await this.#save({ ...record, state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map(), groups: new Set(), pendingOffsets: new Map() });
    await this.#forgetBeyondLimit();
  }

  #retryLater(record: TransactionRecord): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      void this.#run(record.transactionalId, async () => {
        if (this.#transactions.get(record.transactionalId) === record) await this.#completeOrRetry(record);
      });
    }, this.#markerRetryMs);
    this.#retries.add(timer);
  }

  /** Ended transactions of ids beyond TRANSACTIONAL_IDS_MAX are forgotten, least recently updated first, as the producer-id allocator forgets ids. */
  async #forgetBeyondLimit(): Promise<void> {
    const excess = this.#transactions.size - TRANSACTIONAL_IDS_MAX;
    if (excess <= 0) return;
    const forgotten: string[] = [];
    for (const record of [...this.#transactions.values()].sort((a, b) => a.updatedMs - b.updatedMs)) {
      if (forgotten.length >= excess) break;
      if (record.state === 'CompleteCommit' || record.state === 'CompleteAbort' || record.state === 'Empty') forgotten.push(record.transactionalId);
    }
    await this.#store.forget(forgotten);
    for (const id of forgotten) {
      const record = this.#transactions.get(id);
      if (record !== undefined && this.#transactionalIdOf.get(record.producerId) === id) this.#transactionalIdOf.delete(record.producerId);
      this.#transactions.delete(id);
    }
  }

  /** Runs `work` after the transactional id's earlier requests; answers `refuse(code)` when closed, overloaded, or on a failure. */
  #queue<T>(transactionalId: string, refuse: (errorCode: number) => T, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.resolve(refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (this.#pending >= PENDING_REQUESTS_MAX) return Promise.resolve(refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    return this.#run(transactionalId, work).catch((error: unknown) => {
      this.#logger.error({ err: error, transactionalId }, 'a transaction request failed');
      return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    });
  }

  #run<T>(transactionalId: string, work: () => Promise<T>): Promise<T> {
    this.#pending += 1;
    const previous = this.#chains.get(transactionalId) ?? Promise.resolve();
    const result = previous.then(work);
    const settled = result.then(() => undefined, () => undefined).finally(() => {
      this.#pending -= 1;
      if (this.#chains.get(transactionalId) === settled) this.#chains.delete(transactionalId);
    });
    this.#chains.set(transactionalId, settled);
    return result;
  }
}

function isPreparing(state: TransactionState): boolean {
  return state === 'PrepareCommit' || state === 'PrepareAbort';
}

function countPartitions(partitions: ReadonlyMap<string, ReadonlySet<number>>): number {
  let count = 0;
  for (const set of partitions.values()) count += set.size;
  return count;
}

// Producer ids for InitProducerId (KIP-98): every idempotent or transactional producer gets
// a 64-bit id that no other producer ever had, on this broker, across restarts, so that
// the log's duplicate detection (by producer id, epoch and sequence) cannot confuse two
// producers.
//
// Ids are handed out from blocks. Before the first id of a block is given, the block's end
// is written durably as the high-water mark; after a restart allocation starts at that
// mark, so ids of a half-used block are skipped, never reused. One InitProducerId in
// PRODUCER_ID_BLOCK_SIZE touches the disk.
//
// A transactional id keeps its producer id and gets the next epoch at each InitProducerId,
// which fences the previous instance of the producer (it gets PRODUCER_FENCED when it
// writes). The epochs are durable too, or a restart would hand out an epoch again. The
// transaction coordinator (transactions/) reads a transactional id's producer id and epoch
// here, and fences a producer whose transaction timed out by bumping its epoch.
//
// Database `<dataDir>/meta/producers.sqlite` (PRAGMA user_version = 1):
//   producer_id_block(singleton = 0, next_block_start)      the high-water mark
//   transactional_ids(transactional_id, producer_id, previous_producer_id, producer_epoch,
//                     last_producer_epoch, transaction_timeout_ms, last_used_ms)
// 64-bit integers are bound as text and cast, because the sqlite3 package cannot bind a bigint.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../../shared/sqlite.ts';
import { assert } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { AnswerOf } from '../../shared/kafka/apis/index.ts';
import type { initProducerIdApi, InitProducerIdRequest } from '../../shared/kafka/apis/init-producer-id.ts';
import { ErrorCode } from '../../shared/kafka/protocol/error-codes.ts';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID } from '../../shared/kafka/record-batch.ts';

export const PRODUCERS_DATABASE_PATH = join('meta', 'producers.sqlite');
const SCHEMA_VERSION = 1;

/** Ids per durable high-water write; Kafka's ProducerIdManager uses blocks of the same size. */
export const PRODUCER_ID_BLOCK_SIZE = 1_000;
/** transaction.max.timeout.ms: the longest transaction timeout a producer may ask for (Kafka's default). */
export const TRANSACTION_TIMEOUT_MS_MAX = 900_000;
/**
 * Transactional ids remembered; past this the least recently used one is forgotten (as
 * Kafka expires ids unused for transactional.id.expiration.ms). A forgotten id starts
 * again with a new producer id, which fences nothing; that only matters for an instance
 * that has not run since the id was forgotten.
 */
export const TRANSACTIONAL_IDS_MAX = 10_000;
/** Characters of a transactional id: each is kept in memory and in the database. */
export const TRANSACTIONAL_ID_LENGTH_MAX = 1_024;
/** InitProducerId requests waiting their turn; past this the client is told to retry. */
const PENDING_REQUESTS_MAX = 1_024;

/** Kafka's isEpochExhausted: an epoch this high cannot be bumped again, so the producer gets a new id. */
const PRODUCER_EPOCH_EXHAUSTED = 32_767 - 1;
const INT64_MAX = 2n ** 63n - 1n;

/** What InitProducerId answers; the server adds the throttle time. */
type InitProducerIdAnswer = AnswerOf<typeof initProducerIdApi>;

export interface ProducerIdAllocatorOptions {
  dataDir: string;
  logger?: Logger;
  /** Overrides of the limits above, for tests. */
  blockSize?: number;
  transactionalIdsMax?: number;
  transactionTimeoutMsMax?: number;
  now?: () => number;
}

interface TransactionalState {
  producerId: bigint;
  /** The id before the last rotation, so that a retried InitProducerId after an exhausted epoch is recognised. */
  previousProducerId: bigint;
  producerEpoch: number;
  /** The epoch before the last bump, so that a retried InitProducerId gets the same answer. */
  lastProducerEpoch: number;
  transactionTimeoutMs: number;
}

interface TransactionalRow {
  transactional_id: string;
  producer_id: string;
  previous_producer_id: string;
  producer_epoch: number;
  last_producer_epoch: number;
  transaction_timeout_ms: number;
}

export class ProducerIdAllocator {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #blockSize: bigint;
  readonly #transactionalIdsMax: number;
  readonly #transactionTimeoutMsMax: number;
  readonly #now: () => number;
  /** The next id to give, and the end (exclusive) of the block it belongs to, as written durably. */
  #nextProducerId: bigint;
  #blockEnd: bigint;
  /** Least recently used first: a Map keeps insertion order, and a use moves an id to the end. */
  readonly #transactional = new Map<string, TransactionalState>();
  /** Requests run one at a time, so that block allocation and epoch bumps never interleave. */
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #closed = false;

  private constructor(db: Database, highWater: bigint, options: ProducerIdAllocatorOptions) {
    this.#db = db;
    this.#logger = options.logger ?? silentLogger();
    this.#blockSize = BigInt(options.blockSize ?? PRODUCER_ID_BLOCK_SIZE);
    this.#transactionalIdsMax = options.transactionalIdsMax ?? TRANSACTIONAL_IDS_MAX;
    this.#transactionTimeoutMsMax = options.transactionTimeoutMsMax ?? TRANSACTION_TIMEOUT_MS_MAX;
    this.#now = options.now ?? Date.now;
    assert(this.#blockSize > 0n && this.#transactionalIdsMax > 0, 'producer id block size and transactional id limit are positive');
    // Nothing below the high-water mark may be handed out again: it may have been used.
    this.#nextProducerId = highWater;
    this.#blockEnd = highWater;
  }

  static async open(options: ProducerIdAllocatorOptions): Promise<ProducerIdAllocator> {
    const path = join(options.dataDir, PRODUCERS_DATABASE_PATH);
    mkdirSync(join(options.dataDir, 'meta'), { recursive: true });
    const db = await Database.open(path);
    try {
      await db.exec(`
        CREATE TABLE IF NOT EXISTS producer_id_block (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
          next_block_start INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO producer_id_block (singleton, next_block_start) VALUES (0, 0);
        CREATE TABLE IF NOT EXISTS transactional_ids (
          transactional_id TEXT PRIMARY KEY,
          producer_id INTEGER NOT NULL,
          previous_producer_id INTEGER NOT NULL,
          producer_epoch INTEGER NOT NULL,
          last_producer_epoch INTEGER NOT NULL,
          transaction_timeout_ms INTEGER NOT NULL,
          last_used_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
      const block = await db.get<{ next_block_start: string }>('SELECT CAST(next_block_start AS TEXT) AS next_block_start FROM producer_id_block WHERE singleton = 0');
      assert(block !== undefined, 'the producer id block row exists');
      const highWater = BigInt(block.next_block_start);
      assert(highWater >= 0n && highWater <= INT64_MAX, `producer id high-water mark ${highWater} is a non-negative int64`);
      const allocator = new ProducerIdAllocator(db, highWater, options);
      const rows = await db.all<TransactionalRow>(`
        SELECT transactional_id, CAST(producer_id AS TEXT) AS producer_id, CAST(previous_producer_id AS TEXT) AS previous_producer_id,
               producer_epoch, last_producer_epoch, transaction_timeout_ms
        FROM transactional_ids ORDER BY last_used_ms`);
      for (const row of rows) {
        const state: TransactionalState = {
          producerId: BigInt(row.producer_id),
          previousProducerId: BigInt(row.previous_producer_id),
          producerEpoch: row.producer_epoch,
          lastProducerEpoch: row.last_producer_epoch,
          transactionTimeoutMs: row.transaction_timeout_ms,
        };
        assert(state.producerId >= 0n && state.producerId < highWater, `producer id ${state.producerId} of ${row.transactional_id} lies below the high-water mark`);
        assert(state.producerEpoch >= 0 && state.producerEpoch <= PRODUCER_EPOCH_EXHAUSTED, `producer epoch ${state.producerEpoch} of ${row.transactional_id} is valid`);
        allocator.#transactional.set(row.transactional_id, state);
      }
      return allocator;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Answers an InitProducerId. Error codes are Kafka's, as the response carries them. */
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdAnswer> {
    if (this.#closed || this.#pending >= PENDING_REQUESTS_MAX) return Promise.resolve(initError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    this.#pending += 1;
    const result = this.#tail.then(() => this.#initProducerId(request));
    this.#tail = result.catch(() => undefined);
    return result
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'allocating a producer id failed');
        return initError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      })
      .finally(() => {
        this.#pending -= 1;
      });
  }

  /** The producer id, epoch and transaction timeout a transactional id has now, undefined when it has none. */
  transactionalState(transactionalId: string): { producerId: bigint; producerEpoch: number; transactionTimeoutMs: number } | undefined {
    const state = this.#transactional.get(transactionalId);
    if (state === undefined || state.producerEpoch === NO_PRODUCER_EPOCH) return undefined;
    return { producerId: state.producerId, producerEpoch: state.producerEpoch, transactionTimeoutMs: state.transactionTimeoutMs };
  }

  /** Every transactional id that has a producer id now. */
  *transactionalIds(): IterableIterator<string> {
    for (const [transactionalId, state] of this.#transactional) if (state.producerEpoch !== NO_PRODUCER_EPOCH) yield transactionalId;
  }

  /**
   * Fences the producer of a transactional id whose transaction the coordinator aborts on
   * its own (a timeout, KIP-98): the epoch moves on durably, so the producer's next request
   * is refused as from a zombie. Resolves with the epoch the abort markers carry, above every
   * epoch the producer wrote with. An epoch that cannot grow further is left; the markers
   * then carry one above it, and the next InitProducerId moves the id to a new producer id.
   */
  fenceEpoch(transactionalId: string, producerId: bigint, producerEpoch: number): Promise<number> {
    const result = this.#tail.then(async () => {
      const current = this.#transactional.get(transactionalId);
      if (current === undefined || current.producerId !== producerId || current.producerEpoch !== producerEpoch) return producerEpoch + 1;
      if (current.producerEpoch >= PRODUCER_EPOCH_EXHAUSTED) return current.producerEpoch + 1;
      const next: TransactionalState = { ...current, producerEpoch: current.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH };
      await this.#storeTransactional(transactionalId, next);
      return next.producerEpoch;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for requests under way, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.#db.close();
  }

  async #initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdAnswer> {
    const { transactionalId } = request;
    if (transactionalId === null) {
      // An idempotent producer always gets a fresh id with epoch 0, even when it names its
      // old one: a new id cannot collide with anything it wrote before.
      return { errorCode: ErrorCode.NONE, producerId: await this.#allocate(), producerEpoch: 0 };
    }
    // The Java producer rejects an empty transactional id itself; Kafka answers it the same way.
    if (transactionalId === '' || transactionalId.length > TRANSACTIONAL_ID_LENGTH_MAX) return initError(ErrorCode.INVALID_REQUEST);
    if (request.transactionTimeoutMs <= 0 || request.transactionTimeoutMs > this.#transactionTimeoutMsMax) return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    // KIP-360: the producer names its current id and epoch, both or neither.
    const hasExpected = request.producerId !== NO_PRODUCER_ID || request.producerEpoch !== NO_PRODUCER_EPOCH;
    if (hasExpected && (request.producerId === NO_PRODUCER_ID || request.producerEpoch === NO_PRODUCER_EPOCH)) return initError(ErrorCode.INVALID_REQUEST);
    const expected = hasExpected ? { producerId: request.producerId, epoch: request.producerEpoch } : undefined;

    const current = this.#transactional.get(transactionalId) ?? {
      producerId: await this.#allocate(),
      previousProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      transactionTimeoutMs: request.transactionTimeoutMs,
    };
    // Kafka's isValidProducerId: a producer naming an id that is not (or no longer) this
    // transactional id's is a zombie and is fenced.
    if (
      expected !== undefined &&
      !(
        current.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === current.producerId ||
        (expected.producerId === current.previousProducerId && expected.epoch >= PRODUCER_EPOCH_EXHAUSTED)
      )
    ) {
      return initError(ErrorCode.PRODUCER_FENCED);
    }

    let next: TransactionalState;
    if (current.producerEpoch >= PRODUCER_EPOCH_EXHAUSTED && (expected === undefined || expected.epoch === current.producerEpoch)) {
      // The epoch cannot grow further: the transactional id moves to a new producer id.
      next = {
        producerId: await this.#allocate(),
        previousProducerId: current.producerId,
        producerEpoch: 0,
        lastProducerEpoch: expected === undefined ? NO_PRODUCER_EPOCH : current.producerEpoch,
        transactionTimeoutMs: request.transactionTimeoutMs,
      };
    } else if (expected === undefined || current.producerEpoch === NO_PRODUCER_EPOCH || expected.epoch === current.producerEpoch) {
      // A new instance (or the same one recovering): the next epoch fences every older one.
      next = {
        ...current,
        producerEpoch: current.producerEpoch + 1,
        lastProducerEpoch: expected === undefined ? NO_PRODUCER_EPOCH : current.producerEpoch,
        transactionTimeoutMs: request.transactionTimeoutMs,
      };
    } else if (expected.epoch === current.lastProducerEpoch) {
      // A retry of a bump whose answer was lost: the same answer again, no new bump.
      next = { ...current, transactionTimeoutMs: request.transactionTimeoutMs };
    } else {
      return initError(ErrorCode.PRODUCER_FENCED);
    }
    await this.#storeTransactional(transactionalId, next);
    return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
  }

  /** The next producer id; writes a new high-water mark first when the block is used up. */
  async #allocate(): Promise<bigint> {
    if (this.#nextProducerId >= this.#blockEnd) {
      const blockEnd = this.#nextProducerId + this.#blockSize;
      assert(blockEnd <= INT64_MAX, 'producer ids are exhausted');
      await this.#db.run('UPDATE producer_id_block SET next_block_start = CAST(? AS INTEGER) WHERE singleton = 0', [blockEnd.toString()]);
      this.#blockEnd = blockEnd;
      this.#logger.debug({ blockStart: this.#nextProducerId, blockEnd }, 'allocated a block of producer ids');
    }
    const producerId = this.#nextProducerId;
    this.#nextProducerId += 1n;
    return producerId;
  }

  async #storeTransactional(transactionalId: string, state: TransactionalState): Promise<void> {
    assert(state.producerId >= 0n && state.producerId < this.#blockEnd, 'a stored producer id was allocated');
    assert(state.producerEpoch >= 0 && state.producerEpoch <= PRODUCER_EPOCH_EXHAUSTED, 'a stored producer epoch is valid');
    // The memory copy changes only once the database has the new state, so a failed write
    // leaves both as they were.
    const others = this.#transactional.size - (this.#transactional.has(transactionalId) ? 1 : 0);
    const evicted: string[] = [];
    for (const oldest of this.#transactional.keys()) {
      if (others - evicted.length < this.#transactionalIdsMax) break;
      if (oldest !== transactionalId) evicted.push(oldest);
    }
    await this.#db.transaction(async () => {
      for (const id of evicted) await this.#db.run('DELETE FROM transactional_ids WHERE transactional_id = ?', [id]);
      await this.#db.run(
        `INSERT OR REPLACE INTO transactional_ids
           (transactional_id, producer_id, previous_producer_id, producer_epoch, last_producer_epoch, transaction_timeout_ms, last_used_ms)
         VALUES (?, CAST(? AS INTEGER), CAST(? AS INTEGER), ?, ?, ?, ?)`,
        [transactionalId, state.producerId.toString(), state.previousProducerId.toString(), state.producerEpoch, state.lastProducerEpoch, state.transactionTimeoutMs, this.#now()],
      );
    });
    for (const id of evicted) this.#transactional.delete(id);
    if (evicted.length > 0) this.#logger.info({ evicted: evicted.length, limit: this.#transactionalIdsMax }, 'forgot the least recently used transactional ids');
    this.#transactional.delete(transactionalId);
    this.#transactional.set(transactionalId, state);
  }
}

function initError(errorCode: number): InitProducerIdAnswer {
  return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

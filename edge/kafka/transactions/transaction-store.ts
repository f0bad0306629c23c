// The transaction coordinator's durable state (KIP-98): one row per transactional id with
// its state, the producer id and epoch its markers carry, its timeout, when it started and
// the partitions and groups it touched, plus the offsets TxnOffsetCommit left pending. Every
// change is written (synchronous=FULL) before the coordinator acts on it or answers, so that
// after a crash or a power cut a transaction is found in the state last answered: an ongoing
// one times out and is aborted, one whose outcome was decided (PrepareCommit, PrepareAbort)
// gets its markers, and its offsets when it committed, again.
//
// Database `<dataDir>/meta/transactions.sqlite` (PRAGMA user_version = 1):
//   transactions(transactional_id, producer_id, producer_epoch, state, timeout_ms,
//                start_ms, updated_ms, partitions, groups)
//     partitions: JSON [[topic, partition], ...]; groups: JSON [groupId, ...]
//   pending_offsets(transactional_id, group_id, topic, partition_index, committed_offset,
//                   leader_epoch, metadata)
// 64-bit integers are bound as text and cast, because the sqlite3 package cannot bind a bigint.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Database } from '../../../shared/sqlite.ts';
import { OFFSET_ROW_COLUMNS, offsetWriteOfRow, type OffsetRow, type OffsetWrite } from '../groups/coordinator.ts';

export const TRANSACTIONS_DATABASE_PATH = join('meta', 'transactions.sqlite');
const SCHEMA_VERSION = 1;

/** Kafka's transaction states, under the names DescribeTransactions and ListTransactions report. */
export const TransactionStates = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'] as const;
export type TransactionState = (typeof TransactionStates)[number];

export interface TransactionRecord {
  transactionalId: string;
  producerId: bigint;
  /** The producer's epoch; once the outcome is decided, the epoch its markers carry. */
  producerEpoch: number;
  state: TransactionState;
  timeoutMs: number;
  /** When the transaction began (its first partition or group), -1 when none is under way. */
  startMs: number;
  updatedMs: number;
  /** Partitions by topic. */
  partitions: Map<string, Set<number>>;
  groups: Set<string>;
  /** Offsets TxnOffsetCommit left pending, by group; committed with the transaction. */
  pendingOffsets: Map<string, OffsetWrite[]>;
}

interface TransactionRow {
  transactional_id: string;
  producer_id: string;
  producer_epoch: number;
  state: string;
  timeout_ms: number;
  start_ms: number;
  updated_ms: number;
  partitions: string;
  groups: string;
}

/** A pending offset is a committed offset held back for its transaction: the same row, plus whose it is. */
interface PendingOffsetRow extends OffsetRow {
  transactional_id: string;
}

export class TransactionStore {
  readonly #path: string;
  /**
   * Opened at start when the file exists, since recovery reads it; otherwise at the first
   * write, so a device whose clients never use transactions holds no connection for them
   * (about 0.2 MB each, bench/storage-footprint.ts).
   */
  #db: Database | undefined;
  /** Writes run one after another: a connection's transactions must not overlap. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(path: string, db: Database | undefined) {
    this.#path = path;
    this.#db = db;
  }

  static async open(dataDir: string): Promise<TransactionStore> {
    const path = join(dataDir, TRANSACTIONS_DATABASE_PATH);
    return new TransactionStore(path, existsSync(path) ? await openDatabase(path) : undefined);
  }

  /** Every transactional id's last state, with its pending offsets. */
  async loadAll(): Promise<TransactionRecord[]> {
    if (this.#db === undefined) return [];
    const rows = await this.#db.all<TransactionRow>(`
      SELECT transactional_id, CAST(producer_id AS TEXT) AS producer_id, producer_epoch, state, timeout_ms, start_ms, updated_ms, partitions, groups
      FROM transactions ORDER BY updated_ms`);
    const records = new Map<string, TransactionRecord>();
    for (const row of rows) {
      if (!(TransactionStates as readonly string[]).includes(row.state)) throw new Error(`assertion failed: transaction ${row.transactional_id} has an unknown state ${row.state}`);
      const partitions = new Map<string, Set<number>>();
      for (const [topic, partition] of JSON.parse(row.partitions) as [string, number][]) {
        let set = partitions.get(topic);
        if (set === undefined) partitions.set(topic, (set = new Set()));
        set.add(partition);
      }
      records.set(row.transactional_id, {
        transactionalId: row.transactional_id,
        producerId: BigInt(row.producer_id),
        producerEpoch: row.producer_epoch,
        state: row.state as TransactionState,
        timeoutMs: row.timeout_ms,
        startMs: row.start_ms,
        updatedMs: row.updated_ms,
        partitions,
        groups: new Set(JSON.parse(row.groups) as string[]),
        pendingOffsets: new Map(),
      });
    }
    const pending = await this.#db.all<PendingOffsetRow>(`SELECT transactional_id, ${OFFSET_ROW_COLUMNS} FROM pending_offsets`);
    for (const row of pending) {
      const record = records.get(row.transactional_id);
      if (record === undefined) continue;
      const writes = record.pendingOffsets.get(row.group_id) ?? [];
      writes.push(offsetWriteOfRow(row));
      record.pendingOffsets.set(row.group_id, writes);
    }
    return [...records.values()];
  }

  /** Writes a transaction's state (not its pending offsets); when it has ended, its pending offsets go with the same write. */
  async save(record: TransactionRecord): Promise<void> {
    const partitions: [string, number][] = [];
    for (const [topic, set] of record.partitions) for (const partition of set) partitions.push([topic, partition]);
    const ended = record.state === 'CompleteCommit' || record.state === 'CompleteAbort' || record.state === 'Empty';
    await this.#serial(async (db) => {
      await db.run(
        `INSERT OR REPLACE INTO transactions (transactional_id, producer_id, producer_epoch, state, timeout_ms, start_ms, updated_ms, partitions, groups)
         VALUES (?, CAST(? AS INTEGER), ?, ?, ?, ?, ?, ?, ?)`,
        [record.transactionalId, record.producerId.toString(), record.producerEpoch, record.state, record.timeoutMs, record.startMs, record.updatedMs, JSON.stringify(partitions), JSON.stringify([...record.groups])],
      );
      if (ended) await db.run('DELETE FROM pending_offsets WHERE transactional_id = ?', [record.transactionalId]);
    });
  }

  /** Adds (or replaces) offsets pending in a transaction. */
  async addPendingOffsets(transactionalId: string, groupId: string, writes: readonly OffsetWrite[]): Promise<void> {
    await this.#serial(async (db) => {
      for (const write of writes) {
        await db.run(
          `INSERT OR REPLACE INTO pending_offsets (transactional_id, group_id, topic, partition_index, committed_offset, leader_epoch, metadata, commit_timestamp_ms)
           VALUES (?, ?, ?, ?, CAST(? AS INTEGER), ?, ?, CAST(? AS INTEGER))`,
          [transactionalId, groupId, write.topic, write.partition, write.committed.offset.toString(), write.committed.leaderEpoch, write.committed.metadata, write.committed.commitTimestampMs.toString()],
        );
      }
    });
  }

  /** Forgets transactional ids (their last transaction has ended). */
  async forget(transactionalIds: readonly string[]): Promise<void> {
    if (transactionalIds.length === 0) return;
    await this.#serial(async (db) => {
      for (const id of transactionalIds) {
        await db.run('DELETE FROM transactions WHERE transactional_id = ?', [id]);
        await db.run('DELETE FROM pending_offsets WHERE transactional_id = ?', [id]);
      }
    });
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#db?.close();
  }

  /** Runs `work` in one database transaction, after every write before it; the first creates the database. */
  #serial(work: (db: Database) => Promise<void>): Promise<void> {
    const result = this.#tail.then(async () => {
      const db = (this.#db ??= await openDatabase(this.#path));
      await db.transaction(() => work(db));
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Opens (or creates) the database at `path` with its tables. */
async function openDatabase(path: string): Promise<Database> {
  mkdirSync(dirname(path), { recursive: true });
  const db = await Database.open(path);
  try {
    await db.exec(`
      CREATE TABLE IF NOT EXISTS transactions (
        transactional_id TEXT PRIMARY KEY,
        producer_id INTEGER NOT NULL,
        producer_epoch INTEGER NOT NULL,
        state TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        partitions TEXT NOT NULL,
        groups TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pending_offsets (
        transactional_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition_index INTEGER NOT NULL,
        committed_offset INTEGER NOT NULL,
        leader_epoch INTEGER NOT NULL,
        metadata TEXT NOT NULL,
        commit_timestamp_ms INTEGER NOT NULL,
        PRIMARY KEY (transactional_id, group_id, topic, partition_index)
      ) WITHOUT ROWID;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

// Group commit for the MQTT session store. Statements queued while a transaction is being
// committed go together into the next one, so a burst of session changes costs one
// fsync, not one per change. A caller either waits for its statement to be committed
// (new obligations: a subscription, a queued message, a stored QoS 2 packet) or only
// queues it (progress that may be replayed after a crash: an acknowledged message).
import type { Database, SqlValue } from '../../shared/sqlite.ts';
import type { Logger } from '../../shared/logger.ts';

/** Statements in one transaction; bounds how long the writer holds SQLite's lock. */
const STATEMENTS_PER_TRANSACTION_MAX = 2_000;
/**
 * Statements queued before write-behind callers are made to wait too: bounds memory
 * when SQLite falls behind (a slow or failing disk) instead of letting the queue grow.
 */
const QUEUED_STATEMENTS_MAX = 20_000;

interface Statement {
  sql: string;
  params: SqlValue[];
  resolve?: () => void;
  reject?: (error: Error) => void;
}

export class SqliteWriteQueue {
  readonly #database: Database;
  readonly #logger: Logger;
  #queue: Statement[] = [];
  #running: Promise<void> | null = null;
  #scheduled = false;
  #closed = false;

  constructor(database: Database, logger: Logger) {
    this.#database = database;
    this.#logger = logger;
  }

  /** Queues a statement and resolves once it is committed. */
  durable(sql: string, params: SqlValue[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#push({ sql, params, resolve, reject });
    });
  }

  /**
   * Queues a statement without waiting for it, unless too many are queued; then the
   * caller waits for its commit, which holds the session back until SQLite catches up.
   */
  behind(sql: string, params: SqlValue[]): Promise<void> {
    if (this.#queue.length >= QUEUED_STATEMENTS_MAX) return this.durable(sql, params);
    this.#push({ sql, params });
    return Promise.resolve();
  }

  /** Waits until everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#running !== null) {
      if (this.#running === null) this.#start();
      await this.#running;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
  }

  #push(statement: Statement): void {
    if (this.#closed) {
      statement.reject?.(new Error('the MQTT session store is closed'));
      return;
    }
    this.#queue.push(statement);
    if (this.#running === null && !this.#scheduled) {
      // Let the rest of this turn of the event loop add its statements first.
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (this.#running === null) this.#start();
      });
    }
  }

  #start(): void {
    if (this.#queue.length === 0) return;
    const group = this.#queue.length <= STATEMENTS_PER_TRANSACTION_MAX ? this.#queue : this.#queue.slice(0, STATEMENTS_PER_TRANSACTION_MAX);
    this.#queue = group === this.#queue ? [] : this.#queue.slice(STATEMENTS_PER_TRANSACTION_MAX);
    this.#running = this.#commit(group).finally(() => {
      this.#running = null;
      if (this.#queue.length > 0) this.#start();
    });
  }

  async #commit(group: Statement[]): Promise<void> {
    try {
      await this.#database.transaction(async () => {
        for (const statement of group) await this.#database.run(statement.sql, statement.params);
      });
      for (const statement of group) statement.resolve?.();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#logger.error({ err: failure, statements: group.length, database: this.#database.path }, 'MQTT session store: a transaction failed; its changes are lost');
      for (const statement of group) statement.reject?.(failure);
    }
  }
}

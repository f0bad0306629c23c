// A small promise wrapper over the `sqlite3` package, shared by every part that keeps
// metadata (topics, consumer-group offsets, MQTT sessions). Each part opens its own
// database file, so that one part's writes never wait on another's lock. Each database
// opened costs about 0.2 MB resident and its page cache (PAGE_CACHE_KIB) at most.
import sqlite3 from 'sqlite3';

/** How long a statement waits for a lock held by another connection before failing. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * SQLite's page cache per database, in KiB (PRAGMA cache_size takes a negative value as
 * KiB). SQLite's default is 2,000 KiB per connection, and the daemon opens five metadata
 * databases: up to 10 MB held once their files outgrow the cache. These are small files,
 * read whole at start and then touched a few pages per change; the kernel's page cache
 * holds them anyway, so a page SQLite no longer caches costs a pread, not a read from flash.
 * 256 KiB keeps a B-tree's interior pages and the recently changed leaves (64 pages of 4 KiB).
 * Measured (bench/storage-footprint.ts): five databases of 8,000 rows of 200 B each held
 * 12.5 MB of anonymous memory after the writes with SQLite's default, 4.0 MB with this.
 */
export const PAGE_CACHE_KIB = 256;

export type SqlValue = string | number | bigint | Buffer | null;

/**
 * The sqlite3 package binds a bigint as NULL. Offsets and producer ids are bigints, so
 * they are bound as decimal text, which a column of INTEGER affinity stores as an integer.
 * Read such columns back with CAST(column AS TEXT) and BigInt(): a JavaScript number loses
 * integers above 2^53.
 */
function bindable(params: SqlValue[]): (string | number | Buffer | null)[] {
  return params.map((value) => (typeof value === 'bigint' ? value.toString() : value));
}

export class Database {
  readonly path: string;
  readonly #db: sqlite3.Database;

  private constructor(path: string, db: sqlite3.Database) {
    this.path = path;
    this.#db = db;
  }

  static async open(path: string): Promise<Database> {
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(handle)));
    });
    const database = new Database(path, db);
    db.configure('busyTimeout', BUSY_TIMEOUT_MS);
    // WAL: readers never block the writer; synchronous=FULL: a committed transaction
    // survives a power cut, which acknowledged metadata (offsets, sessions) must.
    await database.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -${PAGE_CACHE_KIB};`);
    return database;
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.#db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  run(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.#db.run(sql, bindable(params), function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<Row>(sql: string, params: SqlValue[] = []): Promise<Row | undefined> {
    return new Promise((resolve, reject) => this.#db.get(sql, bindable(params), (error, row) => (error ? reject(error) : resolve(row as Row | undefined))));
  }

  all<Row>(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    return new Promise((resolve, reject) => this.#db.all(sql, bindable(params), (error, rows) => (error ? reject(error) : resolve(rows as Row[]))));
  }

  /** Runs `work` inside one transaction; rolls back if it throws. Calls must not overlap on one connection. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const result = await work();
      await this.exec('COMMIT');
      return result;
    } catch (error) {
      await this.exec('ROLLBACK');
      throw error;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#db.close((error) => (error ? reject(error) : resolve())));
  }
}

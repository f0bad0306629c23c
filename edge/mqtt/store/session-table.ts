// Persistent sessions: how long each lives after its client leaves (Session Expiry
// Interval, 0xFFFFFFFF for never) and when it was left.
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';

export interface StoredSession {
  clientId: string;
  /** Undefined for a session schema 1 stored: an MQTT 3.1.1 persistent session, which never expires. */
  expirySeconds: number | undefined;
  /** Undefined while connected, and for a broker that stopped without recording it. */
  disconnectedAtMs: number | undefined;
}

export class SessionTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<StoredSession[]> {
    const rows = await database.all<{ client_id: string; expiry_seconds: number | null; disconnected_at: number | null }>('SELECT client_id, expiry_seconds, disconnected_at FROM mqtt_sessions');
    return rows.map((row) => ({ clientId: row.client_id, expirySeconds: row.expiry_seconds ?? undefined, disconnectedAtMs: row.disconnected_at ?? undefined }));
  }

  /** Resolves once committed: a persistent session exists before its CONNACK says so. */
  put(clientId: string, expirySeconds: number): Promise<void> {
    return this.#writes.durable('INSERT INTO mqtt_sessions (client_id, expiry_seconds, disconnected_at) VALUES (?, ?, NULL) ON CONFLICT (client_id) DO UPDATE SET expiry_seconds = excluded.expiry_seconds, disconnected_at = NULL', [clientId, expirySeconds]);
  }

  /** When the client left (or NULL when it is back) and the interval then in force; a crash before the commit only makes the session live longer. */
  left(clientId: string, expirySeconds: number, atMs: number): void {
    void this.#writes.behind('UPDATE mqtt_sessions SET expiry_seconds = ?, disconnected_at = ? WHERE client_id = ?', [expirySeconds, atMs, clientId]);
  }

  delete(clientId: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_sessions WHERE client_id = ?', [clientId]);
  }
}

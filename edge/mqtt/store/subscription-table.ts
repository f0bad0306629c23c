// Subscriptions of persistent sessions: filter (shared ones as $share/{name}/{filter})
// and options, a CBOR map.
import { Encoder } from 'cbor-x';
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** What a subscription asked for; the field names are those schema 1 stored. */
export interface StoredSubscriptionOptions {
  qos: number;
  /** No Local, Retain As Published, Retain Handling (MQTT 5). */
  nl?: boolean;
  rap?: boolean;
  rh?: number;
  subscriptionIdentifier?: number;
}

export class SubscriptionTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<Array<{ clientId: string; filter: string; options: StoredSubscriptionOptions }>> {
    const rows = await database.all<{ client_id: string; filter: string; options: Buffer }>('SELECT client_id, filter, options FROM mqtt_subscriptions ORDER BY rowid');
    return rows.map((row) => ({ clientId: row.client_id, filter: row.filter, options: cbor.decode(row.options) as StoredSubscriptionOptions }));
  }

  /** Resolves once committed: a SUBACK for a persistent session is sent only after. */
  put(clientId: string, filter: string, options: StoredSubscriptionOptions): Promise<void> {
    const plain: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(options)) if (value !== undefined) plain[name] = value;
    return this.#writes.durable('INSERT OR REPLACE INTO mqtt_subscriptions (client_id, filter, options) VALUES (?, ?, ?)', [clientId, filter, cbor.encode(plain)]);
  }

  /** An UNSUBACK may go once the change is in memory: a crash before the commit brings the subscription back, which the client can repeat. */
  delete(clientId: string, filter: string): void {
    void this.#writes.behind('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND filter = ?', [clientId, filter]);
  }

  deleteAll(clientId: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_subscriptions WHERE client_id = ?', [clientId]);
  }
}

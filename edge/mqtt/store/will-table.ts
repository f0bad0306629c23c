// Wills of connected clients, kept so that a will still reaches its subscribers when the
// broker stopped (or crashed) while its client was connected.
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';
import { decodeFields, encodeFields, messageFields, messageFromFields } from './message-codec.ts';
import type { Message } from '../message.ts';

export interface StoredWill {
  clientId: string;
  message: Message;
  /** Will Delay Interval (MQTT 5), seconds. */
  delaySeconds: number;
  /** Message Expiry Interval of the will, counted from its publication. */
  expirySeconds: number | undefined;
}

export class WillTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<StoredWill[]> {
    const rows = await database.all<{ client_id: string; packet: Buffer }>('SELECT client_id, packet FROM mqtt_wills');
    return rows.map((row) => {
      const fields = decodeFields(row.packet);
      const message = messageFromFields(fields);
      message.publisherId = row.client_id;
      return { clientId: row.client_id, message, delaySeconds: Number(fields.willDelay ?? 0), expirySeconds: typeof fields.willExpiry === 'number' ? fields.willExpiry : undefined };
    });
  }

  /** Resolves once committed, before the CONNACK. */
  put(will: StoredWill): Promise<void> {
    const fields = { ...messageFields(will.message), willDelay: will.delaySeconds, willExpiry: will.expirySeconds };
    return this.#writes.durable('INSERT OR REPLACE INTO mqtt_wills (client_id, packet) VALUES (?, ?)', [will.clientId, encodeFields(fields)]);
  }

  delete(clientId: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_wills WHERE client_id = ?', [clientId]);
  }
}

// Packet identifiers of QoS 2 publishes received from persistent sessions and not yet
// released (PUBREL): a publish sent again with one of them is acknowledged, not stored
// twice [MQTT-4.3.3-9]. Rows of schema 1 hold the whole message, which aedes delivered
// only at PUBREL; the broker delivers those then.
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';
import type { Message } from '../message.ts';
import { decodeFields, encodeFields, messageFromFields } from './message-codec.ts';

export interface StoredIncoming {
  clientId: string;
  packetId: number;
  /** Set only for rows schema 1 wrote: the message still to be delivered at PUBREL. */
  undelivered?: Message;
}

export class IncomingTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<StoredIncoming[]> {
    const rows = await database.all<{ client_id: string; message_id: number; packet: Buffer }>('SELECT client_id, message_id, packet FROM mqtt_incoming');
    return rows.map((row) => {
      const fields = decodeFields(row.packet);
      const entry: StoredIncoming = { clientId: row.client_id, packetId: row.message_id };
      if (fields.topic !== undefined) entry.undelivered = messageFromFields(fields);
      return entry;
    });
  }

  /** Resolves once committed: PUBREC is sent only after. */
  put(clientId: string, packetId: number): Promise<void> {
    return this.#writes.durable('INSERT OR REPLACE INTO mqtt_incoming (client_id, message_id, packet) VALUES (?, ?, ?)', [clientId, packetId, encodeFields({})]);
  }

  delete(clientId: string, packetId: number): void {
    void this.#writes.behind('DELETE FROM mqtt_incoming WHERE client_id = ? AND message_id = ?', [clientId, packetId]);
  }

  deleteAll(clientId: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_incoming WHERE client_id = ?', [clientId]);
  }
}

// Messages held for persistent sessions: queued, or sent and not yet acknowledged, in
// the order they are to be delivered (sequence).
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';
import { decodeFields, encodeFields, type StoredFields } from './message-codec.ts';

export interface StoredOutgoing {
  clientId: string;
  sequence: number;
  fields: StoredFields;
}

export class OutgoingTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<StoredOutgoing[]> {
    const rows = await database.all<{ client_id: string; sequence: number; packet: Buffer }>('SELECT client_id, sequence, packet FROM mqtt_outgoing ORDER BY client_id, sequence');
    return rows.map((row) => ({ clientId: row.client_id, sequence: row.sequence, fields: decodeFields(row.packet) }));
  }

  /** Resolves once committed: the publisher is acknowledged only after its message is queued for every persistent subscriber. */
  add(clientId: string, sequence: number, fields: StoredFields): Promise<void> {
    return this.#writes.durable('INSERT INTO mqtt_outgoing (client_id, sequence, packet) VALUES (?, ?, ?)', [clientId, sequence, encodeFields(fields)]);
  }

  /** Progress (a packet identifier assigned, PUBREC received): a crash before the commit sends the message again, which QoS 1 and 2 allow. */
  update(clientId: string, sequence: number, fields: StoredFields): void {
    void this.#writes.behind('UPDATE mqtt_outgoing SET packet = ? WHERE client_id = ? AND sequence = ?', [encodeFields(fields), clientId, sequence]);
  }

  delete(clientId: string, sequence: number): void {
    void this.#writes.behind('DELETE FROM mqtt_outgoing WHERE client_id = ? AND sequence = ?', [clientId, sequence]);
  }

  deleteAll(clientId: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_outgoing WHERE client_id = ?', [clientId]);
  }
}

// Retained messages, one per topic [MQTT-3.3.1-5].
import type { Database } from '../../../shared/sqlite.ts';
import type { SqliteWriteQueue } from '../sqlite-write-queue.ts';
import type { Message } from '../message.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';

export class RetainedTable {
  readonly #writes: SqliteWriteQueue;

  constructor(writes: SqliteWriteQueue) {
    this.#writes = writes;
  }

  static async load(database: Database): Promise<Message[]> {
    const rows = await database.all<{ topic: string; packet: Buffer }>('SELECT topic, packet FROM mqtt_retained ORDER BY rowid');
    return rows.map((row) => ({ ...decodeMessage(row.packet), topic: row.topic }));
  }

  /** Resolves once committed: a retained publish is acknowledged only after. */
  put(message: Message): Promise<void> {
    return this.#writes.durable('INSERT OR REPLACE INTO mqtt_retained (topic, packet) VALUES (?, ?)', [message.topic, encodeMessage(message)]);
  }

  delete(topic: string): Promise<void> {
    return this.#writes.durable('DELETE FROM mqtt_retained WHERE topic = ?', [topic]);
  }
}

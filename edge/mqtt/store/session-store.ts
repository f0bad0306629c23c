// The MQTT session store: what must outlive a connection and a restart of the daemon —
// persistent sessions, their subscriptions, the messages held for them, QoS 2 packet
// identifiers awaiting release, retained messages and wills — one table each in
// <dataDir>/meta/mqtt.sqlite.
//
// The broker keeps all of it in memory and writes through to SQLite with a
// group-committing queue (sqlite-write-queue.ts). A write that creates an obligation (a
// subscription, a queued message, a QoS 2 identifier, a retained message, a will)
// resolves after its commit, and the acknowledgement that promises it waits for that; a
// write that records progress (a packet identifier assigned, an acknowledgement received)
// is committed with the next group, so a crash can at worst deliver a message again,
// which QoS 1 allows and QoS 2 receivers detect by packet identifier.
//
// Sessions that end with their connection (Session Expiry Interval 0, clean session in
// 3.1.1) are not written at all [MQTT-3.1.2-6].
import type { Database } from '../../../shared/sqlite.ts';
import type { Logger } from '../../../shared/logger.ts';
import { TributaryError } from '../../../shared/errors.ts';
import { SqliteWriteQueue } from '../sqlite-write-queue.ts';
import type { Message } from '../message.ts';
import { migrate } from './schema.ts';
import { RetainedTable } from './retained-table.ts';
import { type StoredSession, SessionTable } from './session-table.ts';
import { type StoredSubscriptionOptions, SubscriptionTable } from './subscription-table.ts';
import { OutgoingTable, type StoredOutgoing } from './outgoing-table.ts';
import { IncomingTable, type StoredIncoming } from './incoming-table.ts';
import { type StoredWill, WillTable } from './will-table.ts';

export type { StoredSession, StoredSubscriptionOptions, StoredOutgoing, StoredIncoming, StoredWill };

/** Everything stored, read once at start. */
export interface StoredState {
  retained: Message[];
  sessions: StoredSession[];
  subscriptions: Array<{ clientId: string; filter: string; options: StoredSubscriptionOptions }>;
  outgoing: StoredOutgoing[];
  incoming: StoredIncoming[];
  wills: StoredWill[];
}

export interface SessionStoreOptions {
  logger: Logger;
  /** The write queue of the database, when other parts write to it too (one transaction at a time). */
  writes?: SqliteWriteQueue;
  /** Close the database in close(); for a store that opened it itself. */
  ownsDatabase?: boolean;
}

export class SessionStore {
  readonly database: Database;
  readonly retained: RetainedTable;
  readonly sessions: SessionTable;
  readonly subscriptions: SubscriptionTable;
  readonly outgoing: OutgoingTable;
  readonly incoming: IncomingTable;
  readonly wills: WillTable;
  readonly #writes: SqliteWriteQueue;
  readonly #ownsDatabase: boolean;
  #nextSequence = 1;
  #closed = false;

  private constructor(database: Database, writes: SqliteWriteQueue, ownsDatabase: boolean) {
    this.database = database;
    this.#writes = writes;
    this.#ownsDatabase = ownsDatabase;
    this.retained = new RetainedTable(writes);
    this.sessions = new SessionTable(writes);
    this.subscriptions = new SubscriptionTable(writes);
    this.outgoing = new OutgoingTable(writes);
    this.incoming = new IncomingTable(writes);
    this.wills = new WillTable(writes);
  }

  /** Creates or upgrades the tables and reads everything stored. */
  static async open(database: Database, options: SessionStoreOptions): Promise<{ store: SessionStore; state: StoredState }> {
    await migrate(database);
    const store = new SessionStore(database, options.writes ?? new SqliteWriteQueue(database, options.logger), options.ownsDatabase ?? false);
    const state: StoredState = {
      retained: await RetainedTable.load(database),
      sessions: await SessionTable.load(database),
      subscriptions: await SubscriptionTable.load(database),
      outgoing: await OutgoingTable.load(database),
      incoming: await IncomingTable.load(database),
      wills: await WillTable.load(database),
    };
    for (const entry of state.outgoing) if (entry.sequence >= store.#nextSequence) store.#nextSequence = entry.sequence + 1;
    options.logger.info({ retained: state.retained.length, sessions: state.sessions.length, queued: state.outgoing.length, wills: state.wills.length }, 'MQTT session store loaded');
    return { store, state };
  }

  /** The position of the next message held for a session; increasing across restarts. */
  nextSequence(): number {
    return this.#nextSequence++;
  }

  /** Removes a session and everything held for it; resolves once committed. */
  async deleteSession(clientId: string): Promise<void> {
    await Promise.all([
      this.sessions.delete(clientId),
      this.subscriptions.deleteAll(clientId),
      this.outgoing.deleteAll(clientId),
      this.incoming.deleteAll(clientId),
    ]);
  }

  /** Commits everything queued; the daemon calls it before it stops. */
  flush(): Promise<void> {
    return this.#writes.drain();
  }

  async close(): Promise<void> {
    if (this.#closed) throw new TributaryError('MQTT_SESSION_STORE_CLOSED', 'the MQTT session store was closed twice');
    this.#closed = true;
    await this.#writes.close();
    if (this.#ownsDatabase) await this.database.close();
  }
}

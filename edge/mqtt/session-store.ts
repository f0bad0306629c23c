// aedes persistence backed by SQLite: sessions (subscriptions), retained messages, wills
// and QoS 1/2 in-flight state survive a restart of the daemon.
//
// Every piece of state is held in memory, where aedes reads it on its hot path (the
// subscribers of each QoS 1/2 publish come from a trie), and written through to SQLite
// by a group-committing queue (sqlite-write-queue.ts). A call that creates an
// obligation (a subscription, a message queued for a session, a QoS 2 packet awaiting
// PUBREL, a retained message, a will) resolves after its commit; a call that records
// progress (a message id assigned, a message acknowledged) resolves at once and is
// committed with the next group, so a crash can at worst deliver a message again,
// which QoS 1 permits and QoS 2 receivers detect by packet identifier.
//
// State of clean sessions is not written at all: it ends with the network connection
// [MQTT-3.1.2-6], and a restart ends every connection.
//
// The contract is aedes-persistence's (abstract.js is its test suite, run by
// test/edge/mqtt/session-store.test.ts).
import { Readable } from 'node:stream';
import { Encoder } from 'cbor-x';
import type { Database } from '../../shared/sqlite.ts';
import type { Logger } from '../../shared/logger.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { SubscriptionTrie, type SubscriptionOptions } from './subscription-trie.ts';
import { TopicFilter } from './topic-filter.ts';

/** Version of the tables below, kept in PRAGMA user_version. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mqtt_retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_subscriptions (
  client_id TEXT NOT NULL, filter TEXT NOT NULL, options BLOB NOT NULL,
  PRIMARY KEY (client_id, filter));
CREATE TABLE IF NOT EXISTS mqtt_sessions (client_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS mqtt_outgoing (
  client_id TEXT NOT NULL, sequence INTEGER NOT NULL, packet BLOB NOT NULL,
  PRIMARY KEY (client_id, sequence));
CREATE TABLE IF NOT EXISTS mqtt_incoming (
  client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL,
  PRIMARY KEY (client_id, message_id));
CREATE TABLE IF NOT EXISTS mqtt_wills (client_id TEXT PRIMARY KEY, packet BLOB NOT NULL);
`;

/** The largest queue a session may hold when no limit is configured (see MqttLimits). */
const DEFAULT_QUEUED_PER_CLIENT_MAX = 1000;

// Packets and subscription options are stored as CBOR maps: Buffers stay Buffers, and
// a field aedes adds later is kept instead of being dropped by a fixed column list.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** The fields of a packet worth keeping; functions and back references are not. */
const PACKET_FIELDS = ['cmd', 'brokerId', 'brokerCounter', 'topic', 'payload', 'qos', 'retain', 'dup', 'messageId', 'clientId', 'nl', 'properties', 'messageExpiry'] as const;

// aedes hands packets around as loosely shaped objects; this is the part we read.
export interface StoredPacket {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
  [field: string]: unknown;
}

export interface SessionClient {
  id: string;
  /** aedes clients carry it; the abstract suite's plain objects do not. */
  clean?: boolean;
  brokerId?: string;
  /**
   * aedes's record, per broker id, of the newest broker counter forwarded live to this
   * connection: its live path skips a packet whose counter is not newer (dedupe).
   */
  duplicates?: Record<string, number>;
}

export interface SessionSubscription extends SubscriptionOptions {
  topic: string;
  subscriptionIdentifier?: number;
}

interface BrokerLike {
  id: string;
}

interface OutgoingEntry {
  sequence: number;
  packet: StoredPacket;
  /** The connection that last sent this packet (outgoingUpdate), live or from the queue. */
  sentTo?: SessionClient;
}

export interface SessionStoreOptions {
  logger: Logger;
  /** Messages one session may hold queued or in flight; see MqttLimits.maxQueuedPerClient. */
  maxQueuedPerClient?: number;
  /** Called for each message not queued because its session's queue was full. */
  onQueueOverflow?: (clientId: string, packet: StoredPacket) => void;
  /** Close the database in destroy(); for a store that opened it itself. */
  ownsDatabase?: boolean;
  /** The write queue of the database, when other parts write to it too (one transaction at a time). */
  writes?: SqliteWriteQueue;
}

function encodePacket(packet: StoredPacket): Buffer {
  const plain: Record<string, unknown> = {};
  for (const field of PACKET_FIELDS) if (packet[field] !== undefined) plain[field] = packet[field];
  return cbor.encode(plain);
}

function decodePacket(bytes: Buffer): StoredPacket {
  return cbor.decode(bytes) as StoredPacket;
}

/** A copy of `original` in the shape aedes queues: a fresh object, message id unassigned. */
function queuedCopy(original: StoredPacket, brokerId: string | undefined): StoredPacket {
  const packet: StoredPacket = {};
  if (Object.hasOwn(original, 'clientId')) packet.clientId = original.clientId;
  if (Object.hasOwn(original, 'nl')) packet.nl = original.nl;
  if (Object.hasOwn(original, 'properties')) packet.properties = original.properties;
  if (Object.hasOwn(original, 'messageExpiry')) packet.messageExpiry = original.messageExpiry;
  packet.cmd = original.cmd || 'publish';
  packet.brokerId = original.brokerId || brokerId;
  packet.brokerCounter = original.brokerCounter || 0;
  packet.topic = original.topic;
  packet.payload = original.payload || Buffer.alloc(0);
  packet.qos = original.qos || 0;
  packet.retain = original.retain || false;
  packet.dup = original.dup || false;
  // [MQTT-2.3.1-1] A packet identifier is assigned when the message is sent, per session.
  if (packet.qos > 0 || packet.cmd !== 'publish') packet.messageId = undefined;
  return packet;
}

function subscriptionRecord(sub: SessionSubscription): Omit<SessionSubscription, 'topic'> {
  const record: Omit<SessionSubscription, 'topic'> = { qos: sub.qos };
  if (sub.rh !== undefined) record.rh = sub.rh;
  if (sub.rap !== undefined) record.rap = sub.rap;
  if (sub.nl !== undefined) record.nl = sub.nl;
  // MQTT 5 subscription identifiers round-trip only when present.
  if (sub.subscriptionIdentifier !== undefined) record.subscriptionIdentifier = sub.subscriptionIdentifier;
  return record;
}

export class SqliteSessionStore {
  readonly #database: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #logger: Logger;
  readonly #maxQueuedPerClient: number;
  readonly #onQueueOverflow: (clientId: string, packet: StoredPacket) => void;
  readonly #ownsDatabase: boolean;
  #broker: BrokerLike | undefined;
  #destroyed = false;

  readonly #retained = new Map<string, StoredPacket>();
  /** Payloads of retained publishes stored ahead of aedes (see storeRetainedAhead). */
  readonly #storedAhead = new WeakSet<object>();
  /** client id -> filter -> options; a client with no subscriptions has no entry. */
  readonly #subscriptions = new Map<string, Map<string, Omit<SessionSubscription, 'topic'>>>();
  /** QoS 1/2 subscriptions, matched on every QoS 1/2 publish. */
  readonly #trie = new SubscriptionTrie();
  readonly #outgoing = new Map<string, OutgoingEntry[]>();
  readonly #incoming = new Map<string, Map<number, StoredPacket>>();
  /** Clients with QoS 2 packets in SQLite (clean sessions keep theirs in memory only). */
  readonly #incomingPersisted = new Set<string>();
  readonly #wills = new Map<string, StoredPacket>();
  #nextSequence = 1;

  private constructor(database: Database, options: SessionStoreOptions) {
    this.#database = database;
    this.#logger = options.logger;
    this.#writes = options.writes ?? new SqliteWriteQueue(database, options.logger);
    this.#maxQueuedPerClient = options.maxQueuedPerClient ?? DEFAULT_QUEUED_PER_CLIENT_MAX;
    this.#onQueueOverflow = options.onQueueOverflow ?? (() => {});
    this.#ownsDatabase = options.ownsDatabase ?? false;
  }

  /** Creates the tables if needed and loads every stored session into memory. */
  static async open(database: Database, options: SessionStoreOptions): Promise<SqliteSessionStore> {
    const version = await database.get<{ user_version: number }>('PRAGMA user_version');
    if (version !== undefined && version.user_version > SCHEMA_VERSION) {
      throw new Error(`${database.path}: MQTT session tables have version ${version.user_version}; this build understands up to ${SCHEMA_VERSION}`);
    }
    await database.exec(SCHEMA);
    await database.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    const store = new SqliteSessionStore(database, options);
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    for (const row of await this.#database.all<{ topic: string; packet: Buffer }>('SELECT topic, packet FROM mqtt_retained')) {
      this.#retained.set(row.topic, decodePacket(row.packet));
    }
    for (const row of await this.#database.all<{ client_id: string; filter: string; options: Buffer }>('SELECT client_id, filter, options FROM mqtt_subscriptions ORDER BY rowid')) {
      const record = cbor.decode(row.options) as Omit<SessionSubscription, 'topic'>;
      this.#subscriptionsOf(row.client_id).set(row.filter, record);
      if (record.qos > 0) this.#trie.add(row.filter, row.client_id, record);
    }
    for (const row of await this.#database.all<{ client_id: string; sequence: number; packet: Buffer }>('SELECT client_id, sequence, packet FROM mqtt_outgoing ORDER BY client_id, sequence')) {
      this.#outgoingOf(row.client_id).push({ sequence: row.sequence, packet: decodePacket(row.packet) });
      if (row.sequence >= this.#nextSequence) this.#nextSequence = row.sequence + 1;
    }
    for (const row of await this.#database.all<{ client_id: string; message_id: number; packet: Buffer }>('SELECT client_id, message_id, packet FROM mqtt_incoming')) {
      this.#incomingOf(row.client_id).set(row.message_id, decodePacket(row.packet));
      this.#incomingPersisted.add(row.client_id);
    }
    for (const row of await this.#database.all<{ client_id: string; packet: Buffer }>('SELECT client_id, packet FROM mqtt_wills')) {
      this.#wills.set(row.client_id, decodePacket(row.packet));
    }
    this.#logger.info({ retained: this.#retained.size, sessions: this.#subscriptions.size, queued: [...this.#outgoing.values()].reduce((sum, queue) => sum + queue.length, 0), wills: this.#wills.size }, 'MQTT session store loaded');
  }

  get broker(): BrokerLike | undefined {
    return this.#broker;
  }

  /** The database this store writes to, shared with the reverse-route positions. */
  get database(): Database {
    return this.#database;
  }

  /** Numbers for the metrics and the admin API. */
  stats(): { retained: number; sessions: number; queued: number; subscriptions: number } {
    let queued = 0;
    for (const queue of this.#outgoing.values()) queued += queue.length;
    return { retained: this.#retained.size, sessions: this.#subscriptions.size, queued, subscriptions: this.#trie.size };
  }

  /** The number of messages held for one session (queued or in flight). */
  queuedCount(clientId: string): number {
    return this.#outgoing.get(clientId)?.length ?? 0;
  }

  // aedes checks that this is an async function by its constructor name.
  async setup(broker: BrokerLike): Promise<void> {
    this.#broker = broker;
  }

  // --- retained messages ---

  /**
   * Stores a retained message on the publish path, before the publish is acknowledged,
   * so that an acknowledged retained message survives a crash. aedes stores it again
   * once it publishes the packet (after the PUBACK); that second call is skipped.
   */
  async storeRetainedAhead(original: StoredPacket): Promise<void> {
    if (typeof original.payload === 'object' && original.payload !== null) this.#storedAhead.add(original.payload);
    await this.storeRetained(original, true);
  }

  async storeRetained(original: StoredPacket, ahead = false): Promise<void> {
    // aedes's packet for the publish shares the payload object of the packet stored ahead.
    if (!ahead && typeof original.payload === 'object' && original.payload !== null && this.#storedAhead.delete(original.payload)) return;
    const packet = { ...original };
    const topic = packet.topic as string;
    // [MQTT-3.3.1-10] A retained message with an empty payload removes the retained message.
    if (packet.payload === undefined || packet.payload.length === 0) {
      this.#retained.delete(topic);
      await this.#writes.durable('DELETE FROM mqtt_retained WHERE topic = ?', [topic]);
    } else {
      this.#retained.set(topic, packet);
      await this.#writes.durable('INSERT OR REPLACE INTO mqtt_retained (topic, packet) VALUES (?, ?)', [topic, encodePacket(packet)]);
    }
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(this.#retainedMatching(patterns));
  }

  createRetainedStream(pattern: string): Readable {
    return Readable.from(this.#retainedMatching([pattern]));
  }

  *#retainedMatching(patterns: string[]): Generator<StoredPacket> {
    const filters = patterns.map((pattern) => new TopicFilter(pattern));
    // A retained message matching several of the filters is sent once.
    for (const [topic, packet] of this.#retained) {
      const levels = topic.split('/');
      if (filters.some((filter) => filter.matchesLevels(topic, levels))) yield packet;
    }
  }

  // --- subscriptions ---

  async addSubscriptions(client: SessionClient, subs: SessionSubscription[]): Promise<void> {
    const stored = this.#subscriptionsOf(client.id);
    const persist = client.clean !== true;
    const writes: Promise<void>[] = [];
    for (const sub of subs) {
      const record = subscriptionRecord(sub);
      const previous = stored.get(sub.topic);
      // Only QoS 1/2 subscriptions receive messages while the client is away.
      if (record.qos > 0) this.#trie.add(sub.topic, client.id, record);
      else if (previous !== undefined && previous.qos > 0) this.#trie.remove(sub.topic, client.id);
      stored.set(sub.topic, record);
      if (persist) writes.push(this.#writes.durable('INSERT OR REPLACE INTO mqtt_subscriptions (client_id, filter, options) VALUES (?, ?, ?)', [client.id, sub.topic, cbor.encode(record)]));
    }
    await Promise.all(writes);
  }

  async removeSubscriptions(client: SessionClient, filters: string[]): Promise<void> {
    const stored = this.#subscriptions.get(client.id);
    if (stored === undefined) return;
    for (const filter of filters) {
      const record = stored.get(filter);
      if (record === undefined) continue;
      if (record.qos > 0) this.#trie.remove(filter, client.id);
      stored.delete(filter);
      // An UNSUBACK may be sent once the change is in memory; a crash before the
      // commit brings the subscription back, which the client can repeat.
      void this.#writes.behind('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND filter = ?', [client.id, filter]);
    }
    if (stored.size === 0) this.#subscriptions.delete(client.id);
  }

  async subscriptionsByClient(client: SessionClient): Promise<SessionSubscription[]> {
    const stored = this.#subscriptions.get(client.id);
    if (stored === undefined) return [];
    return [...stored].map(([topic, record]) => ({ topic, ...record }));
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.#trie.size, clientsCount: this.#subscriptions.size };
  }

  async subscriptionsByTopic(topic: string): Promise<Array<SubscriptionOptions & { clientId: string; topic: string }>> {
    // Asked on every QoS 1/2 publish; most devices have no persistent subscriptions.
    if (this.#trie.size === 0) return [];
    return this.#trie.match(topic);
  }

  async cleanSubscriptions(client: SessionClient): Promise<void> {
    const stored = this.#subscriptions.get(client.id);
    if (stored !== undefined) {
      for (const [filter, record] of stored) if (record.qos > 0) this.#trie.remove(filter, client.id);
      this.#subscriptions.delete(client.id);
    }
    // [MQTT-3.1.2-6] A clean session discards the previous session: its subscriptions
    // and the messages queued for it.
    const queue = this.#outgoing.get(client.id);
    if (queue !== undefined) this.#outgoing.delete(client.id);
    if (stored !== undefined || queue !== undefined) {
      await Promise.all([
        this.#writes.durable('DELETE FROM mqtt_subscriptions WHERE client_id = ?', [client.id]),
        this.#writes.durable('DELETE FROM mqtt_outgoing WHERE client_id = ?', [client.id]),
      ]);
    }
  }

  // --- messages queued for and in flight to sessions ---

  async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    await this.#enqueue(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: StoredPacket): Promise<void> {
    if (subs.length === 0) return;
    if (subs.length === 1) return this.#enqueue(subs[0]!.clientId, packet);
    await Promise.all(subs.map((sub) => this.#enqueue(sub.clientId, packet)));
  }

  #enqueue(clientId: string, original: StoredPacket): Promise<void> {
    const queue = this.#outgoingOf(clientId);
    if (queue.length >= this.#maxQueuedPerClient) {
      // The record is in the log already; this session alone misses it. Counted and
      // reported by the caller, never dropped silently.
      this.#onQueueOverflow(clientId, original);
      return Promise.resolve();
    }
    const entry: OutgoingEntry = { sequence: this.#nextSequence++, packet: queuedCopy(original, this.#broker?.id) };
    queue.push(entry);
    return this.#writes.durable('INSERT INTO mqtt_outgoing (client_id, sequence, packet) VALUES (?, ?, ?)', [clientId, entry.sequence, encodePacket(entry.packet)]);
  }

  async outgoingUpdate(client: SessionClient, packet: StoredPacket): Promise<void> {
    const queue = this.#outgoingOf(client.id);
    for (let index = 0; index < queue.length; index++) {
      const entry = queue[index]!;
      const stored = entry.packet;
      if (stored.brokerId === packet.brokerId) {
        // Packet identifiers wrap at 65535; the broker counter tells the messages apart.
        if (stored.brokerCounter === packet.brokerCounter) {
          stored.messageId = packet.messageId;
          entry.sentTo = client;
          this.#rewrite(client, entry);
          return;
        }
      } else if (stored.messageId === packet.messageId) {
        // A PUBREL replaces its PUBLISH once the PUBREC arrived [MQTT-4.3.3-1].
        entry.packet = packet;
        this.#rewrite(client, entry);
        return;
      }
    }
    // A publish missing here was refused by a full queue (counted when it was refused);
    // it is still delivered live, just not kept for redelivery.
    if (packet.cmd === 'publish' && packet.brokerId !== undefined) return;
    throw new Error(`no queued packet with message id ${packet.messageId} for client "${client.id}"`);
  }

  #rewrite(client: SessionClient, entry: OutgoingEntry): void {
    if (client.clean === true) return;
    void this.#writes.behind('UPDATE mqtt_outgoing SET packet = ? WHERE client_id = ? AND sequence = ?', [encodePacket(entry.packet), client.id, entry.sequence]);
  }

  async outgoingClearMessageId(client: SessionClient, packet: StoredPacket | number): Promise<StoredPacket | undefined> {
    const messageId = typeof packet === 'object' && packet !== null ? packet.messageId : undefined;
    const queue = this.#outgoing.get(client.id);
    if (queue === undefined || messageId === undefined) return undefined;
    for (let index = 0; index < queue.length; index++) {
      const entry = queue[index]!;
      // On an aedes connection an acknowledgement names a packet sent on that connection:
      // an entry sent on an earlier one may still carry the same identifier, and clearing
      // it instead would lose it.
      if (client.duplicates !== undefined && entry.sentTo !== client) continue;
      if (entry.packet.messageId === messageId) {
        queue.splice(index, 1);
        if (queue.length === 0) this.#outgoing.delete(client.id);
        void this.#writes.behind('DELETE FROM mqtt_outgoing WHERE client_id = ? AND sequence = ?', [client.id, entry.sequence]);
        return entry.packet;
      }
    }
    return undefined;
  }

  /**
   * The queue for a reconnecting session, read from a snapshot (aedes clears entries while
   * it reads). A command published while the session reconnects is both queued and sent
   * live, and the two paths race; each packet must reach this connection once. So an entry
   * this connection got live already is skipped, and one read here is recorded in aedes's
   * own dedupe record, so that the live path skips it. Entries sent to an earlier
   * connection and not acknowledged are sent again, as they must be.
   */
  outgoingStream(client: SessionClient): Readable {
    const snapshot = [...(this.#outgoing.get(client.id) ?? [])];
    function* unsent(): Generator<StoredPacket> {
      for (const entry of snapshot) {
        const { brokerId, brokerCounter } = entry.packet;
        const duplicates = client.duplicates;
        // Only an aedes connection has a dedupe record; other callers get the whole queue.
        if (duplicates !== undefined && brokerId !== undefined && brokerCounter !== undefined) {
          if (entry.sentTo === client || duplicates[brokerId] === brokerCounter) continue;
          duplicates[brokerId] = Math.max(duplicates[brokerId] ?? 0, brokerCounter);
        }
        yield entry.packet;
      }
    }
    return Readable.from(unsent());
  }

  // --- QoS 2 packets received and awaiting PUBREL ---

  async incomingStorePacket(client: SessionClient, original: StoredPacket): Promise<void> {
    const packet = queuedCopy(original, undefined);
    packet.messageId = original.messageId;
    const messageId = original.messageId as number;
    this.#incomingOf(client.id).set(messageId, packet);
    if (client.clean === true) return;
    this.#incomingPersisted.add(client.id);
    await this.#writes.durable('INSERT OR REPLACE INTO mqtt_incoming (client_id, message_id, packet) VALUES (?, ?, ?)', [client.id, messageId, encodePacket(packet)]);
  }

  /** Whether a QoS 2 packet with this id from this client awaits its PUBREL. */
  hasIncoming(clientId: string, messageId: number): boolean {
    return this.#incoming.get(clientId)?.has(messageId) ?? false;
  }

  async incomingGetPacket(client: SessionClient, packet: { messageId?: number }): Promise<StoredPacket> {
    const found = packet.messageId === undefined ? undefined : this.#incoming.get(client.id)?.get(packet.messageId);
    if (found === undefined) throw new Error(`no QoS 2 packet with message id ${packet.messageId} from client "${client.id}"`);
    return found;
  }

  async incomingDelPacket(client: SessionClient, packet: { messageId?: number }): Promise<void> {
    const packets = this.#incoming.get(client.id);
    if (packets === undefined || packet.messageId === undefined || !packets.delete(packet.messageId)) {
      throw new Error(`no QoS 2 packet with message id ${packet.messageId} from client "${client.id}"`);
    }
    if (packets.size === 0) this.#incoming.delete(client.id);
    if (client.clean === true) return;
    void this.#writes.behind('DELETE FROM mqtt_incoming WHERE client_id = ? AND message_id = ?', [client.id, packet.messageId]);
  }

  async cleanIncoming(client: SessionClient): Promise<void> {
    this.#incoming.delete(client.id);
    if (!this.#incomingPersisted.delete(client.id)) return;
    await this.#writes.durable('DELETE FROM mqtt_incoming WHERE client_id = ?', [client.id]);
  }

  // --- wills ---

  async putWill(client: SessionClient, packet: StoredPacket): Promise<void> {
    packet.brokerId = this.#broker?.id;
    packet.clientId = client.id;
    this.#wills.set(client.id, packet);
    await this.#writes.durable('INSERT OR REPLACE INTO mqtt_wills (client_id, packet) VALUES (?, ?)', [client.id, encodePacket(packet)]);
  }

  async getWill(client: SessionClient): Promise<StoredPacket | undefined> {
    return this.#wills.get(client.id);
  }

  async delWill(client: SessionClient): Promise<StoredPacket | undefined> {
    const will = this.#wills.get(client.id);
    if (will === undefined) return undefined;
    this.#wills.delete(client.id);
    await this.#writes.durable('DELETE FROM mqtt_wills WHERE client_id = ?', [client.id]);
    return will;
  }

  /** Wills of clients whose broker is not among `brokers` (the live ones). */
  streamWill(brokers: Record<string, number> = {}): Readable {
    const wills = [...this.#wills.values()].filter((will) => !brokers[will.brokerId as string]);
    return Readable.from(wills);
  }

  getClientList(filter: string): Readable {
    const clients: string[] = [];
    for (const [clientId, stored] of this.#subscriptions) if (stored.has(filter)) clients.push(clientId);
    return Readable.from(clients);
  }

  /** Commits everything queued; the daemon calls it before it stops. */
  flush(): Promise<void> {
    return this.#writes.drain();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) throw new Error('the MQTT session store was destroyed twice');
    this.#destroyed = true;
    await this.#writes.close();
    if (this.#ownsDatabase) await this.#database.close();
  }

  // --- helpers ---

  #subscriptionsOf(clientId: string): Map<string, Omit<SessionSubscription, 'topic'>> {
    let stored = this.#subscriptions.get(clientId);
    if (stored === undefined) {
      stored = new Map();
      this.#subscriptions.set(clientId, stored);
    }
    return stored;
  }

  #outgoingOf(clientId: string): OutgoingEntry[] {
    let queue = this.#outgoing.get(clientId);
    if (queue === undefined) {
      queue = [];
      this.#outgoing.set(clientId, queue);
    }
    return queue;
  }

  #incomingOf(clientId: string): Map<number, StoredPacket> {
    let packets = this.#incoming.get(clientId);
    if (packets === undefined) {
      packets = new Map();
      this.#incoming.set(clientId, packets);
    }
    return packets;
  }
}

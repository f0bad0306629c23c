// Tributary's MQTT broker (3.1.1 and 5.0 on one engine): the connections, the sessions
// by client id, the subscription index, retained messages and wills, and the routing of
// each message to the sessions that subscribed to it. The packet handlers (handlers/)
// do the protocol; the publish path into the log and the access rules are plugged in by
// the front end.
import type { CertificateIdentity } from '../../auth/certificate-principal.ts';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../shared/logger.ts';
import type { MqttConfig } from '../../../shared/config/schema.ts';
import type { MqttMetrics } from '../metrics.ts';
import type { PublishIngest } from '../ingest.ts';
import type { MqttAccess } from '../access.ts';
import type { GuardLimits, Violation } from '../connection-guard.ts';
import type { CutOffReason, ListenerEvents } from '../../../shared/listeners/connection-events.ts';
import { StalledWriter } from '../../../shared/listeners/stalled-writer.ts';
import { RepeatedWarnings } from '../../../shared/log-rate-limit.ts';
import { ReasonCode, SESSION_NEVER_EXPIRES } from '../packets/constants.ts';
import type { QoS } from '../packets/inbound.ts';
import { expiryFrom, isExpired, type Message } from '../message.ts';
import type { SessionStore, StoredState } from '../store/session-store.ts';
import { Connection, type ConnectionInfo } from './connection.ts';
import { Deadlines } from './deadlines.ts';
import { Session, type SessionEnvironment } from './session.ts';
import { type SharedGroup, type Subscription, SubscriptionIndex, parseSharedFilter } from './subscription-index.ts';
import { type WillMessage, Wills } from './wills.ts';
import { Utf8Cache } from '../utf8-cache.ts';
import { publishWill } from './handlers/publish.ts';
import type { LoadShedding } from '../../daemon/memory-guard.ts';

/** How often keep alive, CONNECT deadlines, slow packets and stalled writers are checked; one timer for all connections. */
const SWEEP_INTERVAL_MS = 500;
/** A connection must send CONNECT within this time; bounds idle sockets holding a slot. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Connections beyond mqtt.limits.maxConnections that are still accepted so that they can
 * be told why (CONNACK 0x03 / 0x89); past this headroom a connection is closed on accept.
 */
export const REFUSAL_HEADROOM_CONNECTIONS = 64;
/** One line a second at most for a full session queue: it overflows on every message. */
const OVERFLOW_LOG_INTERVAL_MS = 1_000;
/** MQTT topics whose UTF-8 bytes are kept for PUBLISH packets sent; a fleet's live topics fit, past it the cache starts afresh. */
const TOPIC_BYTES_CACHE_ENTRIES_MAX = 10_000;

export interface BrokerOptions {
  config: MqttConfig;
  logger: Logger;
  metrics: MqttMetrics;
  ingest: PublishIngest;
  access: MqttAccess;
  store: SessionStore;
  state: StoredState;
  /** The events of the listener a connection came in on (its stream tells which), to count and log what is refused or cut off. */
  listenerOf: (stream: Duplex) => ListenerEvents;
  /** Refuses CONNECTs and publishes near the heap limit (edge/daemon/memory-guard.ts); none: never. */
  memoryGuard?: LoadShedding | undefined;
}

/** Events a broker emits: 'acknowledged' (clientId, message) when a client acknowledged a QoS 1/2 delivery. */
export class Broker extends EventEmitter {
  readonly config: MqttConfig;
  readonly logger: Logger;
  readonly metrics: MqttMetrics;
  readonly ingest: PublishIngest;
  readonly access: MqttAccess;
  readonly store: SessionStore;
  readonly guardLimits: GuardLimits;
  readonly memoryGuard: LoadShedding | undefined;
  readonly index = new SubscriptionIndex<Session>();
  readonly sessions = new Map<string, Session>();
  readonly retained = new Map<string, Message>();
  readonly deadlines = new Deadlines();
  readonly wills: Wills;
  readonly connections = new Set<Connection>();
  /** UTF-8 bytes of the topics of messages sent to subscribers. */
  readonly topicBytes = new Utf8Cache(TOPIC_BYTES_CACHE_ENTRIES_MAX);
  readonly sessionEnvironment: SessionEnvironment;
  readonly #listenerOf: BrokerOptions['listenerOf'];
  /** Connections with output the client has not taken; only those are here, so an idle connection costs nothing for it. */
  readonly #stalledWriters = new Map<Connection, StalledWriter>();
  #sweep: NodeJS.Timeout;
  readonly #overflowWarnings: RepeatedWarnings;
  #closing = false;

  constructor(options: BrokerOptions) {
    super();
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.ingest = options.ingest;
    this.access = options.access;
    this.store = options.store;
    this.memoryGuard = options.memoryGuard;
    this.#listenerOf = options.listenerOf;
    this.guardLimits = { maxPacketBytes: options.config.limits.maxPacketBytes, maxTopicLevels: options.config.limits.maxTopicLevels };
    this.#overflowWarnings = new RepeatedWarnings(this.logger, OVERFLOW_LOG_INTERVAL_MS);
    this.sessionEnvironment = {
      store: this.store,
      maxQueued: options.config.limits.maxQueuedPerClient,
      onQueueOverflow: (clientId, message) => {
        this.metrics.queueOverflows.inc();
        this.#overflowWarnings.warn('queue-overflow', { clientId, topic: message.topic, limit: this.config.limits.maxQueuedPerClient }, 'MQTT session queue full (mqtt.limits.maxQueuedPerClient): message not queued for this session; it stays in the log');
      },
      onDropped: (reason) => this.metrics.droppedDeliveries.labels(reason).inc(),
      onAcknowledged: (clientId, message) => {
        if (this.listenerCount('acknowledged') > 0) this.emit('acknowledged', clientId, message);
      },
    };
    this.wills = new Wills({ store: this.store, deadlines: this.deadlines, publish: (clientId, will) => publishWill(this, clientId, will) });
    this.#restore(options.state);
    this.#sweep = setInterval(() => this.#checkConnections(), SWEEP_INTERVAL_MS);
    this.#sweep.unref();
  }

  /** Sessions, subscriptions, queued messages, retained messages and wills from the store. */
  #restore(state: StoredState): void {
    const now = Date.now();
    for (const message of state.retained) this.retained.set(message.topic, message);
    const session = (clientId: string): Session => this.sessions.get(clientId) ?? this.#newSession(clientId, SESSION_NEVER_EXPIRES, true);
    for (const stored of state.sessions) {
      const restored = session(stored.clientId);
      // Sessions stored by the 3.1.1-only broker never expire, as clean session 0 did.
      restored.expirySeconds = stored.expirySeconds ?? SESSION_NEVER_EXPIRES;
    }
    for (const { clientId, filter, options } of state.subscriptions) {
      const owner = session(clientId);
      const subscription: Subscription<Session> = { session: owner, filter, qos: (options.qos & 3) as QoS, noLocal: options.nl === true, retainAsPublished: options.rap === true, retainHandling: ((options.rh ?? 0) & 3) as 0 | 1 | 2 };
      if (options.subscriptionIdentifier !== undefined) subscription.identifier = options.subscriptionIdentifier;
      owner.subscriptions.set(filter, subscription);
      this.index.add(subscription);
    }
    for (const entry of state.outgoing) session(entry.clientId).restore(entry.sequence, entry.fields);
    for (const entry of state.incoming) (session(entry.clientId).incoming ??= new Map()).set(entry.packetId, entry.undelivered ?? null);
    for (const restored of this.sessions.values()) {
      const stored = state.sessions.find((candidate) => candidate.clientId === restored.clientId);
      // A session of a client connected when the broker stopped counts from now.
      this.sessionLeft(restored, stored?.disconnectedAtMs ?? now, false);
    }
    for (const will of state.wills) this.wills.restore(will.clientId, { message: will.message, delaySeconds: will.delaySeconds, expirySeconds: will.expirySeconds });
  }

  #newSession(clientId: string, expirySeconds: number, stored: boolean): Session {
    const session = new Session(clientId, expirySeconds, this.sessionEnvironment);
    session.stored = stored;
    this.sessions.set(clientId, session);
    return session;
  }

  /** A new session for a connecting client, replacing none (the caller ended any earlier one). */
  createSession(clientId: string, expirySeconds: number): Session {
    return this.#newSession(clientId, expirySeconds, false);
  }

  get connectedCount(): number {
    let count = 0;
    for (const connection of this.connections) if (connection.connected) count++;
    return count;
  }

  /** Connected clients, for the console. */
  clients(): ConnectionInfo[] {
    const found: ConnectionInfo[] = [];
    for (const connection of this.connections) if (connection.connected) found.push(connection.info());
    return found;
  }

  stats(): { retained: number; sessions: number; queued: number; subscriptions: number } {
    let queued = 0;
    let stored = 0;
    for (const session of this.sessions.values()) {
      queued += session.heldCount;
      if (session.stored) stored++;
    }
    return { retained: this.retained.size, sessions: stored, queued, subscriptions: this.index.size };
  }

  /** Takes a new network connection (TCP, TLS or WebSocket stream). */
  /** `certificate`: the verified client certificate of a TLS connection, which then names the client's user. */
  handle(stream: Duplex, remote: string | undefined, certificate?: CertificateIdentity): void {
    const limit = this.config.limits.maxConnections;
    if (this.#closing || this.connections.size >= limit + REFUSAL_HEADROOM_CONNECTIONS) {
      this.metrics.refusedConnections.labels('max-connections').inc();
      const listener = this.#listenerOf(stream);
      listener.refused('limit', { remote, open: this.connections.size, limit }, `${listener.key}: MQTT connection closed on accept: ${this.connections.size} connections are open, ${REFUSAL_HEADROOM_CONNECTIONS} past mqtt.limits.maxConnections (${limit})`);
      stream.destroy();
      return;
    }
    this.connections.add(new Connection(this, stream, remote, this.connections.size < limit, certificate));
  }

  reportViolation(connection: Connection, found: Violation): void {
    this.metrics.protocolViolations.labels(found.kind).inc();
    this.logger.warn({ remote: connection.remote, clientId: connection.clientId || connection.guard.clientId, kind: found.kind }, `MQTT connection closed: ${found.reason}`);
  }

  /** A protocol rule broken that only the connection's state shows (topic alias, receive maximum). */
  violation(connection: Connection, kind: string, reason: string, reasonCode: number): void {
    this.reportViolation(connection, { kind, reason, reasonCode });
    connection.disconnect(reasonCode, reason);
  }

  handlerFailed(connection: Connection, error: unknown): void {
    this.logger.error({ err: error, clientId: connection.clientId }, 'MQTT connection closed: handling a packet failed');
    connection.disconnect(ReasonCode.UNSPECIFIED_ERROR);
  }

  countDelivery(message: Message): void {
    this.metrics.publishesOutCount.value++;
    this.metrics.bytesOutCount.value += message.payload.length;
  }

  /**
   * Delivers a message to every session whose subscriptions match its topic: once per
   * session at the highest QoS of its matching subscriptions, with all their
   * Subscription Identifiers [MQTT-3.3.4-3] [MQTT-3.3.4-4], and to one member of each
   * shared subscription group [MQTT-4.8.2-?]. Resolves once every stored session holds its
   * copy durably, or returns undefined when none had to write.
   */
  route(message: Message): Promise<void> | undefined {
    const match = this.index.match(message.topic);
    if (match.direct.length === 0 && match.groups.length === 0) return undefined;
    // Most messages have no expiry: the clock is read only for those that do.
    if (message.expiresAtMs !== undefined && isExpired(message, Date.now())) {
      this.metrics.droppedDeliveries.labels('expired').inc();
      return undefined;
    }
    let writes: Array<Promise<void>> | undefined;
    const add = (write: Promise<void> | undefined): void => {
      if (write !== undefined) (writes ??= []).push(write);
    };
    if (match.direct.length === 1) {
      const subscription = match.direct[0]!;
      if (!(subscription.noLocal && subscription.session.clientId === message.publisherId)) {
        add(subscription.session.deliver(message, Math.min(message.qos, subscription.qos) as QoS, subscription.retainAsPublished && message.retain, subscription.identifier === undefined ? undefined : [subscription.identifier], undefined));
      }
    } else if (match.direct.length > 1) {
      const merged = new Map<Session, { qos: QoS; retain: boolean; identifiers: number[] | undefined }>();
      for (const subscription of match.direct) {
        // [MQTT-3.8.3-3] No Local: not sent back to the client that published it.
        if (subscription.noLocal && subscription.session.clientId === message.publisherId) continue;
        const qos = Math.min(message.qos, subscription.qos) as QoS;
        const retain = subscription.retainAsPublished && message.retain;
        const existing = merged.get(subscription.session);
        if (existing === undefined) {
          merged.set(subscription.session, { qos, retain, identifiers: subscription.identifier === undefined ? undefined : [subscription.identifier] });
        } else {
          if (qos > existing.qos) existing.qos = qos;
          existing.retain ||= retain;
          if (subscription.identifier !== undefined) (existing.identifiers ??= []).push(subscription.identifier);
        }
      }
      for (const [session, delivery] of merged) add(session.deliver(message, delivery.qos, delivery.retain, delivery.identifiers, undefined));
    }
    for (const group of match.groups) add(this.deliverShared(group, message, undefined));
    if (writes === undefined) return undefined;
    return writes.length === 1 ? writes[0] : Promise.all(writes).then(() => undefined);
  }

  /**
   * Delivers to one member of a shared subscription group, round robin, preferring
   * members whose client is connected; `except` is a member that lost its connection.
   */
  deliverShared(group: SharedGroup<Session>, message: Message, except: Session | undefined): Promise<void> | undefined {
    const members = group.members;
    let chosen: Subscription<Session> | undefined;
    let fallback: Subscription<Session> | undefined;
    for (let step = 0; step < members.length; step++) {
      const candidate = members[(group.next + step) % members.length]!;
      if (candidate.session === except) continue;
      fallback ??= candidate;
      if (candidate.session.channel !== null) {
        chosen = candidate;
        group.next = (group.next + step + 1) % members.length;
        break;
      }
    }
    chosen ??= fallback;
    if (chosen === undefined) return undefined;
    if (chosen === fallback && chosen.session.channel === null) group.next = (group.next + 1) % Math.max(1, members.length);
    return chosen.session.deliver(message, Math.min(message.qos, chosen.qos) as QoS, chosen.retainAsPublished && message.retain, chosen.identifier === undefined ? undefined : [chosen.identifier], group);
  }

  /**
   * A retained publish: stored as its topic's retained message, or the retained message
   * removed by an empty payload [MQTT-3.3.1-10]. Resolves once committed.
   */
  storeRetained(message: Message): Promise<void> {
    if (message.payload.length === 0) {
      this.retained.delete(message.topic);
      return this.store.retained.delete(message.topic);
    }
    const kept: Message = { topic: message.topic, payload: message.payload, qos: message.qos, retain: true };
    if (message.properties !== undefined) kept.properties = message.properties;
    if (message.expiresAtMs !== undefined) kept.expiresAtMs = message.expiresAtMs;
    this.retained.delete(message.topic);
    this.retained.set(message.topic, kept);
    return this.store.retained.put(kept);
  }

  /** A message read from the log by a reverse route, delivered to subscribers. */
  publishFromLog(message: Message): Promise<void> {
    return this.route(message) ?? Promise.resolve();
  }

  /** A will, published as its client would have. */
  willMessage(clientId: string, will: WillMessage): Message {
    const message: Message = { ...will.message, publisherId: clientId };
    const expiresAtMs = expiryFrom(will.expirySeconds, Date.now());
    if (expiresAtMs !== undefined) message.expiresAtMs = expiresAtMs;
    return message;
  }

  /** The client left its session: it ends now (expiry 0) or at its expiry. */
  sessionLeft(session: Session, atMs: number, record: boolean): void {
    session.disconnectedAtMs = atMs;
    if (session.expiry !== undefined) session.expiry.cancelled = true;
    session.expiry = undefined;
    if (session.expirySeconds === 0) {
      this.endSession(session);
      return;
    }
    if (record && session.stored) this.store.sessions.left(session.clientId, session.expirySeconds, atMs);
    if (session.expirySeconds !== SESSION_NEVER_EXPIRES) {
      session.expiry = this.deadlines.at(atMs + session.expirySeconds * 1000, () => {
        if (session.channel === null) this.endSession(session);
      });
    }
  }

  /** Ends a session: its subscriptions, held messages and stored rows go; a waiting will is published. */
  endSession(session: Session): Promise<void> {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    if (session.expiry !== undefined) session.expiry.cancelled = true;
    for (const filter of session.subscriptions.keys()) this.index.remove(filter, session.clientId);
    // Messages of shared subscriptions go to another member rather than with the session.
    for (const entry of session.takeShared()) if (entry.group !== undefined) void this.deliverShared(entry.group, entry.message, session);
    session.subscriptions.clear();
    this.wills.sessionEnded(session.clientId);
    const wasStored = session.stored;
    session.stored = false;
    session.forgetStoredRows();
    return wasStored ? this.store.deleteSession(session.clientId) : Promise.resolve();
  }

  connectionClosed(connection: Connection): void {
    this.connections.delete(connection);
    this.#stalledWriters.delete(connection);
    connection.slotWaiter?.();
    const session = connection.session;
    if (session === null || session.channel !== connection) return;
    session.channel = null;
    connection.session = null;
    // A shared subscription's messages not yet received go to another member now.
    for (const entry of session.takeShared()) {
      if (entry.group === undefined) continue;
      this.metrics.sharedRedeliveries.inc();
      void this.deliverShared(entry.group, entry.message, session);
    }
    if (connection.will !== undefined && !this.#closing) this.wills.lost(connection.clientId, connection.will, session.expirySeconds);
    if (!this.#closing) this.sessionLeft(session, Date.now(), true);
  }

  #checkConnections(): void {
    const now = Date.now();
    const slowClientTimeoutMs = this.config.limits.slowClientTimeoutMs;
    for (const connection of this.connections) {
      if (connection.closed) continue;
      if (!connection.connected) {
        if (now - connection.acceptedAtMs > CONNECT_TIMEOUT_MS && !connection.stream.isPaused()) {
          this.cutOff(connection, 'connect-timeout', `connection closed: no CONNECT within ${CONNECT_TIMEOUT_MS} ms of connecting`);
        }
        continue;
      }
      // A packet begun and not finished in time (slow-loris). Time the broker spent not reading does not count.
      if (connection.guard.holdsPartialPacket && !connection.stream.isPaused() && now - connection.lastPacketAtMs > slowClientTimeoutMs) {
        this.cutOff(connection, 'slow-request', `client disconnected: a packet begun ${now - connection.lastPacketAtMs} ms ago has not arrived whole (mqtt.limits.slowClientTimeoutMs ${slowClientTimeoutMs})`);
        continue;
      }
      // [MQTT-3.1.2-24] Nothing received for one and a half times the keep alive.
      if (connection.keepAliveMs > 0 && now - connection.lastPacketAtMs > connection.keepAliveMs * 1.5) {
        this.logger.info({ clientId: connection.clientId, keepAliveSeconds: connection.keepAliveMs / 1000 }, 'MQTT client silent past its keep alive; disconnected');
        this.#listenerOf(connection.stream).cutOff('keep-alive');
        connection.disconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
        continue;
      }
      this.#checkWriter(connection, now, slowClientTimeoutMs);
    }
  }

  /** Cuts a connection off for being slow or stuck: counted and logged under its listener, closed without a DISCONNECT. */
  cutOff(connection: Connection, reason: CutOffReason, message: string, details: Record<string, unknown> = {}): void {
    const listener = this.#listenerOf(connection.stream);
    listener.cutOff(reason, { clientId: connection.clientId || connection.guard.clientId, remote: connection.remote, ...details }, `${listener.key}: MQTT ${message}`);
    connection.destroy();
  }

  /**
   * Ends a connection whose user a reload revoked (edge/mqtt/live-users.ts): counted and
   * logged under its listener; an MQTT 5 client is told why by DISCONNECT 0x87 (Not authorized).
   */
  revoke(connection: Connection, message: string): void {
    const listener = this.#listenerOf(connection.stream);
    listener.cutOff('credentials-revoked', { clientId: connection.clientId, user: connection.username, remote: connection.remote }, `${listener.key}: MQTT client disconnected: ${message}`);
    connection.disconnect(ReasonCode.NOT_AUTHORIZED, message);
  }

  /** A client that has taken none of what waits for it for the slow-client timeout does not read: it is cut off. */
  #checkWriter(connection: Connection, now: number, slowClientTimeoutMs: number): void {
    const waitingBytes = connection.stream.writableLength;
    let writer = this.#stalledWriters.get(connection);
    if (writer === undefined) {
      if (waitingBytes === 0) return;
      this.#stalledWriters.set(connection, writer = new StalledWriter());
    }
    const stalledMs = writer.stalledMs(now, connection.sentBytes, waitingBytes);
    if (waitingBytes === 0) this.#stalledWriters.delete(connection);
    if (stalledMs <= slowClientTimeoutMs) return;
    this.cutOff(connection, 'not-reading', `client disconnected: it has read none of the ${waitingBytes} bytes waiting for it for ${stalledMs} ms (mqtt.limits.slowClientTimeoutMs ${slowClientTimeoutMs})`, { waitingBytes });
  }

  /** Removes one subscription of a session, from the index and the store too; false when it had none on `filter`. */
  removeSubscription(session: Session, filter: string): boolean {
    if (!session.subscriptions.delete(filter)) return false;
    this.index.remove(filter, session.clientId);
    if (session.stored) this.store.subscriptions.delete(session.clientId, filter);
    return true;
  }

  /** Subscription filters of a session, for tests and the admin view. */
  subscriptionsOf(clientId: string): string[] {
    return [...(this.sessions.get(clientId)?.subscriptions.keys() ?? [])];
  }

  /** Messages held for a session (queued or in flight). */
  heldCount(clientId: string): number {
    return this.sessions.get(clientId)?.heldCount ?? 0;
  }

  /** Stops: MQTT 5 clients are told the server is shutting down (0x8B); sessions and wills stay stored. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweep);
    for (const connection of [...this.connections]) connection.disconnect(ReasonCode.SERVER_SHUTTING_DOWN);
    await new Promise((resolve) => setImmediate(resolve));
    for (const connection of [...this.connections]) connection.destroy();
    this.deadlines.close();
  }
}

export { parseSharedFilter };

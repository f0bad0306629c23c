// The plug points Tributary fills in aedes: who may connect, where a publish goes and
// when it is acknowledged, which subscriptions are refused, and counting deliveries.
//
// The acknowledgement: aedes runs authorizePublish before it writes a QoS 1 PUBACK
// (lib/handlers/publish.js writes the PUBACK in the callback chain right after it) and
// before it stores a QoS 2 packet and sends PUBREC. authorizePublish here appends the
// record and calls back only once the append is durable, so neither acknowledgement can
// precede durability. When the append fails it calls back with the error: aedes then
// closes the connection without acknowledging, and the client sends the publish again.
import type { AedesOptions, Client, PublishPacket, Subscription, AuthenticateError } from 'aedes';
import type { Logger } from '../../shared/logger.ts';
import type { MqttConfig } from '../../shared/config/schema.ts';
import { PublishIngest, RefusedPublishError } from './ingest.ts';
import type { TopicPermissions } from './permissions.ts';
import type { MqttUsers } from './users.ts';
import type { MqttMetrics } from './metrics.ts';
import type { SqliteSessionStore } from './session-store.ts';
import type { RouteTarget } from './routes.ts';
import { TopicFilter } from './topic-filter.ts';

/**
 * Publishes of one client waiting for a free in-flight slot. aedes stops reading a
 * client's socket until every packet of the current read is handled, so this holds at
 * most one read's worth; the bound catches a broken assumption rather than load.
 */
const WAITING_PUBLISHES_PER_CLIENT_MAX = 10_000;

/** aedes's CONNACK return codes used here (MQTT 3.1.1 table 3.1). */
const CONNACK_IDENTIFIER_REJECTED = 2;
const CONNACK_SERVER_UNAVAILABLE = 3;
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4;
const CONNACK_NOT_AUTHORIZED = 5;

interface ConnectInfo {
  /** As sent: aedes replaces an empty one with a made-up id before authenticate runs. */
  clientId: string;
  clientIdBytes: number;
  clean: boolean;
  protocolVersion: number;
  /** Its will's topic, checked against the user's publish permissions at CONNECT. */
  willTopic: string | undefined;
}

interface PublishSlots {
  inflight: number;
  waiting: Array<() => void>;
}

export interface BrokerHookOptions {
  config: MqttConfig;
  ingest: PublishIngest;
  sessions: SqliteSessionStore;
  metrics: MqttMetrics;
  logger: Logger;
  /** Whether a new connection is over mqtt.limits.maxConnections (asked at CONNECT). */
  overConnectionLimit: (client: Client) => boolean;
  /** The users of mqtt.authentication. */
  users: MqttUsers;
}

export type BrokerHooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export function createBrokerHooks(options: BrokerHookOptions): BrokerHooks {
  const { config, ingest, sessions, metrics, logger } = options;
  const limits = config.limits;
  const deniedFilters = config.denySubscribe.map((filter) => new TopicFilter(filter));
  const connectInfo = new WeakMap<Client, ConnectInfo>();
  /** Connections of users with topic permissions; others are not restricted. */
  const permissions = new WeakMap<Client, TopicPermissions>();
  const slots = new WeakMap<Client, PublishSlots>();

  function refuseConnect(client: Client, returnCode: number, reason: 'max-connections' | 'client-id' | 'bad-credentials' | 'anonymous' | 'not-authorized', message: string, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    metrics.refusedConnections.labels(reason).inc();
    logger.warn({ clientId: connectInfo.get(client)?.clientId ?? client.id, returnCode, remote: remoteAddress(client) }, `MQTT connection refused: ${message}`);
    const error = new Error(message) as AuthenticateError;
    error.returnCode = returnCode;
    done(error, false);
  }

  function slotsOf(client: Client): PublishSlots {
    let state = slots.get(client);
    if (state === undefined) {
      state = { inflight: 0, waiting: [] };
      slots.set(client, state);
    }
    return state;
  }

  function release(state: PublishSlots): void {
    state.inflight--;
    const next = state.waiting.shift();
    if (next !== undefined) next();
  }

  /** The record, and for a retained publish the retained message, both durable. */
  function persist(target: RouteTarget, packet: PublishPacket, clientId: string): Promise<void> {
    const appended = ingest.append(target, packet, clientId);
    return packet.retain ? appended.then(() => sessions.storeRetainedAhead({ ...packet })) : appended;
  }

  function start(state: PublishSlots | undefined, target: RouteTarget, packet: PublishPacket, clientId: string, callback: (error?: Error | null) => void): void {
    persist(target, packet, clientId).then(
      () => {
        if (state !== undefined) release(state);
        callback(null);
      },
      (error: Error) => {
        if (state !== undefined) release(state);
        refused(packet, clientId, error);
        callback(error);
      },
    );
  }

  function appendDurably(client: Client | null, target: RouteTarget, packet: PublishPacket, clientId: string, callback: (error?: Error | null) => void): void {
    // Wills (client closing or gone) are not counted against a client's window.
    const state = client !== null && !client.closed ? slotsOf(client) : undefined;
    if (state === undefined) return start(undefined, target, packet, clientId, callback);
    if (state.inflight < limits.maxInflightPerClient) {
      state.inflight++;
      return start(state, target, packet, clientId, callback);
    }
    if (state.waiting.length >= WAITING_PUBLISHES_PER_CLIENT_MAX) {
      metrics.refusedPublishes.labels('inflight-overflow').inc();
      return callback(new Error(`client "${clientId}" has ${state.waiting.length} publishes waiting for the log`));
    }
    state.waiting.push(() => {
      state.inflight++;
      start(state, target, packet, clientId, callback);
    });
  }

  function refused(packet: PublishPacket, clientId: string, error: Error): void {
    if (error instanceof RefusedPublishError) {
      metrics.refusedPublishes.labels(error.reason).inc();
      logger.warn({ clientId, topic: packet.topic, qos: packet.qos }, `MQTT publish refused: ${error.message}`);
    } else {
      metrics.refusedPublishes.labels('append-failed').inc();
    }
  }

  return {
    preConnect(client, packet, callback) {
      connectInfo.set(client, {
        clientId: packet.clientId ?? '',
        clientIdBytes: Buffer.byteLength(packet.clientId ?? '', 'utf8'),
        clean: packet.clean !== false,
        protocolVersion: packet.protocolVersion ?? 4,
        willTopic: packet.will?.topic,
      });
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const info = connectInfo.get(client);
      if (options.overConnectionLimit(client)) {
        return refuseConnect(client, CONNACK_SERVER_UNAVAILABLE, 'max-connections', `${limits.maxConnections} connections are open (mqtt.limits.maxConnections)`, done);
      }
      if (info !== undefined) {
        // [MQTT-3.1.3-8] A zero-byte client id needs clean session 1; aedes would make one up.
        if (info.clientIdBytes === 0 && !info.clean) {
          return refuseConnect(client, CONNACK_IDENTIFIER_REJECTED, 'client-id', 'an empty client identifier requires clean session', done);
        }
        // [MQTT-3.1.3-5] allows refusing identifiers longer than 23 bytes; this is the bound.
        if (info.clientIdBytes > limits.maxClientIdBytes) {
          return refuseConnect(client, CONNACK_IDENTIFIER_REJECTED, 'client-id', `client identifier of ${info.clientIdBytes} bytes exceeds ${limits.maxClientIdBytes} (mqtt.limits.maxClientIdBytes)`, done);
        }
      }
      if (username === undefined || username === null) {
        if (config.authentication.allowAnonymous) return done(null, true);
        return refuseConnect(client, CONNACK_NOT_AUTHORIZED, 'anonymous', 'no user name, and mqtt.authentication.allowAnonymous is false', done);
      }
      options.users.check(username, password ?? Buffer.alloc(0)).then(
        (valid) => {
          // The log names the user but never the password.
          if (!valid) return refuseConnect(client, CONNACK_BAD_USERNAME_OR_PASSWORD, 'bad-credentials', `unknown user "${username}" or wrong password`, done);
          const allowed = options.users.permissionsFor(username, client.id);
          if (allowed !== undefined) {
            const willTopic = info?.willTopic;
            if (willTopic !== undefined && !allowed.mayPublish(willTopic)) {
              return refuseConnect(client, CONNACK_NOT_AUTHORIZED, 'not-authorized', `user "${username}" may not publish its will to ${willTopic}`, done);
            }
            permissions.set(client, allowed);
          }
          done(null, true);
        },
        (error: Error) => refuseConnect(client, CONNACK_SERVER_UNAVAILABLE, 'bad-credentials', `password check failed: ${error.message}`, done),
      );
    },

    authorizePublish(client, packet, callback) {
      const clientId = client?.id ?? (packet as PublishPacket & { clientId?: string }).clientId ?? '';
      // $SYS is the broker's own namespace, as in aedes's default.
      if (packet.topic.startsWith('$SYS/')) {
        metrics.refusedPublishes.labels('reserved-topic').inc();
        return callback(new Error(`client "${clientId}" may not publish to ${packet.topic}: $SYS/ is reserved`));
      }
      if (client !== null && permissions.get(client)?.mayPublish(packet.topic) === false) {
        metrics.refusedPublishes.labels('not-authorized').inc();
        logger.warn({ clientId, topic: packet.topic }, 'MQTT publish refused: outside the user\'s publish permissions; closing the connection');
        return callback(new Error(`client "${clientId}" may not publish to ${packet.topic}`));
      }
      // The topic was checked on the wire by the connection guard (also a will's, in
      // CONNECT); publishes made in-process do not come here.
      const target = ingest.route(packet.topic, clientId);
      // [MQTT-3.3.5-2] A refused publish is not acknowledged: the connection is closed.
      if (target === null) {
        metrics.refusedPublishes.labels('route-reject').inc();
        logger.warn({ clientId, topic: packet.topic }, 'MQTT publish refused: no route matches and mqtt.defaultRoute is "reject"; closing the connection');
        return callback(new Error(`no route for MQTT topic "${packet.topic}"`));
      }
      const qos = packet.qos ?? 0;
      if (client !== null && qos > 0) {
        metrics.publishesInByQos[qos]!.value++;
        metrics.bytesInCount.value += packet.payload?.length ?? 0;
        // [MQTT-4.3.3-2] A QoS 2 retransmission of a packet already stored is not
        // appended again; aedes answers it with PUBREC without publishing.
        if (qos === 2 && packet.messageId !== undefined && sessions.hasIncoming(client.id, packet.messageId)) return callback(null);
        return appendDurably(client, target, packet, clientId, callback);
      }
      if (qos > 0) return appendDurably(null, target, packet, clientId, callback);
      if (client !== null) {
        metrics.publishesInByQos[0].value++;
        metrics.bytesInCount.value += packet.payload?.length ?? 0;
      }
      // QoS 0: appended without waiting; delivered to subscribers at once.
      ingest.append(target, packet, clientId).then(undefined, (error: Error) => refused(packet, clientId, error));
      callback(null);
    },

    authorizeSubscribe(client, subscription: Subscription, callback) {
      // A filter that, read as a topic, falls under a denied filter is refused with 0x80.
      if (deniedFilters.some((denied) => denied.matches(subscription.topic))) {
        metrics.refusedSubscriptions.inc();
        logger.info({ clientId: client.id, filter: subscription.topic }, 'MQTT subscription refused (mqtt.denySubscribe)');
        return callback(null, null);
      }
      if (permissions.get(client)?.maySubscribe(subscription.topic) === false) {
        metrics.refusedSubscriptions.inc();
        logger.info({ clientId: client.id, filter: subscription.topic }, 'MQTT subscription refused: outside the user\'s subscribe permissions');
        return callback(null, null);
      }
      callback(null, subscription);
    },

    authorizeForward(_client, packet) {
      metrics.publishesOutCount.value++;
      metrics.bytesOutCount.value += packet.payload?.length ?? 0;
      return packet;
    },
  };
}

export function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as unknown as { remoteAddress?: string; socket?: { remoteAddress?: string } };
  return conn.remoteAddress ?? conn.socket?.remoteAddress;
}


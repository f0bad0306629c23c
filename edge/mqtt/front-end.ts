// The MQTT front end: Tributary's MQTT broker (3.1.1 and 5.0) on a TCP listener, a TLS
// listener and a WebSocket listener, with the durable publish path into the log, the
// session store, the limits and reverse routes. startMqttFrontEnd is the one entry point
// the daemon calls.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTcpServer, Socket, type Server as TcpServer } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer, TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Registry } from 'prom-client';
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { Database } from '../../shared/sqlite.ts';
import { MqttUsers } from './users.ts';
import { replaceCertificates, type TlsListen } from '../listeners/tls-listen.ts';
import { revokedUsers } from '../auth/revoked-users.ts';
import { CertificatePrincipalMapper, certificateIdentityOf } from '../auth/certificate-principal.ts';
import type { Authorizer } from '../auth/acls/authorizer.ts';
import { applyUsers, type UsersApplied } from './live-users.ts';
import { listenOn } from '../../shared/listeners/listen.ts';
import { ListenerEvents } from '../../shared/listeners/connection-events.ts';
import { guardHttpServer, guardedHttpServerOptions } from '../../shared/listeners/http-guard.ts';
import { PublishIngest } from './ingest.ts';
import { logStoreAdapter, type MqttLogStore } from './log-adapter.ts';
import { MqttMetrics } from './metrics.ts';
import { ReverseRouter } from './reverse-router.ts';
import { RouteTable, compileReverseRoutes } from './routes.ts';
import { SessionStore } from './store/session-store.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { MqttAccess } from './access.ts';
import { Broker, REFUSAL_HEADROOM_CONNECTIONS } from './broker/broker.ts';
import { clientDetail, connectedClients, offlineSessions, type MqttClientDetail, type MqttClientSummary } from './client-view.ts';
import type { LoadShedding } from '../daemon/memory-guard.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface MqttFrontEndOptions {
  config: MqttConfig;
  listeners: { mqtt: ListenAddress; mqttWs?: ListenAddress | null; mqtts?: TlsListen | null };
  store: MqttLogStore;
  /**
   * How a client certificate on listeners.mqtts names its user: the Kafka server's mapper
   * (kafka.authorization.principalMappingRules), so one certificate is one principal on both
   * protocols. Without it, the whole subject (DEFAULT).
   */
  certificatePrincipals?: CertificatePrincipalMapper;
  /** The Kafka listeners' authorizer, asked for every publish and subscription with mqtt.permissions: acls. */
  authorizer?: Authorizer;
  dataDir: string;
  logger: Logger;
  registry?: Registry;
  /** Refuses CONNECTs and publishes near the heap limit (edge/daemon/memory-guard.ts); none: never. */
  memoryGuard?: LoadShedding;
}

export interface MqttFrontEnd {
  ports: { mqtt: number; mqttWs?: number; mqtts?: number };
  /** The broker, for in-process inspection. */
  broker: Broker;
  /** Connected clients, for the console. */
  clients(): MqttClientSummary[];
  /** Sessions kept for clients that left (how many, and the first `max` found), for the console. */
  offlineSessions(max: number): { total: number; sessions: MqttClientSummary[] };
  /** One client's session, connected or kept offline, for the console. */
  client(clientId: string): Promise<MqttClientDetail | undefined>;
  /**
   * Checks a reloaded mqtt.authentication and TLS listener (throwing names the key) and
   * returns what swaps them in (see live-users.ts); whether the TLS listener runs stays as
   * started.
   */
  prepareReload(next: { authentication: MqttConfig['authentication']; mqtts: TlsListen | null }): () => UsersApplied;
  close(): Promise<void>;
}

export async function startMqttFrontEnd(options: MqttFrontEndOptions): Promise<MqttFrontEnd> {
  const { config, logger } = options;
  const limits = config.limits;
  const routes = new RouteTable(config, limits.maxTopicLevels);
  const reverseRoutes = compileReverseRoutes(config, limits.maxTopicLevels);
  // With client certificates asked for, a user may be listed for its permissions alone: its certificate signs it in.
  const certificatesAsked = options.listeners.mqtts?.tls.requestCert === true;
  const users = MqttUsers.fromConfig(config.authentication, limits.maxTopicLevels, { certificatesAsked, permissions: config.permissions });
  const certificatePrincipals = options.certificatePrincipals ?? new CertificatePrincipalMapper(['DEFAULT'], 'kafka.authorization.principalMappingRules');
  let runningUsers = config.authentication.users;

  const closers: Array<() => Promise<void> | void> = [];
  async function closeAll(): Promise<void> {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping the MQTT front end');
      }
    }
  }

  try {
    const metaDir = join(options.dataDir, 'meta');
    mkdirSync(metaDir, { recursive: true });
    const database = await Database.open(join(metaDir, 'mqtt.sqlite'));
    closers.push(() => database.close());
    // Session changes and reverse-route positions share the database, so one queue
    // commits both: a connection runs one transaction at a time.
    const writes = new SqliteWriteQueue(database, logger);
    const { store: sessions, state } = await SessionStore.open(database, { logger, writes });
    closers.push(() => sessions.close());

    let broker: Broker | undefined;
    const metrics = new MqttMetrics(options.registry, {
      connectedClients: () => broker?.connectedCount ?? 0,
      queuedMessages: () => broker?.stats().queued ?? 0,
      retainedMessages: () => broker?.stats().retained ?? 0,
      persistentSessions: () => broker?.stats().sessions ?? 0,
    });

    // Sparkplug B decoding (and protobufjs) is loaded only when a route asks for it.
    const sparkplug = routes.decodesSparkplug ? new (await import('../connectors/sparkplug/index.ts')).SparkplugIngest(options.registry, logger.child({ part: 'sparkplug' })) : undefined;
    const ingest = new PublishIngest(logStoreAdapter(options.store), routes, metrics, logger, sparkplug);
    closers.push(() => ingest.drain());
    if (config.permissions === 'acls' && options.authorizer === undefined) throw new TributaryError('CONFIG_INVALID', 'mqtt.permissions: acls needs the Kafka authorizer, and none was given', { key: 'mqtt.permissions' });
    const access = new MqttAccess(config, users, metrics, logger, config.permissions === 'acls' ? options.authorizer : undefined);
    const events = {
      mqtt: new ListenerEvents({ key: 'listeners.mqtt', registry: options.registry, logger }),
      mqtts: new ListenerEvents({ key: 'listeners.mqtts', registry: options.registry, logger }),
      mqttWs: new ListenerEvents({ key: 'listeners.mqttWs', registry: options.registry, logger }),
    };
    // A connection's stream says which listener it came in on, so no connection has to carry it.
    const listenerOf = (stream: Duplex): ListenerEvents => (stream instanceof TLSSocket ? events.mqtts : stream instanceof Socket ? events.mqtt : events.mqttWs);
    const engine = new Broker({ config, logger, metrics, ingest, access, store: sessions, state, listenerOf, memoryGuard: options.memoryGuard });
    broker = engine;
    closers.push(() => engine.close());
    // Each listener accepts up to the limit and the headroom in which refusals are answered
    // with a CONNACK; the broker holds all of them together to the same bound.
    const acceptLimit = limits.maxConnections + REFUSAL_HEADROOM_CONNECTIONS;
    const acceptLimitSetting = `mqtt.limits.maxConnections and ${REFUSAL_HEADROOM_CONNECTIONS} to answer refusals in`;

    const tcpServer = createTcpServer({ noDelay: true }, (socket: Socket) => {
      // Small acknowledgements must not wait for Nagle's algorithm.
      socket.setNoDelay(true);
      engine.handle(socket, socket.remoteAddress);
    });
    events.mqtt.limit(tcpServer, acceptLimit, acceptLimitSetting);
    events.mqtt.countOpen(tcpServer);
    closers.push(() => closeServer(tcpServer));
    const ports: MqttFrontEnd['ports'] = { mqtt: await listen(tcpServer, 'listeners.mqtt', options.listeners.mqtt, logger) };

    const tlsListen = options.listeners.mqtts;
    let tlsServer: TlsServer | undefined;
    if (tlsListen !== null && tlsListen !== undefined) {
      tlsServer = createTlsServer({ ...tlsListen.tls, noDelay: true }, (socket: TLSSocket) => {
        socket.setNoDelay(true);
        engine.handle(socket, socket.remoteAddress, certificateIdentityOf(socket, certificatePrincipals));
      });
      // A failed handshake (plain MQTT on this port, an untrusted device certificate, one too slow) ends only that connection.
      tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        metrics.refusedConnections.labels('tls-handshake').inc();
        events.mqtts.refused('handshake', { remote: socket.remoteAddress, err: error.message }, 'listeners.mqtts: MQTT over TLS: handshake failed; connection closed');
        // Node reports a handshake timeout without closing the socket: the slot would stay taken.
        socket.destroy();
      });
      events.mqtts.limit(tlsServer, acceptLimit, acceptLimitSetting);
      events.mqtts.countOpen(tlsServer);
      const server = tlsServer;
      closers.push(() => closeServer(server));
      ports.mqtts = await listen(tlsServer, 'listeners.mqtts', tlsListen, logger);
    }

    const wsAddress = options.listeners.mqttWs;
    if (wsAddress !== null && wsAddress !== undefined) {
      const httpServer = createHttpServer(guardedHttpServerOptions(), (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect with a WebSocket client (subprotocol "mqtt").\n');
      });
      // An upgrade whose headers trickle in is cut off like any slow HTTP request.
      guardHttpServer(httpServer, events.mqttWs, acceptLimit, acceptLimitSetting, true);
      closers.push(() => closeServer(httpServer));
      // Bound before the WebSocket server is attached: ws re-emits the HTTP server's
      // 'error' events on itself, so a failed bind would otherwise be an unhandled event.
      ports.mqttWs = await listen(httpServer, 'listeners.mqttWs', wsAddress, logger);
      // maxPayload bounds one WebSocket message; MQTT packets inside are checked by the guard.
      const wsServer = new WebSocketServer({ server: httpServer, maxPayload: limits.maxPacketBytes + 8 });
      wsServer.on('connection', (ws, request) => {
        request.socket.setNoDelay(true);
        const stream = createWebSocketStream(ws);
        stream.on('error', () => {});
        engine.handle(stream, request.socket.remoteAddress);
      });
      closers.push(async () => {
        for (const client of wsServer.clients) client.terminate();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      });
    }

    const reverse = new ReverseRouter({ routes: reverseRoutes, store: options.store, broker: engine, database, writes, metrics, logger, maxTopicLevels: limits.maxTopicLevels });
    await reverse.start();
    closers.push(() => reverse.close());

    // Closing runs the above in reverse: tailers, listeners, the broker (and its
    // connections), pending appends, the session store, the database.
    logger.info({ ports, routes: config.routes.length, reverseRoutes: reverseRoutes.length }, 'MQTT front end listening');
    return {
      ports,
      broker: engine,
      clients() {
        return connectedClients(engine);
      },
      offlineSessions(max) {
        return offlineSessions(engine, max);
      },
      async client(clientId) {
        return clientDetail(engine, clientId);
      },
      prepareReload(next) {
        const nextUsers = MqttUsers.fromConfig(next.authentication, limits.maxTopicLevels, { certificatesAsked, permissions: config.permissions });
        const revoked = revokedUsers(runningUsers, next.authentication.users);
        return () => {
          if (tlsServer !== undefined && next.mqtts !== null) replaceCertificates(tlsServer, next.mqtts);
          runningUsers = next.authentication.users;
          return applyUsers(engine, nextUsers, revoked);
        };
      },
      async close() {
        // Connections first: a listener's close waits for its connections to end.
        await engine.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function listen(server: TcpServer | HttpServer, key: string, address: ListenAddress, logger: Logger): Promise<number> {
  const port = await listenOn(server, { key, host: address.host, port: address.port });
  logger.debug({ key, host: address.host, port }, 'MQTT listener bound');
  return port;
}

function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

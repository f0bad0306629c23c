// The MQTT front end: aedes on a TCP listener and a WebSocket listener, with Tributary's
// session store, publish path, limits and reverse routes. startMqttFrontEnd is the one
// entry point the daemon calls.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Registry } from 'prom-client';
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { Database } from '../../shared/sqlite.ts';
import { createBrokerHooks, remoteAddress } from './broker-hooks.ts';
import { MqttUsers } from './users.ts';
import type { TlsListen } from '../listeners/tls-listen.ts';
import { listenOn } from '../listeners/listen.ts';
import { guardConnection, type Violation } from './connection-guard.ts';
import { coalesceWrites } from './write-coalescing.ts';
import { PublishIngest } from './ingest.ts';
import { logStoreAdapter, type MqttLogStore } from './log-adapter.ts';
import { MqttMetrics } from './metrics.ts';
import { ReverseRouter } from './reverse-router.ts';
import { RouteTable, compileReverseRoutes } from './routes.ts';
import { SqliteSessionStore } from './session-store.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';

/**
 * Connections beyond mqtt.limits.maxConnections that are still accepted so that they can
 * be told why (CONNACK 0x03); past this headroom a connection is closed on accept.
 */
const REFUSAL_HEADROOM_CONNECTIONS = 64;
/** A connection must send CONNECT within this time; bounds idle sockets holding a slot. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A subscriber whose socket does not drain within this time is disconnected, so that one
 * stalled client cannot hold up delivery to the others (aedes's drainTimeout).
 */
const DRAIN_TIMEOUT_MS = 30_000;
/**
 * Messages aedes routes to subscribers at once (its mqemitter concurrency). Above the
 * default 100 so bursts fan out without waiting; each holds one packet in memory.
 */
const DELIVERY_CONCURRENCY = 1_000;
/** How often the broker announces itself; wills of a dead broker wait four of these. */
const HEARTBEAT_INTERVAL_MS = 15_000;
/** MQTT 3.1 (protocol level 3) caps client identifiers at 23 bytes; aedes enforces it. */
const MQTT31_CLIENT_ID_BYTES_MAX = 23;
/** Packets aedes queues from a client before its CONNECT is processed. */
const PACKETS_BEFORE_CONNACK_MAX = 42;
/** aedes's (and qlobber's) own ceiling for topic levels. */
const AEDES_TOPIC_LEVELS_MAX = 100;

export interface ListenAddress {
  host: string;
  port: number;
}

export interface MqttFrontEndOptions {
  config: MqttConfig;
  listeners: { mqtt: ListenAddress; mqttWs?: ListenAddress | null; mqtts?: TlsListen | null };
  store: MqttLogStore;
  dataDir: string;
  logger: Logger;
  registry?: Registry;
}

export interface MqttFrontEnd {
  ports: { mqtt: number; mqttWs?: number; mqtts?: number };
  /** The aedes broker, for in-process publishing and inspection. */
  broker: Aedes;
  close(): Promise<void>;
}

export async function startMqttFrontEnd(options: MqttFrontEndOptions): Promise<MqttFrontEnd> {
  const { config, logger } = options;
  const limits = config.limits;
  if (limits.maxTopicLevels > AEDES_TOPIC_LEVELS_MAX) {
    throw new TributaryError('CONFIG_INVALID', `mqtt.limits.maxTopicLevels: ${limits.maxTopicLevels} is above ${AEDES_TOPIC_LEVELS_MAX}, the most aedes can match`, { key: 'mqtt.limits.maxTopicLevels' });
  }
  const routes = new RouteTable(config, limits.maxTopicLevels);
  const reverseRoutes = compileReverseRoutes(config, limits.maxTopicLevels);
  const users = MqttUsers.fromConfig(config.authentication, limits.maxTopicLevels);

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

    let metrics: MqttMetrics | undefined;
    let lastOverflowLog = 0;
    const sessions = await SqliteSessionStore.open(database, {
      logger,
      writes,
      maxQueuedPerClient: limits.maxQueuedPerClient,
      onQueueOverflow(clientId, packet) {
        metrics?.queueOverflows.inc();
        // One line a second at most: a full queue overflows on every message.
        const now = Date.now();
        if (now - lastOverflowLog >= 1000) {
          lastOverflowLog = now;
          logger.warn({ clientId, topic: packet.topic, limit: limits.maxQueuedPerClient }, 'MQTT session queue full (mqtt.limits.maxQueuedPerClient): message not queued for this session; it stays in the log');
        }
      },
    });
    closers.push(() => sessions.destroy());

    const connections = new Set<Duplex>();
    let broker: Aedes | undefined;
    metrics = new MqttMetrics(options.registry, {
      connectedClients: () => broker?.connectedClients ?? 0,
      queuedMessages: () => sessions.stats().queued,
      retainedMessages: () => sessions.stats().retained,
      persistentSessions: () => sessions.stats().sessions,
    });
    const metricsNow = metrics;

    const target = logStoreAdapter(options.store);
    const ingest = new PublishIngest(target, routes, metricsNow, logger);
    closers.push(() => ingest.drain());

    /** Connections in accept order, so the ones past the limit are the newest. */
    const admitted = new WeakMap<object, boolean>();
    const hooks = createBrokerHooks({
      config,
      ingest,
      sessions,
      metrics: metricsNow,
      logger,
      overConnectionLimit: (client: Client) => admitted.get(client.conn) === false,
      users,
    });

    broker = new Aedes({
      persistence: sessions,
      ...hooks,
      concurrency: DELIVERY_CONCURRENCY,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      drainTimeout: DRAIN_TIMEOUT_MS,
      queueLimit: PACKETS_BEFORE_CONNACK_MAX,
      maxClientsIdLength: MQTT31_CLIENT_ID_BYTES_MAX,
      maxTopicLevels: limits.maxTopicLevels,
      // Inbound QoS 2 packets awaiting PUBREL count against the same window.
      maxInflightInbound: limits.maxInflightPerClient,
    });
    await broker.listen();
    const aedes = broker;
    closers.push(() => new Promise<void>((resolve) => aedes.close(() => resolve())));

    aedes.on('clientError', (client: Client, error: Error) => {
      logger.debug({ clientId: client.id, err: error.message }, 'MQTT client error; connection closed');
    });
    aedes.on('connectionError', (client: Client, error: Error) => {
      logger.debug({ remote: remoteAddress(client), err: error.message }, 'MQTT connection error before CONNECT completed');
    });

    function onViolation(remote: string | undefined) {
      return (found: Violation, clientId: string | undefined): void => {
        metricsNow.protocolViolations.labels(found.kind).inc();
        logger.warn({ remote, clientId, kind: found.kind }, `MQTT connection closed: ${found.reason}`);
      };
    }

    function accept(stream: Duplex, remote: string | undefined): void {
      if (connections.size >= limits.maxConnections + REFUSAL_HEADROOM_CONNECTIONS) {
        metricsNow.refusedConnections.labels('max-connections').inc();
        logger.warn({ remote, open: connections.size }, 'MQTT connection closed on accept: too many connections (mqtt.limits.maxConnections)');
        stream.destroy();
        return;
      }
      guardConnection(stream, { limits, onViolation: onViolation(remote) });
      coalesceWrites(stream);
      admitted.set(stream, connections.size < limits.maxConnections);
      connections.add(stream);
      stream.on('close', () => connections.delete(stream));
      aedes.handle(stream);
    }

    const tcpServer = createTcpServer({ noDelay: true }, (socket: Socket) => {
      // Small acknowledgements must not wait for Nagle's algorithm.
      socket.setNoDelay(true);
      accept(socket, socket.remoteAddress);
    });
    closers.push(() => closeServer(tcpServer));
    const ports: MqttFrontEnd['ports'] = { mqtt: await listen(tcpServer, 'listeners.mqtt', options.listeners.mqtt, logger) };

    const tlsListen = options.listeners.mqtts;
    if (tlsListen !== null && tlsListen !== undefined) {
      const tlsServer = createTlsServer({ ...tlsListen.tls, noDelay: true }, (socket: TLSSocket) => {
        socket.setNoDelay(true);
        accept(socket, socket.remoteAddress);
      });
      // A failed handshake (plain MQTT on this port, an untrusted device certificate) ends only that connection.
      tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        metricsNow.refusedConnections.labels('tls-handshake').inc();
        logger.warn({ remote: socket.remoteAddress, err: error.message }, 'MQTT over TLS: handshake failed; connection closed');
      });
      closers.push(() => closeServer(tlsServer));
      ports.mqtts = await listen(tlsServer, 'listeners.mqtts', tlsListen, logger);
    }

    const wsAddress = options.listeners.mqttWs;
    if (wsAddress !== null && wsAddress !== undefined) {
      const httpServer = createHttpServer((_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect with a WebSocket client (subprotocol "mqtt").\n');
      });
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
        accept(stream, request.socket.remoteAddress);
      });
      closers.push(async () => {
        for (const client of wsServer.clients) client.terminate();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      });
    }

    const reverse = new ReverseRouter({ routes: reverseRoutes, store: options.store, broker: aedes, database, writes, metrics: metricsNow, logger, maxTopicLevels: limits.maxTopicLevels });
    await reverse.start();
    closers.push(() => reverse.close());

    // Closing runs the above in reverse: tailers, listeners, aedes (and its clients),
    // pending appends, the session store, the database.
    logger.info({ ports, routes: config.routes.length, reverseRoutes: reverseRoutes.length }, 'MQTT front end listening');
    return {
      ports,
      broker: aedes,
      async close() {
        for (const connection of connections) connection.destroy();
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

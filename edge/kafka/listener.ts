// The Kafka listener: accepts TCP connections up to a bound and gives each a
// KafkaConnection. A bad client is closed alone; every other keeps being served.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions, type TLSSocket } from 'node:tls';
import type { Logger } from '../../shared/logger.ts';
import { listenOn } from '../listeners/listen.ts';
import { KafkaConnection, type AdvertisedEndpoint, type RequestHandler } from './connection.ts';
import type { SaslMechanism } from './sasl/mechanism.ts';
import { SaslSession } from './sasl/session.ts';

export interface KafkaListenerOptions {
  host: string;
  port: number;
  /** What clients of this listener are told to connect to; its port is filled in once bound. */
  advertised: AdvertisedEndpoint;
  /** Serve TLS with these settings; plain TCP when absent. */
  tls?: TlsOptions;
  /** Require SASL with one of these mechanisms before any other request (kafka.sasl). */
  saslMechanisms?: readonly SaslMechanism[];
  /** Connections open at once on this listener (kafka.maxConnections). */
  maxConnections: number;
  maxRequestBytes: number;
  handler: RequestHandler;
  logger: Logger;
}

/** Connection ids, unique across this process's listeners, for the logs. */
let nextConnectionId = 1;

export class KafkaListener {
  readonly #server: Server;
  readonly #options: KafkaListenerOptions;
  readonly #connections = new Set<KafkaConnection>();
  readonly #sockets = new Set<Socket>();

  constructor(options: KafkaListenerOptions) {
    this.#options = options;
    if (options.tls === undefined) {
      this.#server = createServer((socket) => this.#accept(socket));
    } else {
      this.#server = createTlsServer(options.tls, (socket: TLSSocket) => this.#accept(socket));
      // A failed handshake (a plain client on this port, an untrusted certificate) ends only that connection.
      this.#server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        options.logger.warn({ client: socket.remoteAddress, err: error.message }, 'Kafka over TLS: handshake failed; connection closed');
      });
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<number> {
    const key = this.#options.tls === undefined ? 'listeners.kafka' : 'listeners.kafkaTls';
    return listenOn(this.#server, { key, host: this.#options.host, port: this.#options.port });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    if (this.#connections.size >= this.#options.maxConnections) {
      this.#options.logger.warn({ client: socket.remoteAddress, maxConnections: this.#options.maxConnections }, 'refusing Kafka connection: kafka.maxConnections reached');
      socket.destroy();
      return;
    }
    const connection = new KafkaConnection({
      id: nextConnectionId++,
      socket,
      handler: this.#options.handler,
      logger: this.#options.logger,
      maxRequestBytes: this.#options.maxRequestBytes,
      advertised: this.#options.advertised,
      sasl: this.#options.saslMechanisms && new SaslSession(this.#options.saslMechanisms),
    });
    this.#connections.add(connection);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#connections.delete(connection);
      this.#sockets.delete(socket);
    });
  }
}

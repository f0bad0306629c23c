// The Kafka listener: accepts TCP connections up to a bound and gives each a
// KafkaConnection. A bad client is closed alone; every other keeps being served.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../shared/logger.ts';
import { listenOn } from '../listen.ts';
import { KafkaConnection, type RequestHandler } from './connection.ts';

export interface KafkaListenerOptions {
  host: string;
  port: number;
  maxConnections: number;
  maxRequestBytes: number;
  handler: RequestHandler;
  logger: Logger;
}

export class KafkaListener {
  readonly #server: Server;
  readonly #options: KafkaListenerOptions;
  readonly #connections = new Set<KafkaConnection>();
  readonly #sockets = new Set<Socket>();
  #nextConnectionId = 1;

  constructor(options: KafkaListenerOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<number> {
    return listenOn(this.#server, this.#options.host, this.#options.port);
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
      id: this.#nextConnectionId++,
      socket,
      handler: this.#options.handler,
      logger: this.#options.logger,
      maxRequestBytes: this.#options.maxRequestBytes,
    });
    this.#connections.add(connection);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#connections.delete(connection);
      this.#sockets.delete(socket);
    });
  }
}

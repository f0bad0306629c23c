// The HTTP admin port of every process (the edge, the standalone mirror, the central):
// GET /health for liveness checks, GET /metrics for Prometheus, and whatever pages the
// parts add (the console). Small on purpose: node:http is enough
// for a handful of routes, and it adds nothing to the device's footprint.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { listenOn } from '../listeners/listen.ts';
import { ListenerEvents } from '../listeners/connection-events.ts';
import { guardHttpServer, guardedHttpServerOptions } from '../listeners/http-guard.ts';

/** Checks a request's Authorization header (edge/http/admin-auth.ts makes one from the configured users). */
export type AdminAuthenticator = (authorization: string | undefined) => Promise<boolean>;

/** Connections at once; the admin port is for operators and scrapers, not for load. */
const MAX_CONNECTIONS = 64;

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface AdminServerOptions {
  /** The setting that chose the address, named when it cannot be bound: `listeners.http`, `mirror.http`. */
  key: string;
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Returns the health document; `status` other than "ok" answers 503. */
  health: () => { status: 'ok' | 'degraded' | 'starting' | 'stopping'; [key: string]: unknown };
  /** Checks the credentials of every request but GET /health; absent, the port is open (see admin-auth.ts). */
  authenticate?: AdminAuthenticator;
}

/** Paths answered without credentials: liveness only. */
const OPEN_PATHS = new Set(['GET /health']);

export class AdminServer {
  readonly #server: Server;
  readonly #routes = new Map<string, RouteHandler>();
  readonly #options: AdminServerOptions;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#server = createServer(guardedHttpServerOptions(), (request, response) => void this.#handle(request, response));
    // A slow or stuck client cannot hold a connection longer than the request timeouts.
    guardHttpServer(this.#server, new ListenerEvents({ key: options.key, registry: options.registry, logger: options.logger }), MAX_CONNECTIONS, `${MAX_CONNECTIONS}, the admin port's limit`);
    this.route('GET /health', (_request, response) => {
      const health = this.#options.health();
      sendJson(response, health.status === 'ok' ? 200 : 503, health);
    });
    this.route('GET /metrics', async (_request, response) => {
      const body = await this.#options.registry.metrics();
      response.writeHead(200, { 'content-type': this.#options.registry.contentType });
      response.end(body);
    });
  }

  /** The health document GET /health answers with. */
  health(): ReturnType<AdminServerOptions['health']> {
    return this.#options.health();
  }

  /** Adds a route, e.g. `route('GET /api/topics', handler)`; exact paths only. */
  route(methodAndPath: string, handler: RouteHandler): void {
    this.#routes.set(methodAndPath, handler);
  }

  listen(): Promise<number> {
    return listenOn(this.#server, { key: this.#options.key, host: this.#options.host, port: this.#options.port });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    const authenticate = this.#options.authenticate;
    if (authenticate !== undefined && !OPEN_PATHS.has(`${request.method} ${path}`) && !(await authenticate(request.headers.authorization))) {
      response.setHeader('www-authenticate', 'Basic realm="tributary", charset="UTF-8"');
      sendJson(response, 401, { error: 'this admin port asks for the user name and password of an MQTT or Kafka user of this broker' });
      return;
    }
    const handler = this.#routes.get(`${request.method} ${path}`);
    if (!handler) {
      const knownPath = [...this.#routes.keys()].some((key) => key.endsWith(` ${path}`));
      sendJson(response, knownPath ? 405 : 404, { error: knownPath ? `method ${request.method} not allowed on ${path}` : `no such path: ${path}` });
      return;
    }
    try {
      await handler(request, response);
    } catch (error) {
      this.#options.logger.error({ err: error, path }, 'admin request failed');
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.end();
    }
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(text);
}

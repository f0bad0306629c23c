// What every listener (Kafka plain and TLS, MQTT, MQTTS, MQTT over WebSocket, the HTTP
// admin port) reports about its connections, the same way for all of them:
//
//   tributary_listener_connections{listener}                    open now
//   tributary_listener_refused_connections_total{listener,reason}  not served at all
//   tributary_listener_closed_connections_total{listener,reason}   cut off for being slow or stuck
//
// and one log line naming the setting and the limit, written once and then at most every
// ten seconds with the count meanwhile (a flood of a thousand connections a second must not
// become a thousand log lines a second). Protocol-level refusals (an MQTT CONNACK code, a
// Kafka error) are counted by their part.
import type { Server } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { RepeatedWarnings } from '../log-rate-limit.ts';

/**
 * Why a listener did not serve a connection:
 * - limit: the listener's connection limit was reached;
 * - handshake: the TLS handshake failed or did not finish in time;
 * - memory: the heap is nearly full and new connections are turned away.
 */
export type RefusalReason = 'limit' | 'handshake' | 'memory';

/**
 * Why a listener cut a connection off:
 * - slow-request: a request (Kafka frame, MQTT packet, HTTP headers) took too long to arrive once begun;
 * - not-reading: the client stopped reading what it was sent;
 * - idle: nothing moved either way for the idle timeout;
 * - connect-timeout: an MQTT client sent no CONNECT in time;
 * - keep-alive: an MQTT client fell silent past its keep alive;
 * - credentials-revoked: a reload removed the connection's user or changed its credentials.
 */
export type CutOffReason = 'slow-request' | 'not-reading' | 'idle' | 'connect-timeout' | 'keep-alive' | 'credentials-revoked';

interface RegistryMetrics {
  refused: Counter<'listener' | 'reason'>;
  closed: Counter<'listener' | 'reason'>;
  servers: Map<string, Set<Server>>;
}

/** One set of metrics per registry, shared by the listeners registered in it. */
const metricsByRegistry = new WeakMap<Registry, RegistryMetrics>();

function metricsOf(registry: Registry): RegistryMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics !== undefined) return metrics;
  const servers = new Map<string, Set<Server>>();
  const registers = [registry];
  metrics = {
    refused: new Counter({ name: 'tributary_listener_refused_connections_total', help: 'Connections a listener did not serve, by listener and reason: limit (its connection limit), handshake (TLS failed or too slow), memory (heap nearly full).', labelNames: ['listener', 'reason'], registers }),
    closed: new Counter({ name: 'tributary_listener_closed_connections_total', help: 'Connections a listener cut off, by listener and reason: slow-request, not-reading, idle, connect-timeout, keep-alive, credentials-revoked (a reload removed the user or changed its credentials).', labelNames: ['listener', 'reason'], registers }),
    servers,
  };
  new Gauge({
    name: 'tributary_listener_connections',
    help: 'Connections open now, by listener (TCP connections, including those still in their TLS or HTTP handshake).',
    labelNames: ['listener'],
    registers,
    async collect() {
      this.reset();
      for (const [listener, set] of servers) {
        let open = 0;
        for (const server of set) open += await new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
        this.set({ listener }, open);
      }
    },
  });
  metricsByRegistry.set(registry, metrics);
  return metrics;
}

export interface ListenerEventsOptions {
  /** The setting of the listener, as a user writes it: `listeners.kafka`. Its last part labels the metrics. */
  key: string;
  registry: Registry | undefined;
  logger: Logger;
}

export class ListenerEvents {
  /** The metrics' label: `kafka`, `kafkaTls`, `mqtt`, `mqtts`, `mqttWs`, `http`. */
  readonly listener: string;
  readonly key: string;
  readonly #metrics: RegistryMetrics | undefined;
  readonly #warnings: RepeatedWarnings;

  constructor(options: ListenerEventsOptions) {
    this.key = options.key;
    this.listener = options.key.slice(options.key.lastIndexOf('.') + 1);
    this.#metrics = options.registry === undefined ? undefined : metricsOf(options.registry);
    this.#warnings = new RepeatedWarnings(options.logger);
  }

  /** Counts `server`'s open connections in tributary_listener_connections; forgotten when it closes. */
  countOpen(server: Server): void {
    const servers = this.#metrics?.servers;
    if (servers === undefined) return;
    let set = servers.get(this.listener);
    if (set === undefined) servers.set(this.listener, set = new Set());
    set.add(server);
    server.once('close', () => set.delete(server));
  }

  /**
   * Caps `server` at `limit` connections (raw TCP, so TLS and HTTP handshakes count too).
   * Node closes each one beyond it as it is accepted; here it is counted and logged.
   */
  limit(server: Server, limit: number, setting: string): void {
    server.maxConnections = limit;
    server.on('drop', (dropped?: { remoteAddress?: string }) => {
      this.refused('limit', { client: dropped?.remoteAddress, limit }, `${this.key}: connection refused: ${limit} connections are open (${setting})`);
    });
  }

  /** A connection not served; `message` says why, naming the setting or limit. */
  refused(reason: RefusalReason, details: Record<string, unknown>, message: string): void {
    this.#metrics?.refused.inc({ listener: this.listener, reason });
    this.#warnings.warn(`refused:${reason}`, { listener: this.key, reason, ...details }, message);
  }

  /** A connection cut off; `message` says why, naming the setting or limit. Without one it is only counted (the caller logs it its own way). */
  cutOff(reason: CutOffReason, details?: Record<string, unknown>, message?: string): void {
    this.#metrics?.closed.inc({ listener: this.listener, reason });
    if (message !== undefined) this.#warnings.warn(`closed:${reason}`, { listener: this.key, reason, ...details }, message);
  }
}

// The Kafka listener: accepts TCP connections up to a bound and gives each a
// KafkaConnection. A bad client is closed alone; every other keeps being served. Once a
// second it cuts off connections that are too slow to be served (a request that takes too
// long to arrive, responses the client does not read) or idle past the idle timeout.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { certificateIdentityOf, type CertificatePrincipalMapper } from '../auth/certificate-principal.ts';
import type { Principal } from '../auth/principal.ts';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.ts';
import { replaceCertificates, type TlsListen } from '../listeners/tls-listen.ts';
import { ListenerEvents } from '../../shared/listeners/connection-events.ts';
import { listenOn } from '../../shared/listeners/listen.ts';
import { KafkaConnection, type AdvertisedEndpoint, type ConnectionTimeouts, type RequestHandler } from './connection.ts';
import type { SaslMechanism } from '../auth/sasl-mechanism.ts';
import { SaslSession } from './sasl/session.ts';

/** How often connections are checked against their timeouts; one timer per listener, not one per connection. */
const SWEEP_INTERVAL_MS = 1_000;

export interface KafkaListenerOptions {
  host: string;
  port: number;
  /** What clients of this listener are told to connect to; its port is filled in once bound. */
  advertised: AdvertisedEndpoint;
  /** Serve TLS with these settings; plain TCP when absent. */
  tls?: TlsOptions;
  /** Require SASL with one of these mechanisms before any other request (kafka.sasl). */
  saslMechanisms?: readonly SaslMechanism[];
  /** How a verified client certificate names its principal (kafka.authorization.principalMappingRules); TLS only. */
  certificatePrincipals?: CertificatePrincipalMapper;
  /** Connections open at once on this listener (kafka.maxConnections). */
  maxConnections: number;
  maxRequestBytes: number;
  /** kafka.slowClientTimeoutMs and kafka.connectionsMaxIdleMs. */
  timeouts: ConnectionTimeouts;
  handler: RequestHandler;
  logger: Logger;
  registry?: Registry;
}

/** Connection ids, unique across this process's listeners, for the logs. */
let nextConnectionId = 1;

export class KafkaListener {
  readonly #server: Server;
  readonly #options: KafkaListenerOptions;
  readonly #connections = new Set<KafkaConnection>();
  readonly #sockets = new Set<Socket>();
  readonly #events: ListenerEvents;
  readonly #sweep: NodeJS.Timeout;
  /** The mechanisms new connections authenticate with; a reload replaces them (replaceUsers). */
  #saslMechanisms: readonly SaslMechanism[] | undefined;

  constructor(options: KafkaListenerOptions) {
    this.#options = options;
    this.#saslMechanisms = options.saslMechanisms;
    this.#events = new ListenerEvents({ key: this.#key, registry: options.registry, logger: options.logger });
    if (options.tls === undefined) {
      this.#server = createServer((socket) => this.#accept(socket));
    } else {
      this.#server = createTlsServer(options.tls, (socket: TLSSocket) => this.#accept(socket));
      // A failed handshake (a plain client on this port, an untrusted certificate, one too slow) ends only that connection.
      this.#server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.#events.refused('handshake', { client: socket.remoteAddress, err: error.message }, `${this.#key}: TLS handshake failed; connection closed`);
        // Node reports a handshake timeout without closing the socket: the slot would stay taken.
        socket.destroy();
      });
    }
    // The limit counts raw TCP connections, so that connections still in their TLS handshake count too.
    this.#events.limit(this.#server, options.maxConnections, 'kafka.maxConnections');
    this.#events.countOpen(this.#server);
    this.#sweep = setInterval(() => this.#cutOffOverdue(), SWEEP_INTERVAL_MS);
    this.#sweep.unref();
  }

  get #key(): string {
    return this.#options.tls === undefined ? 'listeners.kafka' : 'listeners.kafkaTls';
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<number> {
    return listenOn(this.#server, { key: this.#key, host: this.#options.host, port: this.#options.port });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Whether this listener requires SASL (kafka.sasl.listeners names it). */
  get requiresSasl(): boolean {
    return this.#saslMechanisms !== undefined;
  }

  /** New TLS handshakes get `next`'s certificate; established connections keep theirs. */
  replaceCertificates(next: TlsListen): void {
    if (this.#options.tls === undefined) throw new Error(`${this.#key} does not serve TLS`);
    replaceCertificates(this.#server as TlsServer, next);
  }

  /**
   * New connections authenticate against `mechanisms`; the connections of `revoked` users
   * are closed, as Kafka closes a connection whose re-authentication fails (KIP-368): the
   * client reconnects and its new authentication decides. Exchanges under way finish with
   * the mechanisms they began with. Returns how many connections were closed.
   */
  replaceUsers(mechanisms: readonly SaslMechanism[], revoked: ReadonlySet<string>, cause = 'kafka.sasl.users, reloaded'): number {
    if (this.#saslMechanisms === undefined) return 0;
    this.#saslMechanisms = mechanisms;
    let closed = 0;
    for (const connection of this.#connections) {
      const user = connection.sasl?.user;
      if (user === undefined || !revoked.has(user) || connection.closed) continue;
      this.#events.cutOff('credentials-revoked', { client: `${connection.remoteAddress}:${connection.remotePort}`, user }, `${this.#key}: connection closed: user "${user}" was removed or its credentials changed (${cause})`);
      connection.terminate();
      closed += 1;
    }
    return closed;
  }

  #cutOffOverdue(): void {
    const now = Date.now();
    for (const connection of this.#connections) {
      const overdue = connection.overdue(now, this.#options.timeouts);
      if (overdue === undefined) continue;
      this.#events.cutOff(overdue.reason, { client: `${connection.remoteAddress}:${connection.remotePort}` }, `${this.#key}: connection closed: ${overdue.message}`);
      connection.terminate();
    }
  }

  /**
   * The principal a verified client certificate names, undefined without one; null when no
   * mapping rule matches its subject, and the connection is refused, as Kafka refuses it.
   */
  #certificatePrincipal(socket: Socket): Principal | undefined | null {
    const mapper = this.#options.certificatePrincipals;
    const identity = mapper === undefined ? undefined : certificateIdentityOf(socket, mapper);
    if (identity === undefined) return undefined;
    const { subject, principal } = identity;
    if (principal === undefined) this.#options.logger.warn({ client: `${socket.remoteAddress}:${socket.remotePort}`, subject }, 'Kafka connection refused: no kafka.authorization.principalMappingRules rule matches the client certificate\'s subject');
    return principal ?? null;
  }

  #accept(socket: Socket): void {
    const certificatePrincipal = this.#certificatePrincipal(socket);
    if (certificatePrincipal === null) {
      socket.destroy();
      return;
    }
    const connection = new KafkaConnection({
      certificatePrincipal,
      id: nextConnectionId++,
      socket,
      handler: this.#options.handler,
      logger: this.#options.logger,
      maxRequestBytes: this.#options.maxRequestBytes,
      advertised: this.#options.advertised,
      sasl: this.#saslMechanisms && new SaslSession(this.#saslMechanisms),
    });
    this.#connections.add(connection);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#connections.delete(connection);
      this.#sockets.delete(socket);
    });
  }
}

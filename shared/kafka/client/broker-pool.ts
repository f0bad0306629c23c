// The client's connections to the brokers of one cluster: one per broker address, opened on
// first use with ApiVersions (KIP-35) and, when configured, SASL; reused while it lives.
//
// Brokers are dialled through `addressMap` when one is configured: a cluster advertises the
// addresses its brokers know themselves by, which a device behind a tunnel, a NAT or a link
// simulator cannot reach directly. Brokers learnt from metadata are remembered past a
// metadata reset, so that a client given one bootstrap broker still reaches the others when
// that one is down.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { TributaryError } from '../../errors.ts';
import { SOFTWARE_VERSION } from '../../version.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { BrokerConnection, formatAddress, type BrokerAddress } from './broker-connection.ts';
import { CLIENT_API_VERSIONS } from './client-versions.ts';
import { describeError, kafkaAnswerError } from './kafka-errors.ts';
import { authenticate, type SaslOptions } from './sasl-client.ts';

export interface BrokerPoolOptions {
  bootstrap: readonly string[];
  clientId: string;
  addressMap?: Readonly<Record<string, string>>;
  tls?: TlsOptions;
  sasl?: SaslOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/** "host:port" or "[v6 address]:port" as a broker address. */
export function parseHostPort(address: string): BrokerAddress {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

export class BrokerPool {
  readonly #options: BrokerPoolOptions;
  readonly #bootstrap: BrokerAddress[];
  readonly #map: ReadonlyMap<string, BrokerAddress>;
  /** Brokers by node id, as the last metadata named them (before mapping). */
  #known = new Map<number, BrokerAddress>();
  /** Connections by dialled address; a promise while the connection and its handshake are under way. */
  readonly #connections = new Map<string, Promise<BrokerConnection>>();
  #closed = false;

  constructor(options: BrokerPoolOptions) {
    this.#options = options;
    this.#bootstrap = options.bootstrap.map(parseHostPort);
    this.#map = new Map(Object.entries(options.addressMap ?? {}).map(([from, to]) => [from, parseHostPort(to)]));
  }

  get description(): string {
    return this.#options.bootstrap.join(',');
  }

  /** Remembers the brokers a metadata answer named. */
  learn(brokers: ReadonlyMap<number, BrokerAddress>): void {
    if (brokers.size > 0) this.#known = new Map(brokers);
  }

  /** The broker with this node id, if the last metadata named it. */
  broker(nodeId: number): BrokerAddress | undefined {
    return this.#known.get(nodeId);
  }

  #mapped(address: BrokerAddress): BrokerAddress {
    return this.#map.get(formatAddress(address)) ?? this.#map.get(`${address.host}:${address.port}`) ?? address;
  }

  /** Every broker worth dialling, as dialled (through the map): the bootstrap brokers, then those learnt from metadata. */
  candidates(): BrokerAddress[] {
    const seen = new Set<string>();
    return [...this.#bootstrap, ...this.#known.values()].map((address) => this.#mapped(address)).filter((address) => {
      const key = formatAddress(address);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** The connection to a broker as advertised (mapped before dialling). */
  connection(advertised: BrokerAddress): Promise<BrokerConnection> {
    return this.#dial(this.#mapped(advertised));
  }

  /** A connection to the first broker that accepts one, starting with the `attempt`-th candidate so that retries go round. */
  async anyConnection(attempt = 0): Promise<BrokerConnection> {
    let brokers = this.candidates();
    if (attempt > 0 && brokers.length > 1) {
      const offset = attempt % brokers.length;
      brokers = [...brokers.slice(offset), ...brokers.slice(0, offset)];
    }
    const failures: unknown[] = [];
    for (const address of brokers) {
      try {
        return await this.#dial(address);
      } catch (error) {
        failures.push(error);
      }
    }
    const said = [...new Set(failures.map((error) => describeError(error)))].join('; ');
    throw new TributaryError('BROKER_UNREACHABLE', `cannot connect to any broker of ${this.description}: ${said}`, { network: true, retriable: true }, { cause: new AggregateError(failures, 'no broker answered') });
  }

  /** The connection to a dialled address: reused while it lives, opened (with its handshake) otherwise. */
  #dial(address: BrokerAddress): Promise<BrokerConnection> {
    if (this.#closed) return Promise.reject(new TributaryError('BROKER_UNREACHABLE', `the client of ${this.description} is closed`, { network: true }));
    const key = formatAddress(address);
    const existing = this.#connections.get(key);
    if (existing !== undefined) {
      return existing.then((connection) => (connection.closed ? this.#redial(key, address, existing) : connection));
    }
    return this.#open(key, address);
  }

  #redial(key: string, address: BrokerAddress, stale: Promise<BrokerConnection>): Promise<BrokerConnection> {
    // Another caller may have replaced the dead connection already.
    const current = this.#connections.get(key);
    if (current !== undefined && current !== stale) return current.then((connection) => (connection.closed ? this.#open(key, address) : connection));
    return this.#open(key, address);
  }

  #open(key: string, address: BrokerAddress): Promise<BrokerConnection> {
    const opening = this.#handshake(address);
    this.#connections.set(key, opening);
    opening.catch(() => {
      if (this.#connections.get(key) === opening) this.#connections.delete(key);
    });
    return opening;
  }

  async #handshake(address: BrokerAddress): Promise<BrokerConnection> {
    const options = this.#options;
    const connection = await BrokerConnection.open(address, { clientId: options.clientId, tls: options.tls, connectTimeoutMs: options.connectTimeoutMs });
    try {
      // ApiVersions first: brokers answer it before authentication (KIP-35, KIP-152).
      const versions = await connection.request(ApiKey.ApiVersions, CLIENT_API_VERSIONS[ApiKey.ApiVersions], { clientSoftwareName: 'tributary', clientSoftwareVersion: SOFTWARE_VERSION }, options.requestTimeoutMs);
      if (versions.errorCode !== ErrorCode.NONE) throw kafkaAnswerError(versions.errorCode, null, `ApiVersions to ${formatAddress(address)}`);
      connection.servedVersions = new Map(versions.apiKeys.map((entry) => [entry.apiKey, { minVersion: entry.minVersion, maxVersion: entry.maxVersion }]));
      if (options.sasl !== undefined) await authenticate(connection, options.sasl, options.requestTimeoutMs);
    } catch (error) {
      connection.reset();
      throw error;
    }
    if (this.#closed) {
      connection.reset();
      throw new TributaryError('BROKER_UNREACHABLE', `the client of ${this.description} is closed`, { network: true });
    }
    return connection;
  }

  /** The connections open now (for probes and resets). */
  async #openConnections(): Promise<BrokerConnection[]> {
    const settled = await Promise.allSettled(this.#connections.values());
    return settled.flatMap((entry) => (entry.status === 'fulfilled' ? [entry.value] : []));
  }

  /**
   * Drops every connection with a TCP reset. After a failure nothing written to an old
   * socket may still reach the cluster later: a reset discards what the kernel (or a
   * proxy on the way) still holds, where a graceful close would deliver it.
   */
  resetAll(): void {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    for (const opening of connections) opening.then((connection) => connection.reset(), () => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connections = await this.#openConnections();
    this.#connections.clear();
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

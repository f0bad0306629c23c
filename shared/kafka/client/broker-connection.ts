// One TCP (or TLS) connection to one Kafka broker, as a client holds it: requests are framed
// with the project's own codecs (shared/kafka/wire), written at once and answered in order
// (Kafka answers the requests of one connection in the order they came), matched by their
// correlation ids. Several requests may be on the way at a time (pipelining), up to a bound.
//
// A request that gets no answer in time, or a connection that breaks, fails every request
// on it and resets the socket: an answer arriving later would belong to nobody, and a
// request still in a buffer on the way must not reach the broker after its caller gave up.
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions as TlsOptions } from 'node:tls';
import { TributaryError } from '../../errors.ts';
import { apiName } from '../protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../wire/frames.ts';
import type { DecodedResponseBody, RequestBodyInput, ServedApiKey } from '../apis/index.ts';

/**
 * Requests on the way on one connection at a time. The mirror sends one produce per
 * partition in flight and at most a few admin requests; 64 lets that many partitions share
 * a broker's connection without waiting, and bounds the answers a broker can owe at once.
 */
export const IN_FLIGHT_REQUESTS_MAX = 64;
/**
 * Requests waiting for a free place among those in flight. Callers are bounded themselves
 * (partitions, pollers); this bound turns a runaway caller into an error instead of memory.
 */
export const WAITING_REQUESTS_MAX = 4096;
/**
 * Largest response frame read. A fetch asks for at most 32 MiB (the mirror's and fleet
 * view's bound, and Kafka's fetch.max.bytes default is 50 MiB; a broker may exceed it by
 * one batch); 64 MiB holds either with room, and a corrupt or hostile length prefix cannot
 * make the client allocate more.
 */
export const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

/** How long a graceful close waits for the broker to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ConnectOptions {
  clientId: string;
  tls?: TlsOptions;
  connectTimeoutMs: number;
}

interface Pending {
  apiKey: ServedApiKey;
  apiVersion: number;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export function formatAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A failure of the connection itself (refused, reset, timed out): retriable on another connection. */
export function connectionFailure(address: BrokerAddress, what: string, cause?: unknown): TributaryError {
  const said = cause instanceof Error ? `: ${cause.message}` : '';
  return new TributaryError('BROKER_UNREACHABLE', `broker ${formatAddress(address)}: ${what}${said}`, { network: true, retriable: true, broker: formatAddress(address) }, cause === undefined ? undefined : { cause });
}

export class BrokerConnection {
  readonly address: BrokerAddress;
  /** The socket requests are written to: the TCP socket, or the TLS socket over it. */
  readonly #socket: Socket;
  /** The TCP socket underneath, which alone can send a reset. */
  readonly #tcp: Socket;
  readonly #clientId: string;
  readonly #pending = new Map<number, Pending>();
  readonly #waiting: (() => void)[] = [];
  #nextCorrelationId = 1;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #failure: TributaryError | undefined;
  /** The API versions the broker serves (ApiVersions), once asked. */
  servedVersions: ReadonlyMap<number, { minVersion: number; maxVersion: number }> = new Map();

  private constructor(address: BrokerAddress, socket: Socket, tcp: Socket, clientId: string) {
    this.address = address;
    this.#socket = socket;
    this.#tcp = tcp;
    this.#clientId = clientId;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(connectionFailure(address, 'connection failed', error)));
    socket.on('close', () => this.#fail(connectionFailure(address, 'connection closed')));
  }

  /** Opens a connection; fails with BROKER_UNREACHABLE when it is refused or not made within the connect timeout. */
  static open(address: BrokerAddress, options: ConnectOptions): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      // TLS runs over a TCP socket of our own, kept to reset: a TLS socket cannot send a TCP reset itself.
      const tcp = connectTcp({ host: address.host, port: address.port });
      let socket: Socket = tcp;
      const timer = setTimeout(() => fail(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        tcp.destroy();
        socket.destroy();
        reject(connectionFailure(address, 'cannot connect', error));
      };
      const ready = (): void => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new BrokerConnection(address, socket, tcp, options.clientId));
      };
      socket.once('error', fail);
      tcp.once('connect', () => {
        if (options.tls === undefined) return ready();
        socket.off('error', fail);
        socket = connectTls({ ...options.tls, socket: tcp, host: address.host, servername: options.tls.servername ?? (isIP(address.host) === 0 ? address.host : undefined) });
        socket.once('error', fail);
        socket.once('secureConnect', ready);
      });
    });
  }

  get closed(): boolean {
    return this.#failure !== undefined;
  }

  /** Sends one request and resolves with the decoded response body. */
  async request<Key extends ServedApiKey>(apiKey: Key, apiVersion: number, body: RequestBodyInput<Key>, timeoutMs: number): Promise<DecodedResponseBody<Key>> {
    // A loop: a request made while a woken one is on its way may have taken the place first.
    while (this.#pending.size >= IN_FLIGHT_REQUESTS_MAX && this.#failure === undefined) await this.#waitForPlace();
    if (this.#failure !== undefined) throw this.#failure;
    const correlationId = this.#nextCorrelationId;
    // Correlation ids are int32 on the wire; wrap long before, skipping 0 for readability of traces.
    this.#nextCorrelationId = correlationId >= 0x7fffffff ? 1 : correlationId + 1;
    const frame = encodeRequest(apiKey, apiVersion, correlationId, this.#clientId, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reset(connectionFailure(this.address, `no answer to ${apiName(apiKey)} v${apiVersion} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve: resolve as (body: unknown) => void, reject, timer });
      this.#socket.write(frame);
    });
  }

  #waitForPlace(): Promise<void> {
    if (this.#waiting.length >= WAITING_REQUESTS_MAX) {
      return Promise.reject(connectionFailure(this.address, `${WAITING_REQUESTS_MAX} requests already wait for one of the ${IN_FLIGHT_REQUESTS_MAX} places in flight`));
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #receive(chunk: Buffer): void {
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    while (this.#bufferedBytes >= 4) {
      if (this.#buffered.length > 1) this.#buffered = [Buffer.concat(this.#buffered, this.#bufferedBytes)];
      const data = this.#buffered[0]!;
      const size = data.readInt32BE(0);
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.reset(connectionFailure(this.address, `response frame of ${size} bytes is outside 4-${RESPONSE_BYTES_MAX} (RESPONSE_BYTES_MAX)`));
        return;
      }
      if (this.#bufferedBytes < 4 + size) return;
      const frame = data.subarray(4, 4 + size);
      const rest = data.subarray(4 + size);
      this.#buffered = rest.length === 0 ? [] : [rest];
      this.#bufferedBytes = rest.length;
      this.#answer(frame);
      if (this.#failure !== undefined) return;
    }
  }

  #answer(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.#pending.get(correlationId);
    if (pending === undefined) {
      this.reset(connectionFailure(this.address, `answer with correlation id ${correlationId}, which no request on the way has`));
      return;
    }
    this.#pending.delete(correlationId);
    clearTimeout(pending.timer);
    this.#waiting.shift()?.();
    try {
      pending.resolve(decodeResponse(pending.apiKey, pending.apiVersion, frame).body);
    } catch (error) {
      // An answer that cannot be read leaves the stream's framing in doubt: start afresh.
      pending.reject(error as Error);
      this.reset(connectionFailure(this.address, `unreadable answer to ${apiName(pending.apiKey)} v${pending.apiVersion}`, error));
    }
  }

  #fail(failure: TributaryError): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.#pending.clear();
    for (const wake of this.#waiting.splice(0)) wake();
    this.#buffered = [];
    this.#bufferedBytes = 0;
  }

  /**
   * Drops the connection with a TCP reset: what the kernel or a proxy on the way still holds
   * is discarded, where a graceful close would deliver it. Every request on it fails.
   */
  reset(failure: TributaryError = connectionFailure(this.address, 'connection reset by the client')): void {
    this.#fail(failure);
    if (!this.#tcp.destroyed) this.#tcp.resetAndDestroy();
    this.#socket.destroy();
  }

  /** Closes the connection gracefully; requests still on the way fail. */
  close(): Promise<void> {
    this.#fail(connectionFailure(this.address, 'connection closed by the client'));
    if (this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      // A peer that never answers the FIN must not hold the close up.
      setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }
}

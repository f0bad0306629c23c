// One Kafka client connection: splits the byte stream into size-prefixed request frames,
// hands each to the request handler, and writes the responses back in request order
// (the protocol requires it; clients pipeline requests and match responses by order and
// correlation id). Requests of one connection are handled concurrently up to a bound, so
// that a pipelined producer keeps the group commit busy; appends are issued in request
// order because the handler starts each one before awaiting anything.
import type { Socket } from 'node:net';
import type { Logger } from '../../shared/logger.ts';
import type { CutOffReason } from '../../shared/listeners/connection-events.ts';
import { StalledWriter } from '../../shared/listeners/stalled-writer.ts';
import type { SaslSession } from './sasl/session.ts';
import { ANONYMOUS, userPrincipal, type Principal } from '../auth/principal.ts';

/** Requests of one connection being handled at once; more pause reading from the socket. */
export const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = 32;
/** Bytes of a size prefix. */
const SIZE_PREFIX_BYTES = 4;

export interface RequestHandler {
  /**
   * Handles one request frame (the bytes after the size prefix) and returns the whole
   * response (size prefix included) as one buffer or as chunks to write in order (record
   * batches are written from where they were read, without a copy), or undefined when the
   * request gets none (Produce with acks=0). Throwing closes this connection only.
   */
  handle(frame: Buffer, connection: ConnectionInfo): Promise<Response | undefined>;
}

export type Response = Buffer | readonly Buffer[];

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The endpoint of the listener this connection came in on, as clients must be told it (Metadata). */
  readonly advertised: AdvertisedEndpoint;
  /** The connection's SASL state when its listener requires SASL (kafka.sasl.listeners). */
  readonly sasl: SaslSession | undefined;
  /** Who the client proved it is: the SASL user once authenticated, else User:ANONYMOUS. */
  readonly principal: Principal;
}

export interface AdvertisedEndpoint {
  host: string;
  port: number;
}

/** When a connection is cut off for being slow or stuck (kafka.slowClientTimeoutMs, kafka.connectionsMaxIdleMs). */
export interface ConnectionTimeouts {
  slowClientTimeoutMs: number;
  idleTimeoutMs: number;
}

export class KafkaConnection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly advertised: AdvertisedEndpoint;
  readonly sasl: SaslSession | undefined;
  readonly #socket: Socket;
  readonly #handler: RequestHandler;
  readonly #logger: Logger;
  readonly #maxRequestBytes: number;
  /** Unparsed bytes; at most one frame plus one read chunk, bounded by maxRequestBytes. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Size of the frame being received, once its prefix has been read. */
  #frameBytes: number | undefined;
  /** Responses in request order; each settles when its request is handled. */
  readonly #responses: Promise<Response | undefined>[] = [];
  #writing = false;
  #closed = false;
  /** When the first byte of the frame partly received arrived; undefined when none is. */
  #frameStartedAtMs: number | undefined;
  /** The last time a byte was read or a response was handed to the socket. */
  #lastActivityAtMs = Date.now();
  readonly #stalledWriter = new StalledWriter();
  /** Bytes of responses handed to the socket in all, to tell a client that reads slowly from one that does not read. */
  #sentBytes = 0;

  constructor(options: { id: number; socket: Socket; handler: RequestHandler; logger: Logger; maxRequestBytes: number; advertised: AdvertisedEndpoint; sasl?: SaslSession }) {
    this.id = options.id;
    this.advertised = options.advertised;
    this.sasl = options.sasl;
    this.#socket = options.socket;
    this.#handler = options.handler;
    this.#maxRequestBytes = options.maxRequestBytes;
    this.remoteAddress = options.socket.remoteAddress ?? 'unknown';
    this.remotePort = options.socket.remotePort ?? 0;
    this.#logger = options.logger.child({ connection: this.id, client: `${this.remoteAddress}:${this.remotePort}` });
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (error) => this.#logger.debug({ err: error }, 'connection error'));
    this.#socket.on('close', () => { this.#closed = true; });
  }

  get principal(): Principal {
    const user = this.sasl?.user;
    return user === undefined ? ANONYMOUS : userPrincipal(user);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Why this connection must be cut off now, or undefined: a request begun and not finished
   * within the slow-client timeout (slow-loris), a response the client has taken nothing of
   * within it (a client that does not read), or nothing moved either way for the idle
   * timeout with no request outstanding. Time the broker itself spent not reading (the
   * connection paused at its in-flight bound) does not count against the client.
   */
  overdue(now: number, timeouts: ConnectionTimeouts): { reason: CutOffReason; message: string } | undefined {
    if (this.#closed) return undefined;
    if (this.#frameStartedAtMs !== undefined && !this.#socket.isPaused() && now - this.#frameStartedAtMs > timeouts.slowClientTimeoutMs) {
      return { reason: 'slow-request', message: `a request begun ${now - this.#frameStartedAtMs} ms ago has not arrived whole (${this.#pendingBytes} of ${this.#frameBytes === undefined ? '?' : SIZE_PREFIX_BYTES + this.#frameBytes} bytes; kafka.slowClientTimeoutMs ${timeouts.slowClientTimeoutMs})` };
    }
    const waitingBytes = this.#socket.writableLength;
    const stalledMs = this.#stalledWriter.stalledMs(now, this.#sentBytes, waitingBytes);
    if (stalledMs > timeouts.slowClientTimeoutMs) {
      return { reason: 'not-reading', message: `the client has read none of ${waitingBytes} bytes of responses for ${stalledMs} ms (kafka.slowClientTimeoutMs ${timeouts.slowClientTimeoutMs})` };
    }
    if (this.#responses.length === 0 && this.#frameStartedAtMs === undefined && now - this.#lastActivityAtMs > timeouts.idleTimeoutMs) {
      return { reason: 'idle', message: `nothing sent or received for ${now - this.#lastActivityAtMs} ms (kafka.connectionsMaxIdleMs ${timeouts.idleTimeoutMs})` };
    }
    return undefined;
  }

  /** Closes this connection alone, saying why in the log. */
  close(reason: string, details: Record<string, unknown> = {}): void {
    if (this.#closed) return;
    this.#logger.warn({ ...details, reason }, 'closing Kafka connection');
    this.terminate();
  }

  /** Closes this connection alone; the caller has said why (the listener counts and logs what it cuts off). */
  terminate(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const now = Date.now();
    this.#lastActivityAtMs = now;
    if (this.#pendingBytes === 0) this.#frameStartedAtMs = now;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    while (!this.#closed && this.#pendingBytes >= SIZE_PREFIX_BYTES) {
      if (this.#frameBytes === undefined) {
        if (this.#pending[0]!.length < SIZE_PREFIX_BYTES) this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
        const size = this.#pending[0]!.readInt32BE(0);
        if (size < 0 || size > this.#maxRequestBytes) {
          this.close(`request size ${size} is outside 0..${this.#maxRequestBytes} (kafka.maxRequestBytes)`, { size });
          return;
        }
        this.#frameBytes = size;
      }
      // Chunks of a large request are joined once, when the whole frame is here, not on every read.
      if (this.#pendingBytes < SIZE_PREFIX_BYTES + this.#frameBytes) return;
      const buffer = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
      const frame = buffer.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + this.#frameBytes);
      const rest = buffer.subarray(SIZE_PREFIX_BYTES + this.#frameBytes);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingBytes = rest.length;
      this.#frameBytes = undefined;
      // The next frame began in this read, if any of it is here.
      this.#frameStartedAtMs = rest.length > 0 ? now : undefined;
      this.#dispatch(frame);
    }
  }

  #dispatch(frame: Buffer): void {
    const handled = this.sasl?.expectsBareToken ? this.#authenticateBareToken(frame) : this.#handler.handle(frame, this);
    const response = handled.catch((error: unknown) => {
      this.close((error as Error).message, { err: error });
      return undefined;
    });
    this.#responses.push(response);
    if (this.#responses.length >= MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION) this.#socket.pause();
    void this.#drain();
  }

  /**
   * A bare SASL token that follows SaslHandshake v0 (KIP-43): answered with a frame of the
   * mechanism's response (for PLAIN an empty frame, a zero size prefix); a refused one
   * closes the connection, as Kafka does.
   */
  async #authenticateBareToken(token: Buffer): Promise<Response | undefined> {
    const response = await this.sasl!.authenticateBareToken(token, this.#logger, `${this.remoteAddress}:${this.remotePort}`);
    if (response !== undefined) {
      const sizePrefix = Buffer.alloc(SIZE_PREFIX_BYTES);
      sizePrefix.writeInt32BE(response.length);
      return response.length === 0 ? sizePrefix : [sizePrefix, response];
    }
    this.close('SASL authentication failed (bare token after SaslHandshake v0)');
    return undefined;
  }

  /** Writes one response; false when the socket's buffer is full and wants a drain. */
  #write(response: Response): boolean {
    if (Buffer.isBuffer(response)) {
      this.#sentBytes += response.length;
      return this.#socket.write(response);
    }
    this.#socket.cork();
    let flowing = true;
    for (const chunk of response as readonly Buffer[]) {
      this.#sentBytes += chunk.length;
      flowing = this.#socket.write(chunk);
    }
    this.#socket.uncork();
    return flowing;
  }

  /**
   * Resolves when the socket drains or closes. Whichever comes first removes the other
   * listener: a long-lived consumer connection waits here on every large response, and
   * listeners left behind would pile up on the socket.
   */
  #writable(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.once('drain', done);
      this.#socket.once('close', done);
    });
  }

  /** Writes settled responses in order; one drain loop at a time. */
  async #drain(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#responses.length > 0 && !this.#closed) {
        const response = await this.#responses[0];
        this.#responses.shift();
        if (response && !this.#closed) {
          this.#lastActivityAtMs = Date.now();
          if (!this.#write(response)) {
            // No more requests are read while a response waits for the client, as Kafka
            // mutes a connection until its response is sent: a client that does not read
            // cannot make the broker hold more responses for it.
            this.#socket.pause();
            await this.#writable();
            this.#lastActivityAtMs = Date.now();
          }
        }
        if (this.#responses.length < MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION && this.#socket.isPaused()) {
          // A request partly read before the pause is the client's to finish from now.
          if (this.#frameStartedAtMs !== undefined) this.#frameStartedAtMs = Date.now();
          this.#socket.resume();
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}

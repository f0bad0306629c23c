// One Kafka client connection: splits the byte stream into size-prefixed request frames,
// hands each to the request handler, and writes the responses back in request order
// (the protocol requires it; clients pipeline requests and match responses by order and
// correlation id). Requests of one connection are handled concurrently up to a bound, so
// that a pipelined producer keeps the group commit busy; appends are issued in request
// order because the handler starts each one before awaiting anything.
import type { Socket } from 'node:net';
import type { Logger } from '../../shared/logger.ts';

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
}

export class KafkaConnection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: Socket;
  readonly #handler: RequestHandler;
  readonly #logger: Logger;
  readonly #maxRequestBytes: number;
  /** Unparsed bytes; at most one frame plus one read chunk, bounded by maxRequestBytes. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Responses in request order; each settles when its request is handled. */
  readonly #responses: Promise<Response | undefined>[] = [];
  #writing = false;
  #closed = false;

  constructor(options: { id: number; socket: Socket; handler: RequestHandler; logger: Logger; maxRequestBytes: number }) {
    this.id = options.id;
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

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes this connection alone, saying why in the log. */
  close(reason: string, details: Record<string, unknown> = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#logger.warn({ ...details, reason }, 'closing Kafka connection');
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    while (!this.#closed && this.#pendingBytes >= SIZE_PREFIX_BYTES) {
      const buffer = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [buffer];
      const size = buffer.readInt32BE(0);
      if (size < 0 || size > this.#maxRequestBytes) {
        this.close(`request size ${size} is outside 0..${this.#maxRequestBytes} (kafka.maxRequestBytes)`, { size });
        return;
      }
      if (buffer.length < SIZE_PREFIX_BYTES + size) return;
      const frame = buffer.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + size);
      const rest = buffer.subarray(SIZE_PREFIX_BYTES + size);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingBytes = rest.length;
      this.#dispatch(frame);
    }
  }

  #dispatch(frame: Buffer): void {
    const response = this.#handler.handle(frame, this).catch((error: unknown) => {
      this.close((error as Error).message, { err: error });
      return undefined;
    });
    this.#responses.push(response);
    if (this.#responses.length >= MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION) this.#socket.pause();
    void this.#drain();
  }

  /** Writes one response; false when the socket's buffer is full and wants a drain. */
  #write(response: Response): boolean {
    if (Buffer.isBuffer(response)) return this.#socket.write(response);
    this.#socket.cork();
    let flowing = true;
    for (const chunk of response as readonly Buffer[]) flowing = this.#socket.write(chunk);
    this.#socket.uncork();
    return flowing;
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
          if (!this.#write(response)) await new Promise<void>((resolve) => { this.#socket.once('drain', resolve); this.#socket.once('close', resolve); });
        }
        if (this.#responses.length < MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION && this.#socket.isPaused()) this.#socket.resume();
      }
    } finally {
      this.#writing = false;
    }
  }
}

// A bare Kafka connection for tests that must control every byte: it sends frames built
// with the project's codec (or any bytes at all) and reads size-prefixed response frames
// back, so that a test can replay a request, send garbage, or watch the broker close it.
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { decodeResponse, encodeRequest, type DecodedResponseBody, type RequestBodyInput, type ServedApiKey } from '../../../../../shared/kafka/wire/index.ts';

/** Bytes of a frame's size prefix. */
const SIZE_PREFIX_BYTES = 4;
/** Largest response frame accepted; a test broker never sends more, so a bigger prefix is a bug. */
const RESPONSE_FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class RawKafkaConnection {
  readonly socket: Socket;
  /** Resolves when the broker (or the test) closes the connection. */
  readonly closed: Promise<void>;
  #buffered: Buffer = Buffer.alloc(0);
  readonly #frames: Buffer[] = [];
  readonly #waiters: { resolve: (frame: Buffer) => void; reject: (error: Error) => void }[] = [];
  #ended = false;
  #nextCorrelationId = 1;
  /** Whole response frames received so far, read or not. */
  framesReceived = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('connection closed by the broker'));
      resolve();
    }));
    socket.on('error', () => { /* Seen as 'close'; tests assert on that. */ });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Over TLS, trusting `ca`; with `certificate` and `key`, presenting a client certificate (mutual TLS). */
  static connectTls(port: number, options: { ca: Buffer; certificate?: Buffer; key?: Buffer; host?: string }): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ port, host: options.host ?? '127.0.0.1', ca: options.ca, cert: options.certificate, key: options.key, servername: 'localhost' }, () => {
        socket.off('error', reject);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#ended;
  }

  /** Writes bytes as they are. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next whole response frame (without its size prefix). */
  readFrame(): Promise<Buffer> {
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.#ended) return Promise.reject(new Error('connection closed by the broker'));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Encodes a request, sends it and decodes its response. */
  async request<Key extends ServedApiKey>(apiKey: Key, apiVersion: number, body: RequestBodyInput<Key>, clientId = 'raw-test'): Promise<DecodedResponseBody<Key>> {
    const correlationId = this.#nextCorrelationId++;
    this.write(encodeRequest(apiKey, apiVersion, correlationId, clientId, body));
    const frame = await this.readFrame();
    const response = decodeResponse(apiKey, apiVersion, frame);
    if (response.correlationId !== correlationId) throw new Error(`response correlation id ${response.correlationId}, expected ${correlationId}`);
    return response.body;
  }

  /** Sends a request frame already encoded (for example one captured earlier) and returns the raw response. */
  async replay(frame: Buffer): Promise<Buffer> {
    this.write(frame);
    return this.readFrame();
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= SIZE_PREFIX_BYTES) {
      const size = this.#buffered.readInt32BE(0);
      if (size < 0 || size > RESPONSE_FRAME_BYTES_MAX) {
        this.socket.destroy(new Error(`response size prefix ${size} is out of range`));
        return;
      }
      if (this.#buffered.length < SIZE_PREFIX_BYTES + size) return;
      const frame = this.#buffered.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + size);
      this.#buffered = this.#buffered.subarray(SIZE_PREFIX_BYTES + size);
      this.framesReceived++;
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.#frames.push(frame);
    }
  }
}

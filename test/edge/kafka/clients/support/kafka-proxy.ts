// A Kafka-aware TCP proxy for fault tests. It stands between any client and one broker,
// rewrites the broker's address in Metadata, FindCoordinator and DescribeCluster answers
// so that the client keeps talking through it, and on request cuts a connection after a
// Produce request has reached the broker but before the broker's answer reaches the
// client: the batch is in the log, the client cannot know, and must retry it.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { decodeRequest, decodeResponse, encodeResponse, parseRequestHeader } from '../../../../../shared/kafka/wire/index.ts';

const PRODUCE_KEY = 0;
const METADATA_KEY = 3;
const FIND_COORDINATOR_KEY = 10;
const DESCRIBE_CLUSTER_KEY = 60;
/** Bytes of a frame's size prefix. */
const SIZE_PREFIX_BYTES = 4;
/** Largest frame passed through; larger is a broken stream in a test. */
const FRAME_BYTES_MAX = 128 * 1024 * 1024;

interface PendingRequest { apiKey: number; apiVersion: number; cut: boolean }

/** Splits a byte stream into size-prefixed frames (each returned with its prefix). */
class FrameSplitter {
  #buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.#buffered.length >= SIZE_PREFIX_BYTES) {
      const size = this.#buffered.readInt32BE(0);
      if (size < 0 || size > FRAME_BYTES_MAX) throw new Error(`frame size prefix ${size} is out of range`);
      if (this.#buffered.length < SIZE_PREFIX_BYTES + size) break;
      frames.push(this.#buffered.subarray(0, SIZE_PREFIX_BYTES + size));
      this.#buffered = this.#buffered.subarray(SIZE_PREFIX_BYTES + size);
    }
    return frames;
  }
}

export class KafkaProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #upstreamPort: number;
  readonly #sockets = new Set<Socket>();
  #producesToCut = 0;
  readonly #cutIndexes = new Set<number>();
  #cuts = 0;
  #cutWaiters: (() => void)[] = [];
  /** Called with every request frame a client sends (without its size prefix), to record what clients send. */
  onRequest: ((frame: Buffer) => void) | undefined;
  /** Produce requests that passed through, cut or not. */
  producesForwarded = 0;
  /** Produce requests with acks 1 or -1 that passed through; numbers them for cutAfterProduces. */
  acknowledgedProducesForwarded = 0;

  private constructor(server: Server, port: number, upstreamPort: number) {
    this.#server = server;
    this.port = port;
    this.#upstreamPort = upstreamPort;
    server.on('connection', (client) => this.#accept(client));
  }

  static async start(upstreamPort: number): Promise<KafkaProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new KafkaProxy(server, (server.address() as AddressInfo).port, upstreamPort);
  }

  /** Connections cut so far, each after a Produce request reached the broker. */
  get cuts(): number {
    return this.#cuts;
  }

  /** The next `count` Produce requests (with acks 1 or -1) reach the broker; their answers do not reach the client. */
  cutAfterNextProduce(count = 1): void {
    this.#producesToCut += count;
  }

  /**
   * Cuts after the Produce requests (with acks 1 or -1) of these 0-based numbers, counted
   * over every connection since the proxy started: for clients that pipeline requests.
   */
  cutAfterProduces(indexes: Iterable<number>): void {
    for (const index of indexes) this.#cutIndexes.add(index);
  }

  /** Resolves once `count` cuts have happened in total. */
  async waitForCuts(count: number): Promise<void> {
    while (this.#cuts < count) await new Promise<void>((resolve) => this.#cutWaiters.push(resolve));
  }

  /** Cuts every connection now, as a broken link would. */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cutAll();
    await closed;
  }

  #accept(client: Socket): void {
    const upstream = connect({ port: this.#upstreamPort, host: '127.0.0.1' });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const pending = new Map<number, PendingRequest>();
    const fromClient = new FrameSplitter();
    const fromBroker = new FrameSplitter();
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => { this.#sockets.delete(client); upstream.destroy(); });
    upstream.on('close', () => { this.#sockets.delete(upstream); client.destroy(); });
    client.on('error', cut);
    upstream.on('error', cut);

    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try { frames = fromClient.push(chunk); } catch { cut(); return; }
      for (const frame of frames) {
        const body = frame.subarray(SIZE_PREFIX_BYTES);
        this.onRequest?.(body);
        const header = parseRequestHeader(body);
        let cutThis = false;
        if (header.apiKey === PRODUCE_KEY) {
          this.producesForwarded++;
          const request = decodeRequest(body, header);
          const acks = request.apiKey === PRODUCE_KEY ? request.body.acks : 0;
          if (acks !== 0) {
            const index = this.acknowledgedProducesForwarded++;
            if (this.#cutIndexes.delete(index)) {
              cutThis = true;
            } else if (this.#producesToCut > 0) {
              this.#producesToCut--;
              cutThis = true;
            }
          }
        }
        pending.set(header.correlationId, { apiKey: header.apiKey, apiVersion: header.apiVersion, cut: cutThis });
        upstream.write(frame);
      }
    });

    upstream.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try { frames = fromBroker.push(chunk); } catch { cut(); return; }
      for (const frame of frames) {
        const correlationId = frame.readInt32BE(SIZE_PREFIX_BYTES);
        const request = pending.get(correlationId);
        pending.delete(correlationId);
        if (request?.cut) {
          cut();
          this.#cuts++;
          for (const wake of this.#cutWaiters.splice(0)) wake();
          return;
        }
        client.write(request ? this.#rewrite(request, correlationId, frame) : frame);
      }
    });
  }

  /** The broker's own address, replaced by the proxy's in answers that name brokers. */
  #rewrite(request: PendingRequest, correlationId: number, frame: Buffer): Buffer {
    const { apiKey, apiVersion } = request;
    if (apiKey !== METADATA_KEY && apiKey !== FIND_COORDINATOR_KEY && apiKey !== DESCRIBE_CLUSTER_KEY) return frame;
    const body = decodeResponse(apiKey, apiVersion, frame.subarray(SIZE_PREFIX_BYTES)).body as Record<string, unknown>;
    const endpoints: { host?: string; port?: number }[] = [];
    if (Array.isArray(body.brokers)) endpoints.push(...(body.brokers as { port: number }[]));
    if (Array.isArray(body.coordinators)) endpoints.push(...(body.coordinators as { port: number }[]));
    if (typeof body.port === 'number') endpoints.push(body);
    for (const endpoint of endpoints) {
      if (endpoint.port === this.#upstreamPort) {
        endpoint.port = this.port;
        endpoint.host = '127.0.0.1';
      }
    }
    return encodeResponse(apiKey, apiVersion, correlationId, body as never);
  }
}

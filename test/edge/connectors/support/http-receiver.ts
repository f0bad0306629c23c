// A real HTTP receiver for the HTTP sink's tests: a node:http server on an ephemeral port
// that keeps every request (headers and JSON body), answers as the test tells it (accept,
// fail with a status, or not listen at all), and drops records whose coordinates it has
// seen, as the README tells receivers to.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once, EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface ReceivedRecord { topic: string; partition: number; offset: number; key: unknown; value: unknown; headers: Record<string, unknown>; timestamp: number }
export interface ReceivedRequest { headers: IncomingMessage['headers']; records: ReceivedRecord[]; status: number }

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Records taken (answered 2xx), first copy of each coordinate only. */
  readonly accepted = new Map<string, ReceivedRecord>();
  duplicates = 0;
  /** What the next requests are answered with. */
  status = 200;
  /** Runs after a request is read and counted, before it is answered (a test kills the daemon there). */
  beforeAnswer: ((request: ReceivedRequest) => Promise<void>) | undefined;
  readonly #events = new EventEmitter();
  #server: Server | undefined;
  #port = 0;

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/ingest`;
  }

  /** Listens on `port` (0: any free port; the same port again after a stop). */
  async start(port = this.#port): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const records = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedRecord[];
        const status = this.status;
        this.requests.push({ headers: request.headers, records, status });
        if (status >= 200 && status < 300) {
          for (const record of records) {
            const coordinates = `${record.topic}/${record.partition}/${record.offset}`;
            if (this.accepted.has(coordinates)) this.duplicates += 1;
            else this.accepted.set(coordinates, record);
          }
        }
        const answer = (): void => {
          if (!response.destroyed) {
            response.writeHead(status, { 'content-type': 'text/plain' });
            response.end(status >= 300 ? `refused with ${status}` : 'ok');
          }
          this.#events.emit('request');
        };
        if (this.beforeAnswer === undefined) answer();
        else void this.beforeAnswer(this.requests[this.requests.length - 1]!).finally(answer);
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `predicate` holds, checked after every request; fails after `timeoutMs` naming `what`. */
  async until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.#events.off('request', check); reject(new Error(`HTTP receiver: ${what} did not happen within ${timeoutMs} ms (${this.requests.length} requests, ${this.accepted.size} records taken)`)); }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#events.off('request', check);
        resolve();
      };
      this.#events.on('request', check);
    });
  }
}

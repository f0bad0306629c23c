// Limits of an HTTP listener (the admin port, the MQTT-over-WebSocket port before the
// upgrade): how many connections, and how long a client may take to send its request. A
// client that opens connections and trickles headers one byte at a time (slow-loris) is
// answered 408 and cut off once the headers time out; connections past the limit are closed
// as they are accepted; a client that stops reading its responses is cut off once it has
// taken none of them for HTTP_SLOW_CLIENT_TIMEOUT_MS. All are counted and logged through
// the listener's events.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerEvents } from './connection-events.ts';
import { StalledWriter } from './stalled-writer.ts';

/** A request's headers must arrive within this long of its first byte; browsers, scrapers and WebSocket clients send them at once. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request must arrive within this long; the admin API takes no large bodies. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/**
 * A client that takes none of a response for this long is not reading it and is cut off.
 * Browsers and scrapers read at once; a live event stream that has nothing to send has
 * nothing waiting, so it is not affected.
 */
export const HTTP_SLOW_CLIENT_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past those timeouts; its default, 30 s, would let a slow client stay that much longer. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

const REQUEST_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const BAD_REQUEST_RESPONSE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const HEADERS_TOO_LARGE_RESPONSE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** Options for http.createServer: the timeouts above. */
export function guardedHttpServerOptions(): ServerOptions {
  return { headersTimeout: HTTP_HEADERS_TIMEOUT_MS, requestTimeout: HTTP_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS };
}

/**
 * Caps `server` at `maxConnections` and reports what it refuses and cuts off; `setting` names
 * the limit in the log. `upgrades` says whether connections are upgraded (to WebSocket) on it.
 */
export function guardHttpServer(server: Server, events: ListenerEvents, maxConnections: number, setting: string, upgrades = false): void {
  events.limit(server, maxConnections, setting);
  events.countOpen(server);
  // With a listener here Node leaves the answer to it; the answers are Node's own.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      events.cutOff('slow-request', { client: (socket as { remoteAddress?: string }).remoteAddress }, `${events.key}: connection closed: its request did not arrive within ${HTTP_HEADERS_TIMEOUT_MS} ms (headers) or ${HTTP_REQUEST_TIMEOUT_MS} ms (whole)`);
      if (socket.writable) socket.write(REQUEST_TIMEOUT_RESPONSE);
    } else if (error.code !== 'ECONNRESET' && socket.writable) {
      socket.write(error.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE_RESPONSE : BAD_REQUEST_RESPONSE);
    }
    socket.destroy();
  });
  cutOffClientsThatDoNotRead(server, events, upgrades);
}

/** Watches the connections' unsent output; an upgraded connection (WebSocket) is its protocol's to judge from then on. */
function cutOffClientsThatDoNotRead(server: Server, events: ListenerEvents, upgrades: boolean): void {
  const writers = new Map<Socket, StalledWriter>();
  server.on('connection', (socket: Socket) => {
    writers.set(socket, new StalledWriter());
    socket.once('close', () => writers.delete(socket));
  });
  // Only where something takes upgrades: with any 'upgrade' listener Node leaves such a request to it.
  if (upgrades) server.on('upgrade', (_request: unknown, socket: Socket) => writers.delete(socket));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [socket, writer] of writers) {
      const waitingBytes = socket.writableLength;
      const stalledMs = writer.stalledMs(now, socket.bytesWritten, waitingBytes);
      if (stalledMs <= HTTP_SLOW_CLIENT_TIMEOUT_MS) continue;
      events.cutOff('not-reading', { client: socket.remoteAddress, waitingBytes }, `${events.key}: connection closed: the client has read none of ${waitingBytes} bytes of responses for ${stalledMs} ms (limit ${HTTP_SLOW_CLIENT_TIMEOUT_MS} ms)`);
      writers.delete(socket);
      socket.destroy();
    }
  }, TIMEOUT_CHECK_INTERVAL_MS);
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}

// The link's HTTP control interface, so tests and demos in other processes can break and
// mend the link while it runs:
//
//   GET  /stats                       counters and state, as JSON
//   POST /cut?ms=N                    close every connection, refuse new ones for N ms (or until /restore)
//   POST /blackhole?ms=N              move no bytes for N ms (or until /restore), connections stay open
//   POST /restore                     end any cut or black hole now
//   POST /shape  {"bandwidthBytesPerSecond": N|null, "latencyMs": N}
//
// `ms` may also come as a JSON body {"ms": N}. Every answer is the stats after the change.
import http from 'node:http';
import { isTributaryError, TributaryError } from '../../shared/errors.ts';
import type { HostPort } from './address.ts';
import type { Link, LinkShape } from './link.ts';

/** Largest request body read; the control requests are a few dozen bytes. */
const REQUEST_BODY_BYTES_MAX = 4_096;
/** Control clients at once; the interface serves tests and operators, not traffic. */
const CONTROL_CONNECTIONS_MAX = 64;

export interface ControlServer {
  readonly address: HostPort;
  close(): Promise<void>;
}

type ControlledLink = Pick<Link, 'cut' | 'blackhole' | 'restore' | 'shape' | 'stats'>;

export async function startControlServer(link: ControlledLink, address: HostPort): Promise<ControlServer> {
  const server = http.createServer((request, response) => {
    void handle(link, request, response);
  });
  server.maxConnections = CONTROL_CONNECTIONS_MAX;
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(new TributaryError('LISTEN_FAILED', `link control cannot listen on ${address.host}:${address.port}: ${error.message}`, { address }, { cause: error }));
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    address: { host: address.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(link: ControlledLink, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  try {
    const url = new URL(request.url ?? '/', 'http://link');
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /stats':
        return reply(response, 200, link.stats());
      case 'POST /cut':
        link.cut(await durationOf(request, url));
        return reply(response, 200, link.stats());
      case 'POST /blackhole':
        link.blackhole(await durationOf(request, url));
        return reply(response, 200, link.stats());
      case 'POST /restore':
        await readBody(request);
        link.restore();
        return reply(response, 200, link.stats());
      case 'POST /shape':
        link.shape(shapeOf(await readJson(request)));
        return reply(response, 200, link.stats());
      default: {
        const known = ['/stats', '/cut', '/blackhole', '/restore', '/shape'].includes(url.pathname);
        return reply(response, known ? 405 : 404, { error: known ? `${request.method} is not allowed on ${url.pathname}` : `no such control path: ${url.pathname}` });
      }
    }
  } catch (error) {
    const status = isTributaryError(error) ? 400 : 500;
    return reply(response, status, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function durationOf(request: http.IncomingMessage, url: URL): Promise<number | undefined> {
  const body = await readJson(request);
  const fromQuery = url.searchParams.get('ms');
  const raw = fromQuery ?? (isRecord(body) ? body.ms : undefined);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const durationMs = Number(raw);
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `ms: "${String(raw)}" is not a positive number of milliseconds`, { value: raw });
  }
  return durationMs;
}

function shapeOf(body: unknown): LinkShape {
  if (!isRecord(body)) {
    throw new TributaryError('LINK_OPTION_INVALID', 'POST /shape needs a JSON object such as {"bandwidthBytesPerSecond": 125000, "latencyMs": 50}', {});
  }
  const shape: LinkShape = {};
  for (const key of Object.keys(body)) {
    if (key !== 'bandwidthBytesPerSecond' && key !== 'latencyMs') {
      throw new TributaryError('LINK_OPTION_INVALID', `POST /shape: unknown field "${key}" (known: bandwidthBytesPerSecond, latencyMs)`, { field: key });
    }
  }
  if ('bandwidthBytesPerSecond' in body) {
    const rate = body.bandwidthBytesPerSecond;
    if (rate !== null && typeof rate !== 'number') {
      throw new TributaryError('LINK_OPTION_INVALID', 'POST /shape: bandwidthBytesPerSecond must be a number or null', { field: 'bandwidthBytesPerSecond' });
    }
    shape.bandwidthBytesPerSecond = rate;
  }
  if ('latencyMs' in body) {
    if (typeof body.latencyMs !== 'number') {
      throw new TributaryError('LINK_OPTION_INVALID', 'POST /shape: latencyMs must be a number', { field: 'latencyMs' });
    }
    shape.latencyMs = body.latencyMs;
  }
  return shape;
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TributaryError('LINK_OPTION_INVALID', `${request.method} ${request.url}: the body is not JSON`, {});
  }
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > REQUEST_BODY_BYTES_MAX) {
      throw new TributaryError('LINK_OPTION_INVALID', `${request.method} ${request.url}: the body exceeds ${REQUEST_BODY_BYTES_MAX} bytes`, {});
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

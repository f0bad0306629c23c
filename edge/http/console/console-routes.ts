// The web console on the HTTP admin port: a page (GET / and /console), its script modules
// and styles (GET /console/…), and the JSON API and live streams it reads (GET /api/…).
// What runs from the start is small: the history sampler, which must have the last hour
// ready when someone looks. The API code and the files are loaded on the first request.
// Every route is GET: the console is read-only, so it is safe on a device's LAN.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { sendJson, type AdminServer } from '../../../shared/http/admin-server.ts';
import { MetricHistory } from './metric-history.ts';
import type { ConsoleProviders } from './providers.ts';

const UI_DIRECTORY = join(import.meta.dirname, 'ui');
/** Browser modules shared with the fleet view. */
const SHARED_WEB_DIRECTORY = join(import.meta.dirname, '..', '..', '..', 'shared', 'web');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** API paths; their handlers are in api/console-api.ts. Listed here so that the module loads only when one is asked for. */
const API_PATHS = ['/api/overview', '/api/history', '/api/topics', '/api/topic', '/api/records', '/api/groups', '/api/group', '/api/mqtt/clients', '/api/mqtt/client', '/api/pipeline-list', '/api/pipeline', '/api/events', '/api/tail'];

export interface ConsoleRoutes {
  readonly history: MetricHistory;
  close(): void;
}

type ConsoleApi = typeof import('./api/console-api.ts');

export function registerConsole(admin: AdminServer, registry: Registry, providers: ConsoleProviders, options: { historyIntervalMs?: number } = {}): ConsoleRoutes {
  const history = new MetricHistory(registry, providers, options.historyIntervalMs);
  history.start();
  const liveStreams = new Set<ServerResponse>();

  const files = new Map<string, string>([['/', join(UI_DIRECTORY, 'index.html')], ['/console', join(UI_DIRECTORY, 'index.html')]]);
  for (const [directory, prefix] of [[UI_DIRECTORY, '/console/'], [SHARED_WEB_DIRECTORY, '/console/web/']] as const) {
    for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !(extname(entry.name) in CONTENT_TYPES)) continue;
      const path = join(entry.parentPath, entry.name);
      files.set(`${prefix}${path.slice(directory.length + 1)}`, path);
    }
  }
  for (const [route, path] of files) {
    admin.route(`GET ${route}`, async (_request, response) => {
      const body = await readFile(path);
      // Small files that change with a release; no-cache keeps an upgraded console from running an old script.
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)]!, 'content-length': body.length, 'cache-control': 'no-cache' });
      response.end(body);
    });
  }

  let api: Promise<ConsoleApi> | undefined;
  for (const path of API_PATHS) {
    admin.route(`GET ${path}`, async (request: IncomingMessage, response: ServerResponse) => {
      api ??= import('./api/console-api.ts');
      const { API_HANDLERS, ApiRefusal } = await api;
      const query = new URL(request.url ?? '/', 'http://admin').searchParams;
      try {
        const body = await API_HANDLERS[path]!({ providers, history, registry, liveStreams }, query, request, response);
        // A live stream has answered already and stays open.
        if (!response.headersSent) sendJson(response, 200, body);
      } catch (error) {
        if (!(error instanceof ApiRefusal)) throw error;
        sendJson(response, error.status, { error: error.message });
      }
    });
  }

  return {
    history,
    close() {
      history.stop();
      for (const stream of liveStreams) stream.end();
    },
  };
}

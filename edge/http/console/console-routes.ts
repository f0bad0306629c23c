// The web console on the HTTP admin port: a static page (GET / and /console) with a small
// script, and the JSON routes it reads. /api/mirror belongs to the mirror and is served
// by it; everything else the page shows comes from here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type AdminServer } from '../admin-server.ts';
import { DECODE_MODES, parseDecodeMode, recordToJson, type DecodeMode } from '../../cli/ops/record-view.ts';
import type { ConsoleProviders } from './providers.ts';
import { ThroughputHistory } from './throughput-history.ts';

/** Records one /api/records request returns at most; a page shows a screenful, not a dump. */
export const RECORDS_LIMIT_MAX = 100;
const RECORDS_LIMIT_DEFAULT = 20;
/** Groups listed by /api/groups at most; each costs an offset lookup per partition. */
export const GROUPS_SHOWN_MAX = 500;

/** The console's files, read once at start: they change only with a new release. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

export interface ConsoleRoutes {
  readonly history: ThroughputHistory;
  close(): void;
}

export function registerConsole(admin: AdminServer, providers: ConsoleProviders, options: { sampleIntervalMs?: number } = {}): ConsoleRoutes {
  const history = new ThroughputHistory(providers, options.sampleIntervalMs);
  history.start();

  for (const [path, { file, type }] of Object.entries(STATIC_FILES)) {
    const body = readFileSync(join(import.meta.dirname, file));
    admin.route(`GET ${path}`, (_request, response) => {
      // The page is small and changes with a release; no-cache keeps an upgraded console from showing an old script.
      response.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
      response.end(body);
    });
  }

  admin.route('GET /api/topics', (_request, response) => {
    const topics = providers.topics.topics().map((topic) => {
      const records = topic.partitions.reduce((sum, partition) => sum + (partition.logEndOffset - partition.logStartOffset), 0n);
      const sizeBytes = topic.partitions.reduce((sum, partition) => sum + partition.sizeBytes, 0);
      return {
        name: topic.name,
        records,
        sizeBytes,
        ...history.rateOf(topic.name),
        partitions: topic.partitions.map((partition) => ({ ...partition, records: partition.logEndOffset - partition.logStartOffset })),
        config: topic.config,
      };
    });
    sendJson(response, 200, { topics });
  });

  admin.route('GET /api/groups', (_request, response) => {
    if (!providers.groups) return sendJson(response, 200, { configured: false, groups: [] });
    const ends = new Map<string, bigint>();
    for (const topic of providers.topics.topics()) for (const partition of topic.partitions) ends.set(`${topic.name}:${partition.partition}`, partition.logEndOffset);
    const groups = providers.groups.groups().slice(0, GROUPS_SHOWN_MAX).map((group) => {
      let totalLag = 0n;
      const partitions = group.offsets.map((entry) => {
        const logEndOffset = ends.get(`${entry.topic}:${entry.partition}`);
        // Offsets can outlive a deleted topic; there is no lag to speak of then.
        const lag = logEndOffset === undefined ? null : logEndOffset > entry.committedOffset ? logEndOffset - entry.committedOffset : 0n;
        if (lag !== null) totalLag += lag;
        return { topic: entry.topic, partition: entry.partition, committedOffset: entry.committedOffset, logEndOffset: logEndOffset ?? null, lag };
      }).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      return { groupId: group.groupId, state: group.state, protocolType: group.protocolType, members: group.members, partitions, totalLag };
    }).sort((a, b) => a.groupId.localeCompare(b.groupId));
    sendJson(response, 200, { configured: true, groups });
  });

  admin.route('GET /api/mqtt/clients', (_request, response) => {
    if (!providers.mqttClients) return sendJson(response, 200, { configured: false, clients: [] });
    sendJson(response, 200, { configured: true, clients: providers.mqttClients.clients() });
  });

  admin.route('GET /api/history', (_request, response) => {
    sendJson(response, 200, { intervalMs: history.intervalMs, samples: history.samples() });
  });

  admin.route('GET /api/records', (request, response) => recordsRoute(providers, request, response));

  return { history, close: () => history.stop() };
}

/**
 * GET /api/records?topic=NAME&partition=P&limit=N[&decode=MODE]: the newest records of a
 * partition, payloads decoded to JSON (CBOR and SenML recognised unless decode says otherwise).
 */
async function recordsRoute(providers: ConsoleProviders, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const query = new URL(request.url ?? '/', 'http://admin').searchParams;
  const topic = query.get('topic');
  if (!topic) return sendJson(response, 400, { error: 'query parameter topic is required: /api/records?topic=NAME&partition=0&limit=20' });
  const partition = wholeNumber(query.get('partition') ?? '0');
  const limit = wholeNumber(query.get('limit') ?? String(RECORDS_LIMIT_DEFAULT));
  if (partition === undefined) return sendJson(response, 400, { error: `partition must be a whole number, not "${query.get('partition')}"` });
  if (limit === undefined || limit < 1 || limit > RECORDS_LIMIT_MAX) return sendJson(response, 400, { error: `limit must be 1 to ${RECORDS_LIMIT_MAX}, not "${query.get('limit')}"` });
  let decode: DecodeMode;
  try {
    decode = parseDecodeMode(query.get('decode') ?? 'auto');
  } catch {
    return sendJson(response, 400, { error: `decode must be one of ${DECODE_MODES.join(', ')}` });
  }
  const records = await providers.topics.latestRecords(topic, partition, limit);
  if (records === undefined) {
    const known = providers.topics.topics().map((entry) => entry.name).sort();
    const exists = known.includes(topic);
    return sendJson(response, 404, { error: exists ? `topic ${topic} has no partition ${partition}` : `no topic named ${topic}; topics: ${known.join(', ') || '(none)'}` });
  }
  sendJson(response, 200, { topic, partition, records: records.map((record) => recordToJson(record, decode)) });
}

function wholeNumber(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

// The fleet view's HTTP routes: the page (a shell and its browser modules, fleet-page.ts),
// a JSON API beside every view, Prometheus metrics and liveness. Everything is GET.
//   GET /api/edges          every edge: newest heartbeat, health, alerts, recent history for sparklines
//   GET /api/edges/<id>     one edge: the same, its topics, errors (first and last seen, count), versions
//   GET /api/alerts         edges with an alert, and the thresholds
//   GET /metrics            Prometheus metrics (fleet-metrics.ts)
//   GET /health             liveness
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { fleetRegistry } from './fleet-metrics.ts';
import { fleetPageFile } from './fleet-page.ts';
import type { EdgeSummary, FleetView } from './fleet.ts';

/** Heartbeats per edge in the list's sparklines: the last half hour at the default interval. */
const SPARKLINE_SAMPLES_MAX = 60;
/** Edges listed by /api/edges at most; the page filters and sorts within them. */
export const EDGES_LISTED_MAX = 5_000;

const registries = new WeakMap<FleetView, Registry>();

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function withHistory(view: FleetView, edge: EdgeSummary, samples: number) {
  const history = view.history(edge.edge)?.samples.slice(-samples) ?? [];
  return { ...edge, history: { sentAtMs: history.map((sample) => sample.sentAtMs), receivedAtMs: history.map((sample) => sample.receivedAtMs), lagRecords: history.map((sample) => sample.lagRecords), lagSeconds: history.map((sample) => sample.lagSeconds), throughputBytesPerSecond: history.map((sample) => sample.throughputBytesPerSecond) } };
}

export async function handleFleetRequest(view: FleetView, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://fleet');
  const path = url.pathname;
  if (request.method !== 'GET') return json(response, 405, { error: `${request.method} is not allowed: the fleet view changes nothing` });
  const options = view.options;
  if (path === '/api/edges') {
    const edges = view.edges();
    return json(response, 200, { generatedAtMs: Date.now(), topic: options.topic, total: edges.length, thresholds: options.thresholds, edges: edges.slice(0, EDGES_LISTED_MAX).map((edge) => withHistory(view, edge, SPARKLINE_SAMPLES_MAX)) });
  }
  if (path.startsWith('/api/edges/')) {
    const id = decodeURIComponent(path.slice('/api/edges/'.length));
    const edge = view.edges().find((entry) => entry.edge === id);
    if (edge === undefined) return json(response, 404, { error: `no heartbeat from an edge named ${id}` });
    return json(response, 200, { ...withHistory(view, edge, Number.MAX_SAFE_INTEGER), errorsSeen: view.history(id)?.errors() ?? [] });
  }
  if (path === '/api/alerts') {
    const alerting = view.edges().filter((edge) => edge.alerts.length > 0).map((edge) => ({ edge: edge.edge, alerts: edge.alerts, sentAtMs: edge.sentAtMs }));
    return json(response, 200, { thresholds: options.thresholds, edges: alerting });
  }
  if (path === '/metrics') {
    let registry = registries.get(view);
    if (registry === undefined) {
      registry = fleetRegistry(() => view.edges(), options.thresholds, options.now);
      registries.set(view, registry);
    }
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType });
    response.end(body);
    return;
  }
  if (path === '/health') return json(response, 200, { status: 'ok', role: 'fleet', edges: view.edges().length });
  const file = await fleetPageFile(path);
  if (file !== undefined) {
    response.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
    response.end(file.body);
    return;
  }
  return json(response, 404, { error: `no such path: ${path} (try /, /api/edges, /api/edges/<id>, /api/alerts, /metrics)` });
}

// The fleet page: one table, one row per edge, rendered on the server (no script), and
// refreshed by the browser every few seconds.
import type { EdgeSummary } from './fleet.ts';

/** How often the page reloads itself. */
const REFRESH_SECONDS = 5;

const HEALTH_COLOURS: Record<EdgeSummary['health'], string> = { ok: '#1a7f37', lagging: '#9a6700', 'link-down': '#cf222e', silent: '#6e7781' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function bytes(count: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function ago(fromMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function renderFleetPage(edges: readonly EdgeSummary[], context: { topic: string; bootstrap: string; generatedAtMs: number }): string {
  const now = context.generatedAtMs;
  const rows = edges.map((edge) => `<tr>
<td>${escape(edge.edge)}</td>
<td style="color:${HEALTH_COLOURS[edge.health]};font-weight:bold">${edge.health}</td>
<td title="${new Date(edge.sentAtMs).toISOString()}">${ago(edge.sentAtMs, now)}</td>
<td>${escape(edge.linkState)}</td>
<td class="n">${edge.lagRecords.toLocaleString('en')}</td>
<td class="n">${bytes(edge.lagBytes)}</td>
<td class="n">${edge.lagSeconds.toFixed(1)} s</td>
<td class="n">${bytes(edge.throughputBytesPerSecond)}/s</td>
<td class="n">${bytes(edge.bytesSent)}</td>
<td class="n">${edge.errors}</td>
<td class="n"${edge.evictedUndeliveredRecords > 0 ? ' style="color:#cf222e;font-weight:bold"' : ''}>${edge.evictedUndeliveredRecords}</td>
<td>${edge.lastError === null ? '' : `${escape(edge.lastError)} <small>(${ago(edge.lastErrorAtMs, now)})</small>`}</td>
</tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>Tributary fleet</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #d0d7de; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Tributary fleet</h1>
<p>${edges.length} edges, from heartbeats in <code>${escape(context.topic)}</code> on <code>${escape(context.bootstrap)}</code>. JSON: <a href="/api/edges">/api/edges</a>.</p>
<table>
<thead><tr><th>edge</th><th>health</th><th>last contact</th><th>link</th><th>backlog (records)</th><th>backlog (bytes)</th><th>behind</th><th>throughput</th><th>sent</th><th>errors</th><th>lost</th><th>last error</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="12">no heartbeat yet</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}

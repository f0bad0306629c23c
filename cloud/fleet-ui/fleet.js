// The fleet page: every edge in a table that sorts by any column and filters by text,
// health or alert, with sparklines of backlog, throughput and heartbeat delay; and a page
// per edge (#/edge/<id>) with its topics, errors, versions and charts. It asks the JSON API
// again every REFRESH_MS and redraws in place; the page itself never reloads.
import { ago, definitions, el, formatBytes, formatCount, formatDuration, getJson, table } from '/fleet/web/dom.js';
import { lineChart, sparkline } from '/fleet/web/chart.js';

/** The fleet view reads heartbeats as they arrive; edges send one every 30 s by default. */
const REFRESH_MS = 5000;
const HEALTH_CLASS = { ok: 'good', lagging: 'warn', 'link-down': 'bad', silent: 'bad' };

const COLUMNS = [
  { key: 'edge', title: 'Edge', value: (edge) => edge.edge },
  { key: 'health', title: 'Health', value: (edge) => edge.health },
  { key: 'alerts', title: 'Alerts', value: (edge) => edge.alerts.join(' ') },
  { key: 'sentAtMs', title: 'Last contact', value: (edge) => edge.sentAtMs, numeric: true },
  { key: 'lagRecords', title: 'Backlog', value: (edge) => edge.lagRecords, numeric: true },
  { key: 'lagSeconds', title: 'Behind', value: (edge) => edge.lagSeconds, numeric: true },
  { key: 'throughputBytesPerSecond', title: 'Throughput', value: (edge) => edge.throughputBytesPerSecond, numeric: true },
  { key: 'errors', title: 'Errors', value: (edge) => edge.errors, numeric: true },
  { key: 'evictedUndeliveredRecords', title: 'Lost', value: (edge) => edge.evictedUndeliveredRecords, numeric: true },
  { key: 'softwareVersion', title: 'Version', value: (edge) => edge.softwareVersion ?? '' },
];

const state = { sort: 'edge', descending: false, filter: '', health: '', alert: '' };
const main = document.getElementById('page');
let timer;

function badge(text, kind) {
  return el('span', { class: `badge ${kind}` }, text);
}

function delays(edge) {
  return edge.history.receivedAtMs.map((received, index) => Math.max(0, (received - edge.history.sentAtMs[index]) / 1000));
}

function listRows(edges, now) {
  return edges.map((edge) => [
    el('a', { href: `#/edge/${encodeURIComponent(edge.edge)}` }, edge.edge),
    badge(edge.health, HEALTH_CLASS[edge.health] ?? ''),
    edge.alerts.length === 0 ? '–' : edge.alerts.map((alert) => badge(alert, 'bad')),
    el('span', { title: new Date(edge.sentAtMs).toISOString() }, ago(edge.sentAtMs, now)),
    [formatCount(edge.lagRecords), sparkline(edge.history.lagRecords, { color: '#d9822b', label: 'backlog' })],
    formatDuration(edge.lagSeconds),
    [`${formatBytes(edge.throughputBytesPerSecond)}/s`, sparkline(edge.history.throughputBytesPerSecond, { label: 'throughput' })],
    formatCount(edge.errors),
    { value: formatCount(edge.evictedUndeliveredRecords), class: edge.evictedUndeliveredRecords > 0 ? 'bad' : '' },
    edge.softwareVersion ?? '–',
  ]);
}

async function showList() {
  const body = await getJson('/api/edges');
  const now = Date.now();
  const text = state.filter.toLowerCase();
  const shown = body.edges
    .filter((edge) => text === '' || edge.edge.toLowerCase().includes(text) || (edge.lastError ?? '').toLowerCase().includes(text))
    .filter((edge) => state.health === '' || edge.health === state.health)
    .filter((edge) => state.alert === '' || (state.alert === 'any' ? edge.alerts.length > 0 : edge.alerts.includes(state.alert)));
  const column = COLUMNS.find((entry) => entry.key === state.sort) ?? COLUMNS[0];
  shown.sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return state.descending ? -order : order;
  });
  const alerting = body.edges.filter((edge) => edge.alerts.length > 0).length;
  document.getElementById('summary').textContent = `${body.total} edges · ${alerting} with alerts · heartbeats from ${body.topic}`;
  const list = table(COLUMNS.map((entry) => entry.title), listRows(shown, now), { empty: body.total === 0 ? 'no heartbeat yet' : 'no edge matches', numeric: [4, 5, 6, 7, 8], attributes: { id: 'edges' }, rowAttributes: (index) => ({ 'data-edge': shown[index].edge }) });
  list.querySelectorAll('th').forEach((heading, index) => {
    const key = COLUMNS[index].key;
    heading.classList.add('sortable');
    heading.dataset.sort = key;
    if (key === state.sort) heading.setAttribute('aria-sort', state.descending ? 'descending' : 'ascending');
    heading.addEventListener('click', () => {
      state.descending = state.sort === key ? !state.descending : Boolean(COLUMNS[index].numeric);
      state.sort = key;
      void refresh();
    });
  });
  const filter = el('input', { id: 'filter', type: 'search', placeholder: 'edge or error contains…', value: state.filter, size: 26 });
  filter.addEventListener('input', () => { state.filter = filter.value; void refresh(); });
  const health = el('select', { id: 'filter-health' }, ['', 'ok', 'lagging', 'link-down', 'silent'].map((value) => el('option', { value, selected: value === state.health }, value || 'any health')));
  health.addEventListener('change', () => { state.health = health.value; void refresh(); });
  const alert = el('select', { id: 'filter-alert' }, ['', 'any', 'stale', 'backlog-growing', 'data-loss', 'clock-skew'].map((value) => el('option', { value, selected: value === state.alert }, value === '' ? 'alerts or not' : value === 'any' ? 'any alert' : value)));
  alert.addEventListener('change', () => { state.alert = alert.value; void refresh(); });
  const focused = document.activeElement?.id;
  const t = body.thresholds;
  main.replaceChildren(
    el('div', { class: 'toolbar' }, el('label', null, 'Filter', filter), el('label', null, 'Health', health), el('label', null, 'Alert', alert)),
    list,
    el('p', { class: 'muted' }, `Alerts: stale after ${t.staleAfterSeconds} s without a heartbeat; backlog-growing past ${formatCount(t.backlogGrowthRecords)} records in ${formatDuration(t.backlogGrowthWindowSeconds)}; data-loss when an edge evicted undelivered records; clock-skew beyond ${t.clockSkewSeconds} s. JSON: `, el('a', { href: '/api/edges' }, '/api/edges'), ', ', el('a', { href: '/api/alerts' }, '/api/alerts'), ', metrics: ', el('a', { href: '/metrics' }, '/metrics')),
  );
  if (focused) document.getElementById(focused)?.focus();
}

async function showEdge(id) {
  const edge = await getJson(`/api/edges/${encodeURIComponent(id)}`);
  const now = Date.now();
  const h = edge.history;
  const chart = (values, format, name, color) => (h.sentAtMs.length < 2 ? el('p', { class: 'muted' }, 'the chart appears after two heartbeats') : lineChart([{ name, color, points: h.sentAtMs.map((atMs, index) => ({ atMs, value: values[index] })) }], { startMs: h.sentAtMs[0], endMs: h.sentAtMs.at(-1), format, label: name }));
  document.getElementById('summary').textContent = `edge ${edge.edge}`;
  main.replaceChildren(
    el('p', null, el('a', { href: '#/' }, 'Fleet'), ' › ', edge.edge),
    el('h2', null, `Edge ${edge.edge} `, badge(edge.health, HEALTH_CLASS[edge.health] ?? ''), ' ', edge.alerts.map((alert) => badge(alert, 'bad'))),
    definitions([
      ['Last contact', `${ago(edge.sentAtMs, now)} (${new Date(edge.sentAtMs).toISOString()}, by the edge's clock)`],
      ['Clock skew', edge.clockSkewSeconds === null ? 'not measured yet' : `${edge.clockSkewSeconds.toFixed(1)} s`],
      ['Link', edge.linkState],
      ['Backlog', `${formatCount(edge.lagRecords)} records, ${formatBytes(edge.lagBytes)}, ${formatDuration(edge.lagSeconds)} behind${edge.backlogGrowthRecords === null ? '' : `; ${edge.backlogGrowthRecords >= 0 ? '+' : ''}${formatCount(edge.backlogGrowthRecords)} over the alert window`}`],
      ['Sent', `${formatBytes(edge.bytesSent)}, ${formatCount(edge.recordsDelivered)} records since the mirror started ${ago(edge.startedAtMs, now)}`],
      ['Records lost', el('span', { class: edge.evictedUndeliveredRecords > 0 ? 'bad' : null }, formatCount(edge.evictedUndeliveredRecords))],
      ['Software version', el('span', { id: 'software-version' }, edge.softwareVersion ?? 'not reported')],
      ['Config version', el('span', { id: 'config-version' }, edge.configVersion ?? 'not reported')],
      ['Heartbeats read', formatCount(edge.heartbeatsSeen)],
    ], { id: 'edge-facts' }),
    el('h3', null, 'Topics'),
    table(['Topic', 'Partitions', 'Backlog'], (edge.topics ?? []).map((topic) => [topic.topic, topic.partitions, formatCount(topic.backlogRecords)]), { empty: 'the edge reports no topics (older software, or nothing mirrored yet)', numeric: [1, 2], attributes: { id: 'edge-topics' } }),
    el('h3', null, 'Errors'),
    table(['Error', 'First seen', 'Last seen', 'Count'], edge.errorsSeen.map((error) => [error.message, new Date(error.firstSeenMs).toISOString(), [ago(error.lastSeenMs, now), now - error.lastSeenMs < 2 * 30_000 ? el('span', { class: 'badge bad' }, ' ongoing') : ''], formatCount(error.count)]), { empty: 'no errors reported', numeric: [3], attributes: { id: 'edge-errors' } }),
    el('h3', null, 'History'),
    el('figure', null, el('figcaption', null, 'Backlog, records'), chart(h.lagRecords, (value) => formatCount(Math.round(value)), 'backlog', '#d9822b')),
    el('figure', null, el('figcaption', null, 'Throughput, bytes per second'), chart(h.throughputBytesPerSecond, formatBytes, 'throughput', '#2f6fb3')),
    el('figure', null, el('figcaption', null, 'Last contact: seconds between sending a heartbeat and the fleet view reading it'), chart(delays(edge), (value) => `${value.toFixed(1)} s`, 'delay', '#6b7785')),
  );
}

async function refresh() {
  clearTimeout(timer);
  const status = document.getElementById('status');
  const match = /^#\/edge\/(.+)$/.exec(location.hash);
  try {
    if (match) await showEdge(decodeURIComponent(match[1]));
    else await showList();
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove('error');
  } catch (error) {
    status.textContent = `refresh failed: ${error.message}`;
    status.classList.add('error');
  }
  document.body.dataset.loaded = 'true';
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

window.addEventListener('hashchange', () => { document.body.dataset.loaded = 'false'; void refresh(); });
void refresh();

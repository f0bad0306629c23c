// The Tributary console: reads the admin API's JSON every few seconds and redraws the
// tables and charts. Plain DOM code with no framework and no build step, so that the
// device serves it as a file. Everything shown from the broker goes in as text, never as
// HTML: topic names, client ids and payloads are data.
'use strict';

/** How often the page asks for fresh numbers; the daemon samples its rates every 2 s. */
const REFRESH_INTERVAL_MS = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';

const state = { selectedTopic: null, topics: [] };

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

function fillRows(tbody, rows, columns, emptyText) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    tbody.append(el('tr', {}, el('td', { colspan: columns, class: 'empty' }, emptyText)));
    return;
  }
  for (const row of rows) tbody.append(row);
}

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatRate(value) {
  return value >= 100 ? Math.round(value).toLocaleString() : value.toFixed(1);
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

async function refreshHealth() {
  const health = await fetch('/health', { cache: 'no-store' }).then((response) => response.json());
  document.getElementById('node').textContent = `node ${health.node} · ${health.status} · up ${health.uptimeSeconds} s · ${formatBytes(health.diskUsageBytes ?? 0)} on disk`;
}

async function refreshTopics() {
  const { topics } = await getJson('/api/topics');
  state.topics = topics;
  const rows = topics.map((topic) => {
    const row = el('tr', { 'data-topic': topic.name },
      el('td', {}, topic.name),
      el('td', { class: 'number' }, topic.partitions.length),
      el('td', { class: 'number' }, Number(topic.records).toLocaleString()),
      el('td', { class: 'number' }, formatBytes(topic.sizeBytes)),
      el('td', { class: 'number' }, formatRate(topic.recordsPerSecond)),
      el('td', { class: 'number' }, formatBytes(topic.bytesPerSecond)));
    if (topic.name === state.selectedTopic) row.classList.add('selected');
    row.addEventListener('click', () => selectTopic(topic.name));
    return row;
  });
  fillRows(document.querySelector('#topics tbody'), rows, 6, 'no topics yet');
  if (state.selectedTopic !== null) renderPartitions();
}

function selectTopic(name) {
  const changed = state.selectedTopic !== name;
  state.selectedTopic = name;
  document.getElementById('topic-detail').hidden = false;
  document.getElementById('topic-detail-title').textContent = `Topic ${name}`;
  for (const row of document.querySelectorAll('#topics tbody tr')) row.classList.toggle('selected', row.dataset.topic === name);
  renderPartitions();
  if (changed) {
    const topic = state.topics.find((entry) => entry.name === name);
    const select = document.getElementById('records-partition');
    select.replaceChildren(...(topic?.partitions ?? []).map((partition) => el('option', { value: partition.partition }, partition.partition)));
  }
  void refreshRecords();
}

function renderPartitions() {
  const topic = state.topics.find((entry) => entry.name === state.selectedTopic);
  const rows = (topic?.partitions ?? []).map((partition) => el('tr', {},
    el('td', { class: 'number' }, partition.partition),
    el('td', { class: 'number' }, partition.logStartOffset),
    el('td', { class: 'number' }, partition.logEndOffset),
    el('td', { class: 'number' }, Number(partition.records).toLocaleString()),
    el('td', { class: 'number' }, formatBytes(partition.sizeBytes))));
  fillRows(document.querySelector('#partitions tbody'), rows, 5, 'topic deleted');
}

async function refreshRecords() {
  if (state.selectedTopic === null) return;
  const partition = document.getElementById('records-partition').value || '0';
  const limit = document.getElementById('records-limit').value;
  const tbody = document.querySelector('#records tbody');
  try {
    const { records } = await getJson(`/api/records?topic=${encodeURIComponent(state.selectedTopic)}&partition=${partition}&limit=${limit}`);
    const rows = records.slice().reverse().map((record) => el('tr', {},
      el('td', { class: 'number' }, record.offset),
      el('td', {}, record.time ?? record.timestamp),
      el('td', {}, typeof record.key === 'string' ? record.key : JSON.stringify(record.key)),
      el('td', {}, record.valueFormat),
      el('td', { class: 'value' }, typeof record.value === 'string' ? record.value : JSON.stringify(record.value))));
    fillRows(tbody, rows, 5, 'no records in this partition');
  } catch (error) {
    fillRows(tbody, [el('tr', {}, el('td', { colspan: 5, class: 'error' }, error.message))], 5, '');
  }
}

async function refreshGroups() {
  const { groups } = await getJson('/api/groups');
  const rows = groups.map((group) => el('tr', {},
    el('td', {}, group.groupId),
    el('td', {}, group.state),
    el('td', { class: 'number' }, group.members.length),
    el('td', { class: 'number' }, Number(group.totalLag).toLocaleString()),
    el('td', {}, group.partitions.map((entry) => `${entry.topic}/${entry.partition}: ${entry.lag ?? '–'}`).join(', '))));
  fillRows(document.querySelector('#groups tbody'), rows, 5, 'no consumer groups');
}

async function refreshMqtt() {
  const { configured, clients } = await getJson('/api/mqtt/clients');
  const rows = clients.map((client) => el('tr', {},
    el('td', {}, client.clientId),
    el('td', {}, client.address ?? '–'),
    el('td', {}, client.protocolVersion === 4 ? 'MQTT 3.1.1' : client.protocolVersion === 3 ? 'MQTT 3.1' : client.protocolVersion ?? '–'),
    el('td', {}, client.cleanSession ? 'yes' : 'no'),
    el('td', {}, client.connectedAt ?? '–')));
  fillRows(document.querySelector('#mqtt-clients tbody'), rows, 5, configured ? 'no clients connected' : 'MQTT is not configured');
}

async function refreshMirror() {
  const list = document.getElementById('mirror');
  let mirror;
  try {
    mirror = await getJson('/api/mirror');
  } catch {
    mirror = { configured: false, reason: 'this edge has no mirror API' };
  }
  const entries = mirror.configured === false
    ? [['State', `not configured${mirror.reason ? ` (${mirror.reason})` : ''}`]]
    : [
      ['State', mirror.state],
      ['Central cluster', mirror.target],
      ['Backlog', `${Number(mirror.backlogRecords).toLocaleString()} records, ${formatBytes(mirror.backlogBytes ?? 0)}, ${mirror.backlogSeconds ?? 0} s behind`],
      ['Delivered', `${Number(mirror.deliveredRecordsTotal).toLocaleString()} records since start`],
      ['Lost', `${Number(mirror.lostRecordsTotal ?? 0).toLocaleString()} records`],
      ['Last error', mirror.lastError ?? 'none'],
    ];
  list.replaceChildren(...entries.flatMap(([term, description]) => [el('dt', {}, term), el('dd', {}, description)]));
}

/** Per-second rates between consecutive samples of a running total. */
function rates(samples, field) {
  const points = [];
  for (let index = 1; index < samples.length; index += 1) {
    const before = samples[index - 1];
    const after = samples[index];
    if (before[field] === null || after[field] === null) continue;
    const seconds = (after.atMs - before.atMs) / 1000;
    if (seconds > 0) points.push({ atMs: after.atMs, value: Math.max(0, (after[field] - before[field]) / seconds) });
  }
  return points;
}

function drawChart(container, series, startMs, endMs) {
  const width = 800;
  const height = 160;
  const pad = { left: 48, right: 8, top: 8, bottom: 18 };
  const maximum = Math.max(1, ...series.flatMap((line) => line.points.map((point) => point.value)));
  const x = (atMs) => pad.left + ((atMs - startMs) / Math.max(1, endMs - startMs)) * (width - pad.left - pad.right);
  const y = (value) => height - pad.bottom - (value / maximum) * (height - pad.top - pad.bottom);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const add = (tag, attributes, text) => {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add('line', { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), stroke: '#c5ccd3' });
  add('line', { x1: pad.left, y1: y(maximum), x2: width - pad.right, y2: y(maximum), stroke: '#eef1f4' });
  add('text', { x: pad.left - 4, y: y(maximum) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7785' }, formatRate(maximum));
  add('text', { x: pad.left - 4, y: y(0), 'text-anchor': 'end', 'font-size': 11, fill: '#6b7785' }, '0');
  const spanSeconds = Math.round((endMs - startMs) / 1000);
  add('text', { x: pad.left, y: height - 4, 'font-size': 11, fill: '#6b7785' }, spanSeconds < 120 ? `${spanSeconds} s ago` : `${Math.round(spanSeconds / 60)} min ago`);
  add('text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7785' }, 'now');
  for (const line of series) {
    if (line.points.length === 0) continue;
    add('polyline', { class: line.name, fill: 'none', stroke: line.color, 'stroke-width': 2, points: line.points.map((point) => `${x(point.atMs).toFixed(1)},${y(point.value).toFixed(1)}`).join(' ') });
  }
  container.replaceChildren(svg);
}

async function refreshCharts() {
  const { samples } = await getJson('/api/history');
  if (samples.length === 0) return;
  const startMs = samples[0].atMs;
  const endMs = samples[samples.length - 1].atMs;
  drawChart(document.getElementById('throughput-chart'), [
    { name: 'appended', color: '#2f6fb3', points: rates(samples, 'recordsTotal') },
    { name: 'mirrored', color: '#d9822b', points: rates(samples, 'mirrorDeliveredTotal') },
  ], startMs, endMs);
  drawChart(document.getElementById('backlog-chart'), [
    { name: 'backlog', color: '#d9822b', points: samples.filter((sample) => sample.mirrorBacklogRecords !== null).map((sample) => ({ atMs: sample.atMs, value: sample.mirrorBacklogRecords })) },
  ], startMs, endMs);
}

async function refresh() {
  const status = document.getElementById('status');
  const results = await Promise.allSettled([refreshHealth(), refreshTopics(), refreshGroups(), refreshMqtt(), refreshMirror(), refreshCharts()]);
  const failed = results.find((result) => result.status === 'rejected');
  status.textContent = failed ? `refresh failed: ${failed.reason.message ?? failed.reason}` : `updated ${new Date().toLocaleTimeString()}`;
  status.classList.toggle('error', Boolean(failed));
  document.body.dataset.loaded = 'true';
}

document.getElementById('records-refresh').addEventListener('click', () => void refreshRecords());
document.getElementById('records-partition').addEventListener('change', () => void refreshRecords());
document.getElementById('records-limit').addEventListener('change', () => void refreshRecords());
void refresh();
setInterval(() => void refresh(), REFRESH_INTERVAL_MS);

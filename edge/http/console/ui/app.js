// The Tributary console: one page per view, chosen by the address's #fragment, each
// drawn from the admin API's JSON. One server-sent event stream (/api/events) brings the
// overview after every sample; the page in view redraws from it, or fetches its own JSON
// when it arrives. Plain browser modules served by the daemon: no build step.
import { el, formatBytes, getJson } from '/console/web/dom.js';
import * as overview from './pages/overview.js';
import * as topics from './pages/topics.js';
import * as topic from './pages/topic.js';
import * as groups from './pages/groups.js';
import * as group from './pages/group.js';
import * as mirror from './pages/mirror.js';
import * as mqttClients from './pages/mqtt-clients.js';
import * as mqttClient from './pages/mqtt-client.js';
import * as pipelines from './pages/pipelines.js';
import * as pipeline from './pages/pipeline.js';

/**
 * Routes: a pattern of the fragment's path and the page module that draws it. A page
 * module exports `show(main, params)`, returning { update(overview), close() }.
 */
const ROUTES = [
  [/^\/overview$/, overview, 'overview'],
  [/^\/topics$/, topics, 'topics'],
  [/^\/topics\/(.+)$/, topic, 'topics'],
  [/^\/groups$/, groups, 'groups'],
  [/^\/groups\/(.+)$/, group, 'groups'],
  [/^\/mirror$/, mirror, 'mirror'],
  [/^\/mqtt$/, mqttClients, 'mqtt'],
  [/^\/mqtt\/(.+)$/, mqttClient, 'mqtt'],
  [/^\/pipelines$/, pipelines, 'pipelines'],
  [/^\/pipelines\/(.+)$/, pipeline, 'pipelines'],
];

const main = document.getElementById('page');
const status = document.getElementById('status');
let current = null;
let latestOverview = null;

function setStatus(text, failed) {
  status.textContent = text;
  status.classList.toggle('error', failed);
}

async function update(view) {
  if (!view || !latestOverview) return;
  try {
    await view.update(latestOverview);
    if (view === current) setStatus(`updated ${new Date().toLocaleTimeString()}`, false);
  } catch (error) {
    if (view === current) setStatus(`refresh failed: ${error.message}`, true);
  }
  document.body.dataset.loaded = 'true';
}

function route() {
  const path = decodeURI(location.hash.replace(/^#/, '')) || '/overview';
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  current?.close();
  main.replaceChildren();
  document.body.dataset.loaded = 'false';
  if (!found) {
    main.append(el('p', { class: 'error' }, `no page at ${path}`));
    current = null;
    return;
  }
  const [pattern, page, section] = found;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('current', link.dataset.page === section);
  const params = pattern.exec(path).slice(1).map((part) => decodeURIComponent(part));
  current = page.show(main, params);
  void update(current);
}

function showNode(body) {
  const node = body.node;
  document.getElementById('node').textContent = `node ${node.node} · ${node.status} · up ${node.uptimeSeconds} s · ${formatBytes(body.disk.usedBytes)} on disk`;
}

// The first overview comes by plain fetch, so that a page draws even where event streams are blocked.
getJson('/api/overview').then((body) => { latestOverview = body; showNode(body); void update(current); }, (error) => setStatus(`cannot reach the admin API: ${error.message}`, true));
const events = new EventSource('/api/events');
events.addEventListener('overview', (message) => {
  latestOverview = JSON.parse(message.data);
  showNode(latestOverview);
  void update(current);
});
events.addEventListener('error', () => setStatus('live updates interrupted; reconnecting…', true));
window.addEventListener('hashchange', route);
route();

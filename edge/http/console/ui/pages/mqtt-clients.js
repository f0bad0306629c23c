// MQTT clients: how many are connected and how many sessions are kept for clients that
// left, a filter between the two, a search by client id or user name, and the list a page
// at a time.
import { el, formatCount, getJson, table } from '/console/web/dom.js';

const PROTOCOLS = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };
const EMPTY = { connected: 'no clients connected', offline: 'no sessions kept for clients that left', all: 'no clients connected and no sessions kept' };

export function protocolName(version) {
  return PROTOCOLS[version] ?? (version === null ? '–' : `level ${version}`);
}

/** Connected, or offline with its session kept. */
export function sessionBadge(sessionState, attributes = {}) {
  return el('span', { class: `badge ${sessionState === 'connected' ? 'good' : 'warn'}`, ...attributes }, sessionState);
}

export function show(main) {
  const summary = el('p', { id: 'mqtt-summary' });
  const search = el('input', { id: 'mqtt-search', type: 'search', placeholder: 'client id or user contains…', size: 28 });
  const state = el('select', { id: 'mqtt-state' }, [['connected', 'connected'], ['offline', 'offline (sessions kept)'], ['all', 'all']].map(([value, label]) => el('option', { value }, label)));
  const previous = el('button', { type: 'button', id: 'mqtt-previous' }, '‹ previous');
  const next = el('button', { type: 'button', id: 'mqtt-next' }, 'next ›');
  const pageInfo = el('span', { id: 'mqtt-page', class: 'muted' });
  const holder = el('div');
  let page = 1;
  let pages = 1;
  const load = async () => {
    const query = new URLSearchParams({ state: state.value, page: String(page), pageSize: '50' });
    if (search.value !== '') query.set('search', search.value);
    const body = await getJson(`/api/mqtt/clients?${query}`);
    pages = body.pages ?? 1;
    summary.replaceChildren(
      el('strong', { 'data-connected': body.connected }, formatCount(body.connected)), ' connected · ',
      el('strong', { 'data-offline': body.offline }, formatCount(body.offline)), ' offline with their sessions kept',
      body.persistentSessions === undefined ? '' : ` · ${formatCount(body.persistentSessions)} persistent sessions`,
      search.value === '' ? '' : el('span', { 'data-matched': body.matched }, ` · ${formatCount(body.matched)} match “${search.value}”`),
      body.offlineListed === undefined ? '' : el('span', { class: 'warn' }, ` · only the first ${formatCount(body.offlineListed)} offline sessions found are listed`),
    );
    pageInfo.textContent = `page ${body.page} of ${pages}`;
    previous.disabled = page <= 1;
    next.disabled = page >= pages;
    holder.replaceChildren(table(['Client id', 'State', 'User', 'Address', 'Protocol', 'Clean session', 'Since', 'Session expires', 'Subscriptions', 'Queued'], body.clients.map((client) => [
      el('a', { href: `#/mqtt/${encodeURIComponent(client.clientId)}` }, client.clientId),
      sessionBadge(client.sessionState),
      client.username ?? '–', client.address ?? '–', protocolName(client.protocolVersion), client.cleanSession ? 'yes' : 'no',
      client.connectedAt ?? client.disconnectedAt ?? '–', client.sessionState === 'connected' ? '–' : client.sessionExpiresAt ?? 'never',
      formatCount(client.subscriptionCount), formatCount(client.queuedMessages),
    ]), { empty: body.configured ? (search.value !== '' ? 'no client matches' : EMPTY[body.state]) : 'MQTT is not configured', numeric: [8, 9], attributes: { id: 'mqtt-clients' }, rowAttributes: (index) => ({ 'data-client': body.clients[index].clientId, 'data-session-state': body.clients[index].sessionState }) }));
  };
  let typing;
  state.addEventListener('change', () => { page = 1; void load(); });
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { page = 1; void load(); }, 250); });
  previous.addEventListener('click', () => { page = Math.max(1, page - 1); void load(); });
  next.addEventListener('click', () => { page = Math.min(pages, page + 1); void load(); });
  main.append(el('h2', null, 'MQTT clients'), summary, el('div', { class: 'toolbar' }, el('label', null, 'Show', state), el('label', null, 'Search', search), previous, pageInfo, next), holder);
  return { update: load, close() { clearTimeout(typing); } };
}

// MQTT clients: how many are connected, a search by client id or user name, and the list
// a page at a time.
import { el, formatCount, getJson, table } from '/console/web/dom.js';

const PROTOCOLS = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

export function protocolName(version) {
  return PROTOCOLS[version] ?? (version === null ? '–' : `level ${version}`);
}

export function show(main) {
  const summary = el('p', { id: 'mqtt-summary' });
  const search = el('input', { id: 'mqtt-search', type: 'search', placeholder: 'client id or user contains…', size: 28 });
  const previous = el('button', { type: 'button', id: 'mqtt-previous' }, '‹ previous');
  const next = el('button', { type: 'button', id: 'mqtt-next' }, 'next ›');
  const pageInfo = el('span', { id: 'mqtt-page', class: 'muted' });
  const holder = el('div');
  let page = 1;
  let pages = 1;
  const load = async () => {
    const query = new URLSearchParams({ page: String(page), pageSize: '50' });
    if (search.value !== '') query.set('search', search.value);
    const body = await getJson(`/api/mqtt/clients?${query}`);
    pages = body.pages ?? 1;
    summary.replaceChildren(el('strong', { 'data-connected': body.connected }, formatCount(body.connected)), ' connected', body.persistentSessions === undefined ? '' : ` · ${formatCount(body.persistentSessions)} persistent sessions`, search.value === '' ? '' : ` · ${formatCount(body.matched)} match “${search.value}”`);
    pageInfo.textContent = `page ${body.page} of ${pages}`;
    previous.disabled = page <= 1;
    next.disabled = page >= pages;
    holder.replaceChildren(table(['Client id', 'User', 'Address', 'Protocol', 'Clean session', 'Connected since'], body.clients.map((client) => [
      el('a', { href: `#/mqtt/${encodeURIComponent(client.clientId)}` }, client.clientId), client.username ?? '–', client.address ?? '–', protocolName(client.protocolVersion), client.cleanSession ? 'yes' : 'no', client.connectedAt ?? '–',
    ]), { empty: body.configured ? (search.value === '' ? 'no clients connected' : 'no client matches') : 'MQTT is not configured', attributes: { id: 'mqtt-clients' } }));
  };
  let typing;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { page = 1; void load(); }, 250); });
  previous.addEventListener('click', () => { page = Math.max(1, page - 1); void load(); });
  next.addEventListener('click', () => { page = Math.min(pages, page + 1); void load(); });
  main.append(el('h2', null, 'MQTT clients'), summary, el('div', { class: 'toolbar' }, el('label', null, 'Search', search), previous, pageInfo, next), holder);
  return { update: load, close() { clearTimeout(typing); } };
}

// GET /api/mqtt/clients?state=&search=&page=&pageSize=: the MQTT clients connected now, the
// sessions kept for clients that left (state=offline), or both (state=all), a page at a
// time, those whose client id or user name contains the search text (any case).
// GET /api/mqtt/client?id=: one client's session: subscriptions, queued and in-flight
// messages, last will, protocol version.
import { metricSum } from '../metric-reader.ts';
import { ApiRefusal, oneOf, required, shortText, wholeNumber, type ApiHandler } from './api-request.ts';

/** Clients on one page at most: a screenful. */
export const MQTT_PAGE_SIZE_MAX = 200;
const MQTT_PAGE_SIZE_DEFAULT = 50;
/** Longest search text: client ids are at most mqtt.limits.maxClientIdBytes. */
const SEARCH_CHARACTERS_MAX = 256;
/** Longest client id asked about. */
const CLIENT_ID_CHARACTERS_MAX = 65_535;
/** Which clients are listed; connected first, as the page opens on them. */
const STATES = ['connected', 'offline', 'all'] as const;
/** Offline sessions one request reads at most: well past an edge's fleet, and it bounds the time a page of them takes when devices that never come back have piled up. */
export const OFFLINE_SESSIONS_LISTED_MAX = 50_000;

export const mqttClientsApi: ApiHandler = async ({ providers, registry }, query) => {
  const pageSize = wholeNumber(query, 'pageSize', MQTT_PAGE_SIZE_DEFAULT, 1, MQTT_PAGE_SIZE_MAX);
  const page = wholeNumber(query, 'page', 1, 1, 1_000_000);
  const search = shortText(query, 'search', SEARCH_CHARACTERS_MAX).toLowerCase();
  const state = oneOf(query, 'state', STATES);
  if (!providers.mqttClients) return { configured: false, state, connected: 0, offline: 0, matched: 0, page, pageSize, clients: [] };
  const connected = providers.mqttClients.clients();
  // Listing connected clients, the offline sessions are only counted.
  const offline = providers.mqttClients.offlineSessions(state === 'connected' ? 0 : OFFLINE_SESSIONS_LISTED_MAX);
  const listed = state === 'connected' ? connected : state === 'offline' ? offline.sessions : [...connected, ...offline.sessions];
  const matched = search === '' ? listed : listed.filter((client) => client.clientId.toLowerCase().includes(search) || (client.username?.toLowerCase().includes(search) ?? false));
  matched.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  return {
    configured: true,
    state,
    connected: connected.length,
    offline: offline.total,
    /** Offline sessions listed, when there are more than OFFLINE_SESSIONS_LISTED_MAX: the first found, not the first by client id. */
    ...(offline.total > offline.sessions.length && state !== 'connected' ? { offlineListed: offline.sessions.length } : {}),
    persistentSessions: await metricSum(registry, 'tributary_mqtt_persistent_sessions'),
    matched: matched.length,
    page,
    pageSize,
    pages: Math.max(1, Math.ceil(matched.length / pageSize)),
    clients: matched.slice((page - 1) * pageSize, page * pageSize),
  };
};

export const mqttClientApi: ApiHandler = async ({ providers }, query) => {
  const id = required(query, 'id', '/api/mqtt/client?id=sensor-42');
  if (id.length > CLIENT_ID_CHARACTERS_MAX) throw new ApiRefusal(400, `id may be at most ${CLIENT_ID_CHARACTERS_MAX} characters`);
  if (!providers.mqttClients) throw new ApiRefusal(404, 'MQTT is not configured on this node');
  const client = await providers.mqttClients.client(id);
  if (!client) throw new ApiRefusal(404, `no MQTT client or session named ${id}`);
  return client;
};

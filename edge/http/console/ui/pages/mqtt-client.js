// One MQTT client: its session state (connected, or offline since when and until when),
// protocol, subscriptions, queued and in-flight messages and last will.
import { definitions, el, formatBytes, getJson, table } from '/console/web/dom.js';
import { protocolName, sessionBadge } from './mqtt-clients.js';

export function show(main, [clientId]) {
  const holder = el('div');
  main.append(el('p', null, el('a', { href: '#/mqtt' }, 'MQTT clients'), ' › ', clientId), el('h2', null, `Client ${clientId}`), holder);
  return {
    async update() {
      let client;
      try {
        client = await getJson(`/api/mqtt/client?id=${encodeURIComponent(clientId)}`);
      } catch (error) {
        holder.replaceChildren(el('p', { class: 'error' }, error.message));
        return;
      }
      holder.replaceChildren(
        definitions([
          ['Session', sessionBadge(client.sessionState, { id: 'client-session' })],
          ['Protocol', protocolName(client.protocolVersion)],
          ['User', client.username ?? '–'],
          ['Address', client.address ?? '–'],
          ...(client.sessionState === 'connected'
            ? [['Connected since', client.connectedAt]]
            : [['Offline since', client.disconnectedAt ?? '–'], ['Session expires', client.sessionExpiresAt ?? 'never, unless the client comes back with a clean session']]),
          ['Clean session', client.cleanSession ? 'yes' : 'no'],
          ['Keep-alive', client.keepAliveSeconds === null ? '–' : `${client.keepAliveSeconds} s`],
          ['Queued messages', el('span', { id: 'client-queued' }, client.queuedMessages)],
          ['In flight', `${client.inflightOutgoing} to the client, ${client.inflightIncoming} from it (QoS 2 awaiting release)`],
          ['Last will', client.will === null ? 'none' : `${client.will.topic} (QoS ${client.will.qos}${client.will.retain ? ', retained' : ''}, ${formatBytes(client.will.payloadBytes)})`],
        ], { id: 'client-facts' }),
        el('h3', null, 'Subscriptions'),
        table(['Filter', 'QoS'], client.subscriptions.map((subscription) => [subscription.filter, subscription.qos]), { empty: 'no subscriptions', numeric: [1], attributes: { id: 'client-subscriptions' } }),
      );
    },
    close() {},
  };
}

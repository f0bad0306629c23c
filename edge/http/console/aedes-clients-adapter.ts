// The console's MQTT clients provider over the aedes-based front end: connected clients
// from aedes's own table, sessions (subscriptions, queued and in-flight messages, wills)
// from the persistence it was given, through the aedes-persistence contract's public
// methods only. Another MQTT engine implements MqttClientsProvider itself; this file then
// goes away.
import type { Aedes, Client } from 'aedes';
import type { Socket } from 'node:net';
import type { MqttClientDetail, MqttClientsProvider, MqttClientSummary } from './providers.ts';

/** What this adapter reads of aedes beyond its declared types. */
interface AedesInternals {
  clients: Record<string, Client>;
  persistence: SessionPersistence;
  authenticate: (client: Client, username: string | undefined, password: Buffer | undefined, done: (error: Error | null, success: boolean) => void) => void;
}

/** The aedes-persistence methods read here (see edge/mqtt/session-store.ts). */
interface SessionPersistence {
  subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]>;
  getWill(client: { id: string }): Promise<{ topic?: string; qos?: number; retain?: boolean; payload?: Buffer | string } | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<{ messageId?: number }>;
  queuedCount?(clientId: string): number;
}

/** aedes's per-connection fields that the console shows. */
interface ClientInternals {
  subscriptions: Record<string, { qos: number }>;
  will: { topic?: string; qos?: number; retain?: boolean; payload?: Buffer | string } | null;
  _keepaliveInterval?: number;
  _inboundInflight?: Set<unknown>;
}

export function aedesClientsProvider(broker: Aedes): MqttClientsProvider {
  const internals = broker as unknown as AedesInternals;
  // aedes keeps neither a client's user name nor when it connected; both are noted here as
  // connections come and go (one entry per connection, gone with it).
  const usernames = new WeakMap<Client, string>();
  const connectedAt = new WeakMap<Client, string>();
  const authenticate = internals.authenticate.bind(broker);
  internals.authenticate = (client, username, password, done) => {
    if (typeof username === 'string' && username !== '') usernames.set(client, username);
    authenticate(client, username, password, done);
  };
  broker.on('client', (client) => connectedAt.set(client, new Date().toISOString()));

  const summary = (client: Client): MqttClientSummary => {
    const socket = client.conn as Partial<Socket>;
    const address = socket.remoteAddress ?? client.req?.socket.remoteAddress ?? null;
    return {
      clientId: client.id,
      username: usernames.get(client) ?? null,
      address: address === null ? null : `${address}${socket.remotePort !== undefined ? `:${socket.remotePort}` : ''}`,
      protocolVersion: client.version ?? null,
      cleanSession: client.clean,
      connectedAt: connectedAt.get(client) ?? null,
    };
  };

  return {
    clients() {
      return Object.values(internals.clients).filter((client) => client.connected).map(summary);
    },
    async client(clientId) {
      const live = internals.clients[clientId];
      const connected = live !== undefined && live.connected;
      const persistence = internals.persistence;
      const key = { id: clientId };
      const stored = await persistence.subscriptionsByClient(key);
      // A connected client's own table has its subscriptions, clean session or not.
      const subscriptions = connected
        ? Object.entries((live as unknown as ClientInternals).subscriptions).map(([filter, options]) => ({ filter, qos: options.qos }))
        : stored.map((entry) => ({ filter: entry.topic, qos: entry.qos }));
      let queued = 0;
      let inflight = 0;
      // At most mqtt.limits.maxQueuedPerClient entries: the session store bounds them.
      for await (const packet of persistence.outgoingStream(key)) {
        if (packet.messageId === undefined) queued += 1;
        else inflight += 1;
      }
      const will = connected ? (live as unknown as ClientInternals).will : await persistence.getWill(key);
      if (!connected && stored.length === 0 && queued + inflight === 0 && !will) return undefined;
      const base: MqttClientSummary = connected ? summary(live) : { clientId, username: null, address: null, protocolVersion: null, cleanSession: false, connectedAt: null };
      const detail: MqttClientDetail = {
        ...base,
        connected,
        sessionState: connected ? 'connected' : 'offline',
        keepAliveSeconds: connected ? keepAliveOf(live) : null,
        subscriptions: subscriptions.sort((a, b) => a.filter.localeCompare(b.filter)),
        queuedMessages: queued,
        inflightOutgoing: inflight,
        inflightIncoming: connected ? ((live as unknown as ClientInternals)._inboundInflight?.size ?? 0) : 0,
        will: will && will.topic !== undefined ? { topic: will.topic, qos: will.qos ?? 0, retain: will.retain ?? false, payloadBytes: will.payload === undefined ? 0 : Buffer.byteLength(will.payload) } : null,
      };
      return detail;
    },
  };
}

function keepAliveOf(client: Client): number | null {
  const interval = (client as unknown as ClientInternals)._keepaliveInterval;
  // aedes keeps the time it waits for a packet: 1.5 times the client's keep-alive, in milliseconds, plus 1; -1 for none.
  return interval === undefined || interval < 0 ? null : Math.round((interval - 1) / 1500);
}

// What an operator's page shows of MQTT clients: the connected ones in a list, and one
// session (connected, or kept for a client that left) in detail. Plain data read from the
// engine in process, so the console needs nothing of the engine's insides.
import type { Broker } from './broker/broker.ts';
import type { Connection } from './broker/connection.ts';

/** One MQTT client as the client list shows it. */
export interface MqttClientSummary {
  clientId: string;
  /** The user name it connected with, or null (anonymous). */
  username: string | null;
  address: string | null;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  protocolVersion: number | null;
  cleanSession: boolean;
  connectedAt: string | null;
}

/** One MQTT client's session, for its own page. */
export interface MqttClientDetail extends MqttClientSummary {
  connected: boolean;
  /** connected; offline with a persistent session kept; or none (not connected, nothing kept). */
  sessionState: 'connected' | 'offline' | 'none';
  keepAliveSeconds: number | null;
  subscriptions: { filter: string; qos: number }[];
  /** QoS 1/2 messages held for the session and not yet sent. */
  queuedMessages: number;
  /** QoS 1/2 messages sent and not yet acknowledged (outgoing), plus QoS 2 messages received and awaiting PUBREL (incoming). */
  inflightOutgoing: number;
  inflightIncoming: number;
  will: { topic: string; qos: number; retain: boolean; payloadBytes: number } | null;
}

/** The connected clients, by client id. */
export function connectedClients(broker: Broker): MqttClientSummary[] {
  const found: MqttClientSummary[] = [];
  for (const connection of broker.connections) if (connection.connected) found.push(summaryOf(connection));
  return found.sort((a, b) => a.clientId.localeCompare(b.clientId));
}

/** One client's session, connected or kept offline; undefined when the broker holds nothing of it. */
export function clientDetail(broker: Broker, clientId: string): MqttClientDetail | undefined {
  let connection: Connection | undefined;
  for (const candidate of broker.connections) if (candidate.connected && candidate.clientId === clientId) connection = candidate;
  const session = broker.sessions.get(clientId);
  if (connection === undefined && session === undefined) return undefined;
  // A connected client's will is on its connection; a client that left may have one waiting its delay.
  const will = connection !== undefined ? connection.will : broker.wills.pending(clientId);
  const offline: MqttClientSummary = { clientId, username: null, address: null, protocolVersion: null, cleanSession: false, connectedAt: null };
  return {
    ...(connection !== undefined ? summaryOf(connection) : offline),
    connected: connection !== undefined,
    sessionState: connection !== undefined ? 'connected' : 'offline',
    keepAliveSeconds: connection !== undefined ? connection.keepAliveMs / 1000 : null,
    subscriptions: [...(session?.subscriptions.values() ?? [])].map((subscription) => ({ filter: subscription.filter, qos: subscription.qos })),
    queuedMessages: session === undefined ? 0 : session.heldCount - session.inflightCount,
    inflightOutgoing: session?.inflightCount ?? 0,
    inflightIncoming: session?.incoming?.size ?? 0,
    will: will === undefined ? null : { topic: will.message.topic, qos: will.message.qos, retain: will.message.retain, payloadBytes: will.message.payload.length },
  };
}

function summaryOf(connection: Connection): MqttClientSummary {
  return {
    clientId: connection.clientId,
    username: connection.username ?? null,
    address: connection.remote ?? null,
    protocolVersion: connection.protocolLevel,
    cleanSession: connection.clean,
    connectedAt: new Date(connection.connectedAtMs).toISOString(),
  };
}

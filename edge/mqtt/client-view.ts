// What an operator's page shows of MQTT clients: the connected ones and the sessions kept
// for clients that left, in a list, and one session (connected or kept) in detail. Plain
// data read from the engine in process, so the console needs nothing of the engine's insides.
import type { Broker } from './broker/broker.ts';
import type { Connection } from './broker/connection.ts';
import type { Session } from './broker/session.ts';
import { SESSION_NEVER_EXPIRES } from './packets/constants.ts';

/** One MQTT client as the client list shows it: connected, or gone with its session kept. */
export interface MqttClientSummary {
  clientId: string;
  /** connected; or offline: the client left and its persistent session is kept until it comes back or the session expires. */
  sessionState: 'connected' | 'offline';
  /** The user name it connected with, or null (anonymous, or not known of a session kept offline). */
  username: string | null;
  address: string | null;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5; null for a session kept offline. */
  protocolVersion: number | null;
  cleanSession: boolean;
  connectedAt: string | null;
  /** When the client of a session kept offline left; null while connected. */
  disconnectedAt: string | null;
  /** When a session kept offline ends unless its client comes back; null while connected, or when it never expires. */
  sessionExpiresAt: string | null;
  subscriptionCount: number;
  /** QoS 1/2 messages held for the session and not yet sent. */
  queuedMessages: number;
}

/** One MQTT client's session, for its own page. */
export interface MqttClientDetail extends MqttClientSummary {
  connected: boolean;
  keepAliveSeconds: number | null;
  subscriptions: { filter: string; qos: number }[];
  /** QoS 1/2 messages sent and not yet acknowledged (outgoing), plus QoS 2 messages received and awaiting PUBREL (incoming). */
  inflightOutgoing: number;
  inflightIncoming: number;
  will: { topic: string; qos: number; retain: boolean; payloadBytes: number } | null;
}

/** The connected clients, by client id. */
export function connectedClients(broker: Broker): MqttClientSummary[] {
  const found: MqttClientSummary[] = [];
  for (const connection of broker.connections) if (connection.connected) found.push(summaryOf(connection, broker.sessions.get(connection.clientId)));
  return found.sort((a, b) => a.clientId.localeCompare(b.clientId));
}

/**
 * The sessions kept for clients that are not connected (persistent sessions whose client
 * left): how many there are, and the first `max` of them found, by client id.
 */
export function offlineSessions(broker: Broker, max: number): { total: number; sessions: MqttClientSummary[] } {
  const connected = new Set<string>();
  for (const connection of broker.connections) if (connection.connected) connected.add(connection.clientId);
  const sessions: MqttClientSummary[] = [];
  let total = 0;
  for (const session of broker.sessions.values()) {
    if (connected.has(session.clientId)) continue;
    total += 1;
    if (sessions.length < max) sessions.push(offlineSummaryOf(session));
  }
  return { total, sessions: sessions.sort((a, b) => a.clientId.localeCompare(b.clientId)) };
}

/** One client's session, connected or kept offline; undefined when the broker holds nothing of it. */
export function clientDetail(broker: Broker, clientId: string): MqttClientDetail | undefined {
  let connection: Connection | undefined;
  for (const candidate of broker.connections) if (candidate.connected && candidate.clientId === clientId) connection = candidate;
  const session = broker.sessions.get(clientId);
  const summary = connection !== undefined ? summaryOf(connection, session) : session !== undefined ? offlineSummaryOf(session) : undefined;
  if (summary === undefined) return undefined;
  // A connected client's will is on its connection; a client that left may have one waiting its delay.
  const will = connection !== undefined ? connection.will : broker.wills.pending(clientId);
  return {
    ...summary,
    connected: connection !== undefined,
    keepAliveSeconds: connection !== undefined ? connection.keepAliveMs / 1000 : null,
    subscriptions: [...(session?.subscriptions.values() ?? [])].map((subscription) => ({ filter: subscription.filter, qos: subscription.qos })),
    inflightOutgoing: session?.inflightCount ?? 0,
    inflightIncoming: session?.incoming?.size ?? 0,
    will: will === undefined ? null : { topic: will.message.topic, qos: will.message.qos, retain: will.message.retain, payloadBytes: will.message.payload.length },
  };
}

/** What a session holds, as both kinds of row show it. */
function sessionCounts(session: Session | undefined): Pick<MqttClientSummary, 'subscriptionCount' | 'queuedMessages'> {
  return { subscriptionCount: session?.subscriptions.size ?? 0, queuedMessages: session === undefined ? 0 : session.heldCount - session.inflightCount };
}

function summaryOf(connection: Connection, session: Session | undefined): MqttClientSummary {
  return {
    clientId: connection.clientId,
    sessionState: 'connected',
    username: connection.username ?? null,
    address: connection.remote ?? null,
    protocolVersion: connection.protocolLevel,
    cleanSession: connection.clean,
    connectedAt: new Date(connection.connectedAtMs).toISOString(),
    disconnectedAt: null,
    sessionExpiresAt: null,
    ...sessionCounts(session),
  };
}

function offlineSummaryOf(session: Session): MqttClientSummary {
  const leftAtMs = session.disconnectedAtMs;
  const expires = leftAtMs !== undefined && session.expirySeconds !== SESSION_NEVER_EXPIRES;
  return {
    clientId: session.clientId,
    sessionState: 'offline',
    username: null,
    address: null,
    protocolVersion: null,
    // Only a persistent session outlives its connection.
    cleanSession: false,
    connectedAt: null,
    disconnectedAt: leftAtMs === undefined ? null : new Date(leftAtMs).toISOString(),
    sessionExpiresAt: expires ? new Date(leftAtMs + session.expirySeconds * 1000).toISOString() : null,
    ...sessionCounts(session),
  };
}

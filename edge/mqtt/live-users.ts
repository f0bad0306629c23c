// A reload of mqtt.authentication, applied to the clients already connected: a client of a
// user removed or given other credentials, or an anonymous client once anonymous clients
// are refused, is disconnected — MQTT 5 with DISCONNECT 0x87 (Not authorized, section
// 3.14.2.1) and a Reason String, MQTT 3.1.1 by closing the connection, which is all it has.
// A client signed in by its certificate is disconnected likewise, but an unlisted one stays
// while anonymous clients are allowed: its certificate, not the list, proves who it is.
// Every other client takes its user's new permissions at once, and a subscription they no
// longer allow is removed, also from a persistent session, so nothing more reaches it.
import type { Broker } from './broker/broker.ts';
import { parseSharedFilter } from './broker/subscription-index.ts';
import type { MqttUsers } from './users.ts';

export interface UsersApplied {
  disconnected: number;
  removedSubscriptions: number;
}

export function applyUsers(broker: Broker, users: MqttUsers, revoked: ReadonlySet<string>): UsersApplied {
  broker.access.replaceUsers(users);
  const applied: UsersApplied = { disconnected: 0, removedSubscriptions: 0 };
  for (const connection of [...broker.connections]) {
    if (!connection.connected || connection.closed) continue;
    const { username, clientId } = connection;
    const refusal = username === undefined
      ? (users.allowAnonymous ? undefined : 'anonymous clients are no longer allowed (mqtt.authentication.allowAnonymous, reloaded)')
      : (revoked.has(username) || (!users.has(username) && (connection.certificate === undefined || !users.allowAnonymous)) ? `user "${username}" was removed or its credentials changed (mqtt.authentication.users, reloaded)` : undefined);
    if (refusal !== undefined) {
      broker.revoke(connection, refusal);
      applied.disconnected += 1;
      continue;
    }
    if (username === undefined) continue;
    const permissions = broker.access.permissionsOf(username, clientId, connection.remote);
    connection.permissions = permissions;
    const session = connection.session;
    if (permissions === undefined || session === null) continue;
    for (const filter of [...session.subscriptions.keys()]) {
      if (permissions.maySubscribe(parseSharedFilter(filter).topicFilter)) continue;
      broker.removeSubscription(session, filter);
      applied.removedSubscriptions += 1;
      broker.logger.info({ clientId, user: username, filter }, 'MQTT subscription removed: outside the user\'s reloaded subscribe permissions');
    }
  }
  return applied;
}

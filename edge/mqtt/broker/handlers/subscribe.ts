// SUBSCRIBE and UNSUBSCRIBE (MQTT 5.0 sections 3.8 and 3.10): subscriptions with their
// options, the SUBACK that grants or refuses each, and the retained messages a new
// subscription receives.
import { PacketType, ReasonCode, SUBACK_FAILURE } from '../../packets/constants.ts';
import type { SubscribePacket, UnsubscribePacket, QoS } from '../../packets/inbound.ts';
import { writeSubscriptionAck } from '../../packets/outbound.ts';
import { isExpired } from '../../message.ts';
import { TopicFilter } from '../../topic-filter.ts';
import type { Connection } from '../connection.ts';
import type { Session } from '../session.ts';
import type { Subscription } from '../subscription-index.ts';
import { storedOptions } from './connect.ts';

export async function handleSubscribe(connection: Connection, packet: SubscribePacket): Promise<void> {
  const broker = connection.broker;
  const session = connection.session!;
  const identifier = packet.properties?.subscriptionIdentifiers?.[0];
  const codes: number[] = [];
  const writes: Array<Promise<void>> = [];
  const withRetained: Array<Subscription<Session>> = [];
  for (const request of packet.subscriptions) {
    const refusal = broker.access.subscriptionRefusal(request.filter, connection.clientId, connection.permissions);
    if (refusal !== undefined) {
      // A filter nobody may use gets the code both versions share; MQTT 5 says "not authorised" for one this user may not.
      codes.push(connection.v5 && refusal === 'not-authorized' ? ReasonCode.NOT_AUTHORIZED : SUBACK_FAILURE);
      continue;
    }
    const existed = session.subscriptions.has(request.filter);
    const subscription: Subscription<Session> = { session, filter: request.filter, qos: request.qos, noLocal: request.noLocal, retainAsPublished: request.retainAsPublished, retainHandling: request.retainHandling };
    if (identifier !== undefined) subscription.identifier = identifier;
    // [MQTT-3.8.4-3] A subscription to the same filter replaces the earlier one.
    session.subscriptions.set(request.filter, subscription);
    broker.index.add(subscription);
    if (session.stored) writes.push(broker.store.subscriptions.put(session.clientId, request.filter, storedOptions(subscription)));
    codes.push(request.qos);
    // Retained messages: not for shared subscriptions [MQTT-4.8.2-?]; per Retain Handling otherwise [MQTT-3.3.1-9] [MQTT-3.3.1-10].
    if (subscription.group === undefined && (request.retainHandling === 0 || (request.retainHandling === 1 && !existed))) withRetained.push(subscription);
  }
  if (writes.length > 0) await Promise.all(writes);
  if (connection.closed) return;
  connection.send(writeSubscriptionAck(connection.protocolLevel, PacketType.SUBACK, packet.packetId, codes));
  for (const subscription of withRetained) sendRetained(connection, session, subscription);
}

/** The retained messages matching a new subscription, with RETAIN set [MQTT-3.3.1-8]. */
function sendRetained(connection: Connection, session: Session, subscription: Subscription<Session>): void {
  const broker = connection.broker;
  if (broker.retained.size === 0) return;
  const filter = new TopicFilter(subscription.filter);
  const now = Date.now();
  for (const [topic, message] of broker.retained) {
    if (!filter.matches(topic)) continue;
    // [MQTT-3.3.2-5] An expired retained message is not sent, and is removed.
    if (isExpired(message, now)) {
      broker.retained.delete(topic);
      void broker.store.retained.delete(topic);
      continue;
    }
    void session.deliver(message, Math.min(message.qos, subscription.qos) as QoS, true, subscription.identifier === undefined ? undefined : [subscription.identifier], undefined);
  }
}

export function handleUnsubscribe(connection: Connection, packet: UnsubscribePacket): void {
  const broker = connection.broker;
  const session = connection.session!;
  const codes: number[] = [];
  for (const filter of packet.filters) {
    codes.push(broker.removeSubscription(session, filter) ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
  }
  connection.send(writeSubscriptionAck(connection.protocolLevel, PacketType.UNSUBACK, packet.packetId, codes));
}

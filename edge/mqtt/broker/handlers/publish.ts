// PUBLISH from a client (MQTT 5.0 section 3.3), the durable publish path: the message
// becomes a record in the log, and only once the record is durable is it delivered to
// subscribers and acknowledged (PUBACK for QoS 1, PUBREC for QoS 2) — after the retained
// store and the queues of stored sessions hold it too. Acknowledgements and deliveries
// follow the order publishes arrived in [MQTT-4.6.0-2] [MQTT-4.6.0-3].
//
// A publish the broker refuses (not authorised, no route, too large for its log topic)
// is answered with a reason code in MQTT 5 (0x87, 0x90, 0x97); MQTT 3.1.1 has no way to
// refuse one but to close the connection [MQTT-3.3.5-2].
import { isUtf8 } from 'node:buffer';
import { PacketType, ReasonCode } from '../../packets/constants.ts';
import type { PublishPacket } from '../../packets/inbound.ts';
import { expiryFrom, forwardedProperties, type Message } from '../../message.ts';
import { RefusedPublishError, type MqttPublish } from '../../ingest.ts';
import { RESERVED_HEADER_NAMES } from '../../record-encoder.ts';
import type { Connection, PendingPublish } from '../connection.ts';
import type { Broker } from '../broker.ts';
import type { WillMessage } from '../wills.ts';
import type { LoadShedding } from '../../../daemon/memory-guard.ts';

type Refusal = 'reserved-topic' | 'not-authorized' | 'route-reject' | 'record-too-large' | 'reserved-header' | 'payload-format';

/** A User Property whose name is one of the broker's own record headers, if any. */
export function reservedUserProperty(userProperties: Array<[string, string]> | undefined): string | undefined {
  if (userProperties === undefined) return undefined;
  for (const [name] of userProperties) if (RESERVED_HEADER_NAMES.has(name)) return name;
  return undefined;
}

/** An MQTT 3.1.1 publish waiting for a slot, or a QoS 2 identifier released: the next may go. */
export function releaseInboundSlot(connection: Connection): void {
  if (connection.inboundInflight > 0) connection.inboundInflight--;
  const waiter = connection.slotWaiter;
  connection.slotWaiter = undefined;
  waiter?.();
}

export function handlePublish(connection: Connection, packet: PublishPacket): void | Promise<void> {
  const broker = connection.broker;
  const limits = broker.config.limits;
  const properties = packet.properties;
  let topic = packet.topic;
  if (connection.v5) {
    const alias = properties?.topicAlias;
    if (alias !== undefined) {
      // [MQTT-3.3.2-8] [MQTT-3.3.2-9] An alias is 1 to the Topic Alias Maximum the broker sent.
      if (alias === 0 || alias > limits.maxTopicAliases) return broker.violation(connection, 'topic-alias', `PUBLISH: topic alias ${alias} is outside 1..${limits.maxTopicAliases}`, ReasonCode.TOPIC_ALIAS_INVALID);
      if (topic.length === 0) {
        const known = connection.aliasesIn?.get(alias);
        if (known === undefined) return broker.violation(connection, 'topic-alias', `PUBLISH: topic alias ${alias} was not set on this connection`, ReasonCode.PROTOCOL_ERROR);
        topic = known;
      } else {
        (connection.aliasesIn ??= new Map()).set(alias, topic);
      }
    } else if (topic.length === 0) {
      return broker.violation(connection, 'invalid-topic', 'PUBLISH: empty topic name without a topic alias', ReasonCode.PROTOCOL_ERROR);
    }
  }

  const session = connection.session!;
  if (packet.qos === 2 && session.incoming?.has(packet.packetId)) {
    enqueue(connection, { qos: 2, packetId: packet.packetId, message: undefined, appended: true, delivered: true, committed: true, reasonCode: ReasonCode.SUCCESS, duplicate: true });
    return;
  }
  if (broker.memoryGuard?.shedding) return shed(connection, packet, broker.memoryGuard);
  if (packet.qos > 0 && connection.inboundInflight >= limits.maxInflightPerClient) {
    // [MQTT-3.3.4-9] An MQTT 5 client was told the Receive Maximum and exceeded it.
    if (connection.v5) return broker.violation(connection, 'receive-maximum', `more than ${limits.maxInflightPerClient} QoS 1/2 publishes unacknowledged (Receive Maximum)`, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
    // A 3.1.1 client waits for a slot (its socket is not read meanwhile), unless every
    // slot is held by QoS 2 packets waiting for its own PUBREL.
    if (!connection.pending.some((entry) => entry.qos > 0)) {
      broker.metrics.refusedPublishes.labels('inflight-overflow').inc();
      return broker.violation(connection, 'inflight-overflow', `more than ${limits.maxInflightPerClient} QoS 2 publishes await PUBREL (mqtt.limits.maxInflightPerClient)`, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
    }
    return new Promise<void>((resolve) => {
      connection.slotWaiter = () => resolve(connection.closed ? undefined : (handlePublish(connection, packet) ?? undefined));
    });
  }

  const clientId = connection.clientId;
  const refusal = broker.access.publishRefusal(topic, clientId, connection.permissions);
  if (refusal !== undefined) return refuse(connection, packet, topic, refusal.reason, ReasonCode.NOT_AUTHORIZED, refusal.message);
  const reserved = reservedUserProperty(properties?.userProperties);
  if (reserved !== undefined) return refuse(connection, packet, topic, 'reserved-header', ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, `user property "${reserved}" is a header name the broker reserves for itself`);
  // [MQTT-3.3.2-?] A payload declared UTF-8 that is not: 0x99.
  if (properties?.payloadFormatIndicator === 1 && !isUtf8(packet.payload)) return refuse(connection, packet, topic, 'payload-format', ReasonCode.PAYLOAD_FORMAT_INVALID, 'the payload is declared UTF-8 (payload format 1) but is not');
  const target = broker.ingest.route(topic, clientId);
  if (target === null) return refuse(connection, packet, topic, 'route-reject', ReasonCode.TOPIC_NAME_INVALID, `no route matches MQTT topic "${topic}" and mqtt.defaultRoute is "reject"`);

  broker.metrics.publishesInByQos[packet.qos]!.value++;
  broker.metrics.bytesInCount.value += packet.payload.length;
  const message: Message = { topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, publisherId: clientId };
  const forwarded = forwardedProperties(properties);
  if (forwarded !== undefined) message.properties = forwarded;
  const expiresAtMs = expiryFrom(properties?.messageExpiryInterval, Date.now());
  if (expiresAtMs !== undefined) message.expiresAtMs = expiresAtMs;
  const record: MqttPublish = { topic, payload: packet.payload, qos: packet.qos, retain: packet.retain };
  if (forwarded !== undefined) record.properties = forwarded;
  if (properties?.messageExpiryInterval !== undefined) record.messageExpiryInterval = properties.messageExpiryInterval;

  const appended = broker.ingest.append(target, record, clientId);
  if (packet.qos === 0) {
    // QoS 0: appended without waiting; delivered in order with the client's other publishes.
    appended.then(undefined, (error: Error) => countRefused(broker, error));
    enqueue(connection, { qos: 0, packetId: 0, message, appended: true, delivered: false, committed: false, reasonCode: ReasonCode.SUCCESS });
    return;
  }
  const entry: PendingPublish = { qos: packet.qos, packetId: packet.packetId, message, appended: false, delivered: false, committed: false, reasonCode: ReasonCode.SUCCESS, append: appended };
  connection.inboundInflight++;
  enqueue(connection, entry);
  // Publishes that arrive together join one record batch and wait for one append: one
  // handler settles them all, rather than a promise and two closures per publish. A
  // publish whose batch differs from the one before it (another partition) adds one.
  if (appended !== connection.awaitedAppend) {
    connection.awaitedAppend = appended;
    appended.then(() => appendSettled(connection, appended, undefined), (error: Error) => appendSettled(connection, appended, error));
  }
}

/** The append of some of the connection's publishes is durable (or failed): each of them goes on. */
function appendSettled(connection: Connection, append: Promise<void>, error: Error | undefined): void {
  const pending = connection.pending;
  // Those before the delivered cursor are appended already.
  for (let index = connection.deliveredPending; index < pending.length; index++) {
    const entry = pending[index]!;
    if (entry.append !== append) continue;
    entry.append = undefined;
    if (error === undefined) entry.appended = true;
    else appendFailed(connection, entry, error);
  }
  if (connection.awaitedAppend === append) connection.awaitedAppend = undefined;
  advance(connection);
}

function appendFailed(connection: Connection, entry: PendingPublish, error: Error): void {
  const broker = connection.broker;
  const message = entry.message!;
  countRefused(broker, error);
  // A refusal the publisher can do nothing about by sending again: an MQTT 5 client is told why in its PUBACK or PUBREC.
  const lasting = error instanceof RefusedPublishError && (error.reason === 'record-too-large' || error.reason === 'topic-limit');
  // The store logs a topic-limit refusal itself, once per interval.
  if (error instanceof RefusedPublishError && error.reason !== 'topic-limit') broker.logger.warn({ clientId: connection.clientId, topic: message.topic, qos: entry.qos }, `MQTT publish refused: ${error.message}`);
  if (lasting && connection.v5) {
    entry.message = undefined;
    entry.reasonCode = ReasonCode.QUOTA_EXCEEDED;
    entry.reasonString = error.message;
    entry.appended = true;
    entry.delivered = true;
    entry.committed = true;
    return;
  }
  // Not acknowledged: the connection closes and the client sends the publish again.
  connection.disconnect(ReasonCode.UNSPECIFIED_ERROR, 'the log cannot store the message now');
}

function countRefused(broker: Broker, error: Error): void {
  broker.metrics.refusedPublishes.labels(error instanceof RefusedPublishError ? error.reason : 'append-failed').inc();
}

function refuse(connection: Connection, packet: PublishPacket, topic: string, reason: Refusal, reasonCode: number, message: string): void {
  const broker = connection.broker;
  broker.metrics.refusedPublishes.labels(reason).inc();
  broker.logger.warn({ clientId: connection.clientId, topic, qos: packet.qos }, `MQTT publish refused: ${message}${connection.v5 && packet.qos > 0 ? '' : '; closing the connection'}`);
  if (!connection.v5 || packet.qos === 0) {
    // 3.1.1 (and QoS 0 in MQTT 5) has no acknowledgement to carry a refusal.
    connection.disconnect(reasonCode, message);
    return;
  }
  answerRefused(connection, packet, reasonCode, message);
}

/**
 * Near the heap limit (edge/daemon/memory-guard.ts) a publish is not taken in. QoS 0 is
 * dropped, as at-most-once allows; an MQTT 5 QoS 1/2 publish is answered 0x97 (Quota
 * exceeded) in its PUBACK or PUBREC; a 3.1.1 client, which has no refusal to read, is
 * disconnected unacknowledged and sends the publish again when it reconnects [MQTT-4.4.0-1].
 * The guard counts and logs each (one line per interval).
 */
function shed(connection: Connection, packet: PublishPacket, guard: LoadShedding): void {
  const message = guard.refused({ protocol: 'mqtt', request: 'publish' });
  if (packet.qos === 0) return;
  if (!connection.v5) {
    connection.disconnect(ReasonCode.QUOTA_EXCEEDED, message);
    return;
  }
  answerRefused(connection, packet, ReasonCode.QUOTA_EXCEEDED, message);
}

/** A refused QoS 1/2 publish of an MQTT 5 client: its PUBACK or PUBREC carries the reason, in order with the others. */
function answerRefused(connection: Connection, packet: PublishPacket, reasonCode: number, message: string): void {
  connection.inboundInflight++;
  enqueue(connection, { qos: packet.qos, packetId: packet.packetId, message: undefined, appended: true, delivered: true, committed: true, reasonCode, reasonString: message });
}

function enqueue(connection: Connection, entry: PendingPublish): void {
  connection.pending.push(entry);
  advance(connection);
}

/** Delivers durable publishes in order, then acknowledges those whose copies are committed, in order. */
function advance(connection: Connection): void {
  const broker = connection.broker;
  const pending = connection.pending;
  for (; connection.deliveredPending < pending.length; connection.deliveredPending++) {
    const entry = pending[connection.deliveredPending]!;
    if (!entry.appended) break;
    // Refusals and repeated QoS 2 publishes join the queue delivered already.
    if (entry.delivered) continue;
    entry.delivered = true;
    // Most publishes wait for no stored copy: no list is made for them.
    let writes: Array<Promise<void>> | undefined;
    const message = entry.message!;
    const routed = broker.route(message);
    if (routed !== undefined) (writes ??= []).push(routed);
    if (message.retain) {
      const retained = broker.storeRetained(message);
      // QoS 0 waits for nothing; an acknowledged retained message is durable.
      if (entry.qos > 0) (writes ??= []).push(retained);
      else retained.catch((error: unknown) => broker.logger.error({ err: error, topic: message.topic }, 'storing a retained QoS 0 message failed'));
    }
    if (entry.qos === 2) {
      const session = connection.session;
      if (session !== null) {
        (session.incoming ??= new Map()).set(entry.packetId, null);
        if (session.stored) (writes ??= []).push(broker.store.incoming.put(session.clientId, entry.packetId));
      }
    }
    if (writes === undefined) entry.committed = true;
    else {
      Promise.all(writes).then(
        () => {
          entry.committed = true;
          advance(connection);
        },
        (error: unknown) => {
          broker.logger.error({ err: error, clientId: connection.clientId }, 'MQTT publish not acknowledged: the session store failed to commit');
          connection.disconnect(ReasonCode.UNSPECIFIED_ERROR);
        },
      );
    }
  }
  while (pending.length > 0 && pending[0]!.delivered && pending[0]!.committed) {
    const entry = pending.shift()!;
    connection.deliveredPending--;
    if (entry.qos === 0) continue;
    if (connection.closed) continue;
    if (entry.qos === 1) {
      connection.sendAcknowledgement(PacketType.PUBACK, entry.packetId, entry.reasonCode, entry.reasonString);
      releaseInboundSlot(connection);
    } else {
      connection.sendAcknowledgement(PacketType.PUBREC, entry.packetId, entry.reasonCode, entry.reasonString);
      // A QoS 2 flow ends at PUBREC when refused; otherwise its slot is held until PUBREL.
      if (entry.reasonCode >= 0x80 && !entry.duplicate) releaseInboundSlot(connection);
    }
  }
}

/** Publishes a will as its client would have: appended to the log, then delivered and retained. */
export function publishWill(broker: Broker, clientId: string, will: WillMessage): void {
  const message = broker.willMessage(clientId, will);
  const target = broker.ingest.route(message.topic, clientId);
  if (target === null) {
    broker.metrics.refusedPublishes.labels('route-reject').inc();
    broker.logger.warn({ clientId, topic: message.topic }, 'MQTT will not published: no route matches and mqtt.defaultRoute is "reject"');
    return;
  }
  const record: MqttPublish = { topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain };
  if (message.properties !== undefined) record.properties = message.properties;
  if (will.expirySeconds !== undefined) record.messageExpiryInterval = will.expirySeconds;
  broker.ingest.append(target, record, clientId).then(
    () => {
      void broker.route(message);
      if (message.retain) void broker.storeRetained(message);
    },
    (error: Error) => {
      countRefused(broker, error);
      broker.logger.error({ err: error, clientId, topic: message.topic }, 'MQTT will not published: the log refused it');
    },
  );
}

// PUBACK, PUBREC and PUBCOMP for messages the broker sent (MQTT 5.0 section 4.3), and
// PUBREL for QoS 2 messages it received.
import { PacketType, ReasonCode } from '../../packets/constants.ts';
import type { AcknowledgementPacket } from '../../packets/inbound.ts';
import type { Connection } from '../connection.ts';
import { releaseInboundSlot } from './publish.ts';

export function handlePubAck(connection: Connection, packet: AcknowledgementPacket): void {
  connection.session?.acknowledged(packet.packetId);
}

export function handlePubRec(connection: Connection, packet: AcknowledgementPacket): void {
  const session = connection.session!;
  // A failure code ends the QoS 2 flow for that message [MQTT-4.3.3-?].
  if (packet.reasonCode >= 0x80) {
    session.acknowledged(packet.packetId);
    return;
  }
  if (session.received(packet.packetId)) connection.sendRelease(packet.packetId);
  else connection.sendAcknowledgement(PacketType.PUBREL, packet.packetId, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
}

export function handlePubComp(connection: Connection, packet: AcknowledgementPacket): void {
  connection.session?.acknowledged(packet.packetId);
}

/** PUBREL: the client releases a QoS 2 packet identifier; PUBCOMP answers [MQTT-4.3.3-11]. */
export function handlePubRel(connection: Connection, packet: AcknowledgementPacket): void {
  const session = connection.session!;
  const broker = connection.broker;
  const incoming = session.incoming;
  if (incoming === undefined || !incoming.has(packet.packetId)) {
    connection.sendAcknowledgement(PacketType.PUBCOMP, packet.packetId, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
    return;
  }
  const undelivered = incoming.get(packet.packetId);
  incoming.delete(packet.packetId);
  if (incoming.size === 0) session.incoming = undefined;
  // Stored by the aedes-based broker, which delivered at PUBREL: delivered now.
  if (undelivered !== null && undelivered !== undefined) void connection.broker.route(undelivered);
  if (session.stored) broker.store.incoming.delete(session.clientId, packet.packetId);
  releaseInboundSlot(connection);
  connection.sendAcknowledgement(PacketType.PUBCOMP, packet.packetId);
}

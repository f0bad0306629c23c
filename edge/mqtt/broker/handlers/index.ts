// One handler per packet type, behind one dispatch. A handler returns a promise when the
// connection must not go on to its next packet before it settles (CONNECT, SUBSCRIBE, a
// 3.1.1 publish waiting for an in-flight slot).
import { PacketType, ReasonCode } from '../../packets/constants.ts';
import type { InboundPacket } from '../../packets/inbound.ts';
import type { Connection } from '../connection.ts';
import { handleConnect } from './connect.ts';
import { handlePublish } from './publish.ts';
import { handlePubAck, handlePubComp, handlePubRec, handlePubRel } from './acknowledgements.ts';
import { handleSubscribe, handleUnsubscribe } from './subscribe.ts';
import { handleDisconnect } from './disconnect.ts';
import { handleAuth } from './authenticate.ts';

export function dispatch(connection: Connection, packet: InboundPacket): void | Promise<void> {
  if (packet.type === PacketType.CONNECT) return handleConnect(connection, packet);
  // AUTH may come before the CONNACK, in an enhanced authentication (section 4.12).
  if (packet.type === PacketType.AUTH) return handleAuth(connection, packet);
  // Packets read behind a CONNECT that was refused, or still authenticating, are not handled.
  if (!connection.connected) return;
  switch (packet.type) {
    case PacketType.PUBLISH: return handlePublish(connection, packet);
    case PacketType.PUBACK: return handlePubAck(connection, packet);
    case PacketType.PUBREC: return handlePubRec(connection, packet);
    case PacketType.PUBREL: return handlePubRel(connection, packet);
    case PacketType.PUBCOMP: return handlePubComp(connection, packet);
    case PacketType.SUBSCRIBE: return handleSubscribe(connection, packet);
    case PacketType.UNSUBSCRIBE: return handleUnsubscribe(connection, packet);
    case PacketType.PINGREQ: return connection.sendPingResponse();
    case PacketType.DISCONNECT: return handleDisconnect(connection, packet);
    default: return connection.broker.violation(connection, 'unexpected-packet', 'unexpected packet', ReasonCode.PROTOCOL_ERROR);
  }
}

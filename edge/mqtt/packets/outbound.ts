// The packets this broker sends, written in the layout of the client's protocol level:
// MQTT 3.1.1 (and 3.1) without reason codes or properties, MQTT 5 with them.
import { PacketType, ProtocolLevel, ReasonCode } from './constants.ts';
import type { QoS } from './inbound.ts';
import { type Properties, propertiesBytes, writeProperties } from './properties.ts';
import { ByteWriter, fixedHeaderBytes, variableIntegerBytes } from './wire.ts';

export const PINGRESP_BYTES = Buffer.from([PacketType.PINGRESP << 4, 0]);

/**
 * Where a packet of `size` bytes is written: a buffer of its own by default, or the
 * output of a connection, which sends a turn's packets in one write (broker/connection.ts).
 */
export type PacketSink = (size: number) => ByteWriter;
const OWN_BUFFER: PacketSink = (size) => new ByteWriter(size);

/** Reason code and properties of an MQTT 5 packet, sized once. */
function reasonBlock(reasonCode: number, properties: Properties | undefined): { size: number; propertiesSize: number } {
  const propertiesSize = propertiesBytes(properties);
  return { size: 1 + variableIntegerBytes(propertiesSize) + propertiesSize, propertiesSize };
}

export function writeConnack(level: number, sessionPresent: boolean, code: number, properties?: Properties): Buffer {
  if (level !== ProtocolLevel.V5) {
    return new ByteWriter(4).fixedHeader(PacketType.CONNACK, 0, 2).uint8(sessionPresent ? 1 : 0).uint8(code).done();
  }
  const block = reasonBlock(code, properties);
  const remaining = 1 + block.size;
  const writer = new ByteWriter(fixedHeaderBytes(remaining) + remaining).fixedHeader(PacketType.CONNACK, 0, remaining).uint8(sessionPresent ? 1 : 0).uint8(code);
  writeProperties(writer, properties, block.propertiesSize);
  return writer.done();
}

export interface OutboundPublish {
  /** The topic's UTF-8 bytes; empty when a topic alias the client knows stands for it. */
  topic: Buffer;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId: number;
  properties?: Properties;
}

/** Bytes of a PUBLISH packet, to check against a client's Maximum Packet Size first. */
export function publishBytes(level: number, publish: OutboundPublish): { total: number; remaining: number; propertiesSize: number } {
  const propertiesSize = level === ProtocolLevel.V5 ? propertiesBytes(publish.properties) : 0;
  const remaining = 2 + publish.topic.length + (publish.qos > 0 ? 2 : 0)
    + (level === ProtocolLevel.V5 ? variableIntegerBytes(propertiesSize) + propertiesSize : 0)
    + publish.payload.length;
  return { total: fixedHeaderBytes(remaining) + remaining, remaining, propertiesSize };
}

export function writePublish(level: number, publish: OutboundPublish, sizes = publishBytes(level, publish), sink = OWN_BUFFER): Buffer {
  const flags = (publish.dup ? 0x08 : 0) | (publish.qos << 1) | (publish.retain ? 0x01 : 0);
  const writer = sink(sizes.total).fixedHeader(PacketType.PUBLISH, flags, sizes.remaining).prefixed(publish.topic);
  if (publish.qos > 0) writer.uint16(publish.packetId);
  if (level === ProtocolLevel.V5) writeProperties(writer, publish.properties, sizes.propertiesSize);
  return writer.bytes(publish.payload).done();
}

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP. In MQTT 5 the reason code and properties are left
 * out when the code is 0x00 and there are none (section 3.4.2.1).
 */
export function writeAcknowledgement(level: number, type: number, packetId: number, reasonCode: number = ReasonCode.SUCCESS, properties?: Properties, sink = OWN_BUFFER): Buffer {
  const flags = type === PacketType.PUBREL ? 0x02 : 0;
  if (level !== ProtocolLevel.V5 || (reasonCode === ReasonCode.SUCCESS && properties === undefined)) {
    return sink(4).fixedHeader(type, flags, 2).uint16(packetId).done();
  }
  // Without properties the property length is left out too (remaining length 3).
  if (properties === undefined) return sink(5).fixedHeader(type, flags, 3).uint16(packetId).uint8(reasonCode).done();
  const block = reasonBlock(reasonCode, properties);
  const remaining = 2 + block.size;
  const writer = sink(fixedHeaderBytes(remaining) + remaining).fixedHeader(type, flags, remaining).uint16(packetId).uint8(reasonCode);
  writeProperties(writer, properties, block.propertiesSize);
  return writer.done();
}

/** SUBACK (one code per filter) or UNSUBACK (codes in MQTT 5 only). */
export function writeSubscriptionAck(level: number, type: typeof PacketType.SUBACK | typeof PacketType.UNSUBACK, packetId: number, codes: number[], properties?: Properties): Buffer {
  const v5 = level === ProtocolLevel.V5;
  if (type === PacketType.UNSUBACK && !v5) return new ByteWriter(4).fixedHeader(type, 0, 2).uint16(packetId).done();
  const propertiesSize = v5 ? propertiesBytes(properties) : 0;
  const remaining = 2 + (v5 ? variableIntegerBytes(propertiesSize) + propertiesSize : 0) + codes.length;
  const writer = new ByteWriter(fixedHeaderBytes(remaining) + remaining).fixedHeader(type, 0, remaining).uint16(packetId);
  if (v5) writeProperties(writer, properties, propertiesSize);
  for (const code of codes) writer.uint8(code);
  return writer.done();
}

/** DISCONNECT or AUTH from the server (MQTT 5 only). */
export function writeReasonPacket(type: typeof PacketType.DISCONNECT | typeof PacketType.AUTH, reasonCode: number, properties?: Properties): Buffer {
  // A DISCONNECT without properties may leave out the property length (section 3.14.2.2).
  if (type === PacketType.DISCONNECT && properties === undefined) return new ByteWriter(3).fixedHeader(type, 0, 1).uint8(reasonCode).done();
  const block = reasonBlock(reasonCode, properties);
  const writer = new ByteWriter(fixedHeaderBytes(block.size) + block.size).fixedHeader(type, 0, block.size).uint8(reasonCode);
  writeProperties(writer, properties, block.propertiesSize);
  return writer.done();
}

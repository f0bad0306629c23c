// The packets a client sends, parsed from one complete packet with every MUST about
// their form checked (MQTT 3.1.1 chapter 3, MQTT 5.0 chapter 3). A packet that breaks
// one throws a ProtocolViolation naming the packet, the field and the rule, with the
// MQTT 5 reason code the connection is closed with. What depends on the connection's
// state (topic aliases, receive maximum, a second CONNECT) is checked by the broker.
import { PACKET_NAMES, PacketType, ProtocolLevel, ReasonCode } from './constants.ts';
import { type Properties, readProperties, WILL_PROPERTIES } from './properties.ts';
import { BodyReader, violation } from './wire.ts';

export type QoS = 0 | 1 | 2;

export interface WillFields {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  protocolName: string;
  protocolLevel: number;
  /** False for a protocol level this broker does not speak: the fields after it are not read. */
  supported: boolean;
  /** Clean Session (3.1.1) or Clean Start (5). */
  clean: boolean;
  keepAliveSeconds: number;
  clientId: string;
  will?: WillFields;
  username?: string;
  password?: Buffer;
  properties?: Properties;
}

export interface PublishPacket {
  type: typeof PacketType.PUBLISH;
  qos: QoS;
  dup: boolean;
  retain: boolean;
  /** Empty when an MQTT 5 client names the topic by its alias only. */
  topic: string;
  /** 0 for QoS 0. */
  packetId: number;
  properties?: Properties;
  payload: Buffer;
}

export interface AcknowledgementPacket {
  type: typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBREL | typeof PacketType.PUBCOMP;
  packetId: number;
  reasonCode: number;
  properties?: Properties;
}

export interface SubscriptionRequest {
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  properties?: Properties;
  subscriptions: SubscriptionRequest[];
}

export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  properties?: Properties;
  filters: string[];
}

export interface PingPacket {
  type: typeof PacketType.PINGREQ;
}

export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  reasonCode: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: typeof PacketType.AUTH;
  reasonCode: number;
  properties?: Properties;
}

export type InboundPacket = ConnectPacket | PublishPacket | AcknowledgementPacket | SubscribePacket | UnsubscribePacket | PingPacket | DisconnectPacket | AuthPacket;

export interface ParseContext {
  /** The connection's protocol level; 0 until its CONNECT was read. */
  protocolLevel: number;
  maxTopicLevels: number;
}

/** Acknowledgement reason codes a client may send (MQTT 5.0 sections 3.4.2.1 to 3.7.2.1). */
const PUBLISH_ACK_CODES = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const RELEASE_CODES = new Set([0x00, 0x92]);
const AUTH_CODES = new Set([ReasonCode.SUCCESS, ReasonCode.CONTINUE_AUTHENTICATION, ReasonCode.REAUTHENTICATE]);

function checkFlags(name: string, flags: number, required: number): void {
  // [MQTT-2.2.2-2] Reserved flags hold their defined values.
  if (flags !== required) violation('header-flags', `${name}: fixed header flags are ${flags}, must be ${required}`);
}

/** A topic name (PUBLISH, will): no wildcards [MQTT-3.3.2-2], at most `maxTopicLevels` levels. */
export function checkTopicName(topic: string, where: string, maxTopicLevels: number, emptyAllowed: boolean): void {
  if (topic.length === 0) {
    // [MQTT-4.7.3-1] At least one character, unless an MQTT 5 topic alias stands for it.
    if (!emptyAllowed) violation('invalid-topic', `${where} is empty`, ReasonCode.PROTOCOL_ERROR);
    return;
  }
  let levels = 1;
  for (let index = 0; index < topic.length; index++) {
    const code = topic.charCodeAt(index);
    if (code === 0x2f) levels++;
    else if (code === 0x2b || code === 0x23) violation('invalid-topic', `${where} "${topic}" contains a wildcard`, ReasonCode.TOPIC_NAME_INVALID);
  }
  if (levels > maxTopicLevels) violation('too-many-levels', `${where} "${topic}" has more than ${maxTopicLevels} levels`, ReasonCode.TOPIC_NAME_INVALID);
}

/** The prefix of a shared subscription: $share/{ShareName}/{filter} (MQTT 5.0 section 4.8.2). */
export const SHARED_PREFIX = '$share/';

/** A topic filter, plain or shared [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.8.2-1] [MQTT-4.8.2-2]. */
export function checkTopicFilter(filter: string, where: string, maxTopicLevels: number): void {
  let plain = filter;
  if (filter.startsWith(SHARED_PREFIX)) {
    const separator = filter.indexOf('/', SHARED_PREFIX.length);
    const shareName = separator < 0 ? filter.slice(SHARED_PREFIX.length) : filter.slice(SHARED_PREFIX.length, separator);
    if (shareName.length === 0 || /[+#]/.test(shareName) || separator < 0 || separator === filter.length - 1) {
      violation('invalid-filter', `${where}: shared subscription "${filter}" must be $share/{name}/{filter}, the name without / + #`, ReasonCode.TOPIC_FILTER_INVALID);
    }
    plain = filter.slice(separator + 1);
  }
  // [MQTT-4.7.3-1] At least one character.
  if (plain.length === 0) violation('invalid-filter', `${where}: a topic filter is empty`, ReasonCode.TOPIC_FILTER_INVALID);
  const levels = plain.split('/');
  if (levels.length > maxTopicLevels) violation('too-many-levels', `${where}: topic filter "${filter}" has more than ${maxTopicLevels} levels`, ReasonCode.TOPIC_FILTER_INVALID);
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!;
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) violation('invalid-filter', `${where}: in topic filter "${filter}" # must be alone in the last level`, ReasonCode.TOPIC_FILTER_INVALID);
    if (level.includes('+') && level !== '+') violation('invalid-filter', `${where}: in topic filter "${filter}" + must occupy a whole level`, ReasonCode.TOPIC_FILTER_INVALID);
  }
}

function parseConnect(body: BodyReader, flags: number, context: ParseContext): ConnectPacket {
  checkFlags('CONNECT', flags, 0);
  const protocolName = body.string('protocol name');
  const protocolLevel = body.uint8('protocol level');
  // [MQTT-3.1.2-1] An unknown protocol name closes the connection; an unknown level of a
  // known name is answered with a CONNACK refusing it [MQTT-3.1.2-2].
  if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp') violation('protocol-name', `CONNECT: protocol name "${protocolName}" is not MQTT`);
  const base = { type: PacketType.CONNECT, protocolName, protocolLevel, clean: true, keepAliveSeconds: 0, clientId: '' } as const;
  if (protocolLevel !== ProtocolLevel.V31 && protocolLevel !== ProtocolLevel.V311 && protocolLevel !== ProtocolLevel.V5) return { ...base, supported: false };
  const v5 = protocolLevel === ProtocolLevel.V5;
  const connectFlags = body.uint8('connect flags');
  if (connectFlags & 0x01) violation('connect-flags', 'CONNECT: the reserved connect flag is set'); // [MQTT-3.1.2-3]
  const hasWill = (connectFlags & 0x04) !== 0;
  const willQos = (connectFlags >> 3) & 0x03;
  const willRetain = (connectFlags & 0x20) !== 0;
  const hasPassword = (connectFlags & 0x40) !== 0;
  const hasUsername = (connectFlags & 0x80) !== 0;
  if (!hasWill && (willQos !== 0 || willRetain)) violation('connect-flags', 'CONNECT: will QoS or will retain set without the will flag'); // [MQTT-3.1.2-13] [MQTT-3.1.2-15]
  if (willQos === 3) violation('connect-flags', 'CONNECT: will QoS is 3'); // [MQTT-3.1.2-14]
  // [MQTT-3.1.2-22] In 3.1.1 a password needs a user name; MQTT 5 allows one alone.
  if (hasPassword && !hasUsername && !v5) violation('connect-flags', 'CONNECT: password flag set without the user name flag');
  const keepAliveSeconds = body.uint16('keep alive');
  const properties = v5 ? readProperties(body, PacketType.CONNECT) : undefined;
  const clientId = body.string('client identifier');
  let will: WillFields | undefined;
  if (hasWill) {
    const willProperties = v5 ? readProperties(body, WILL_PROPERTIES) : undefined;
    const topic = body.string('will topic');
    checkTopicName(topic, 'CONNECT: will topic', context.maxTopicLevels, false);
    const payload = Buffer.from(body.binary('will message'));
    will = { topic, payload, qos: willQos as QoS, retain: willRetain };
    if (willProperties !== undefined) will.properties = willProperties;
  }
  const packet: ConnectPacket = { ...base, supported: true, clean: (connectFlags & 0x02) !== 0, keepAliveSeconds, clientId };
  if (will !== undefined) packet.will = will;
  if (hasUsername) packet.username = body.string('user name');
  if (hasPassword) packet.password = Buffer.from(body.binary('password'));
  if (properties !== undefined) packet.properties = properties;
  body.finish();
  return packet;
}

/** Shared by every packet until its payload is read (never written to). */
const NO_PAYLOAD = Buffer.alloc(0);
/**
 * A payload whose bytes hold at most this many others (its packet's header, topic and
 * properties) is kept as a view of them instead of a copy: a device sends one PUBLISH a
 * read, and Node.js gives each socket read a buffer of its own size, so the view costs a
 * few dozen bytes where a copy took a slice of the shared 64 KiB pool slab that the
 * message then held resident while it waited for the log (or longer, in a session queue).
 * A read of many packets, or bytes in the shared pool, are copied as before.
 */
export const PAYLOAD_VIEW_SLACK_BYTES_MAX = 256;

/** The bytes left in the packet as a payload of its own: a view of the read when it holds little else, a copy otherwise. */
function ownPayload(body: BodyReader): Buffer {
  const bytes = body.rest();
  return bytes.buffer.byteLength - bytes.length <= PAYLOAD_VIEW_SLACK_BYTES_MAX ? bytes : Buffer.from(bytes);
}

function parsePublish(body: BodyReader, flags: number, context: ParseContext): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  const dup = (flags & 0x08) !== 0;
  if (qos === 3) violation('header-flags', 'PUBLISH: QoS 3'); // [MQTT-3.3.1-4]
  if (qos === 0 && dup) violation('header-flags', 'PUBLISH: DUP set on a QoS 0 message'); // [MQTT-3.3.1-2]
  const v5 = context.protocolLevel === ProtocolLevel.V5;
  const topic = body.string('topic name');
  checkTopicName(topic, 'PUBLISH: topic name', context.maxTopicLevels, v5);
  const packetId = qos > 0 ? body.packetIdentifier() : 0;
  // The payload is read last, after the properties; until then the packet holds none.
  const packet: PublishPacket = { type: PacketType.PUBLISH, qos: qos as QoS, dup, retain: (flags & 0x01) !== 0, topic, packetId, payload: NO_PAYLOAD };
  if (v5) {
    const properties = readProperties(body, PacketType.PUBLISH);
    if (properties !== undefined) {
      // [MQTT-3.3.4-6] A Subscription Identifier is sent by the server only.
      if (properties.subscriptionIdentifiers !== undefined) violation('misplaced-property', 'PUBLISH: a client must not send a subscription identifier', ReasonCode.PROTOCOL_ERROR);
      packet.properties = properties;
    }
  }
  // A message kept for later holds its own bytes, and at most a few others (ownPayload).
  packet.payload = ownPayload(body);
  return packet;
}

function parseAcknowledgement(body: BodyReader, type: AcknowledgementPacket['type'], flags: number, context: ParseContext): AcknowledgementPacket {
  const name = PACKET_NAMES[type];
  checkFlags(name, flags, type === PacketType.PUBREL ? 0x02 : 0); // [MQTT-3.6.1-1]
  const packetId = body.packetIdentifier();
  const packet: AcknowledgementPacket = { type, packetId, reasonCode: ReasonCode.SUCCESS };
  if (context.protocolLevel !== ProtocolLevel.V5) {
    body.finish();
    return packet;
  }
  // The reason code and the properties may be left out when there is nothing to say.
  if (body.remaining > 0) {
    packet.reasonCode = body.uint8('reason code');
    const allowed = type === PacketType.PUBREL || type === PacketType.PUBCOMP ? RELEASE_CODES : PUBLISH_ACK_CODES;
    if (!allowed.has(packet.reasonCode)) violation('bad-reason-code', `${name}: reason code 0x${packet.reasonCode.toString(16)} is not one ${name} may carry`, ReasonCode.PROTOCOL_ERROR);
    if (body.remaining > 0) {
      const properties = readProperties(body, type);
      if (properties !== undefined) packet.properties = properties;
    }
  }
  body.finish();
  return packet;
}

function parseSubscribe(body: BodyReader, flags: number, context: ParseContext): SubscribePacket {
  checkFlags('SUBSCRIBE', flags, 0x02); // [MQTT-3.8.1-1]
  const v5 = context.protocolLevel === ProtocolLevel.V5;
  const packetId = body.packetIdentifier();
  const properties = v5 ? readProperties(body, PacketType.SUBSCRIBE) : undefined;
  if (body.remaining === 0) violation('malformed', 'SUBSCRIBE: no topic filter', ReasonCode.PROTOCOL_ERROR); // [MQTT-3.8.3-3]
  const subscriptions: SubscriptionRequest[] = [];
  while (body.remaining > 0) {
    const filter = body.string('topic filter');
    checkTopicFilter(filter, 'SUBSCRIBE', context.maxTopicLevels);
    const options = body.uint8('subscription options');
    const qos = options & 0x03;
    // [MQTT-3.8.3-4] (3.1.1) the upper six bits are reserved; in MQTT 5 the upper two
    // [MQTT-3.8.3-5], and QoS 3 is malformed in both.
    if (qos === 3 || (options & (v5 ? 0xc0 : 0xfc)) !== 0) violation('malformed', `SUBSCRIBE: subscription options (requested QoS) byte is ${options}`);
    const retainHandling = (options >> 4) & 0x03;
    if (retainHandling === 3) violation('malformed', 'SUBSCRIBE: retain handling is 3', ReasonCode.PROTOCOL_ERROR);
    const noLocal = (options & 0x04) !== 0;
    // [MQTT-3.8.3-4] No Local on a shared subscription is a Protocol Error.
    if (noLocal && filter.startsWith('$share/')) violation('invalid-filter', `SUBSCRIBE: No Local set on shared subscription "${filter}"`, ReasonCode.PROTOCOL_ERROR);
    subscriptions.push({ filter, qos: qos as QoS, noLocal, retainAsPublished: (options & 0x08) !== 0, retainHandling: retainHandling as 0 | 1 | 2 });
  }
  const packet: SubscribePacket = { type: PacketType.SUBSCRIBE, packetId, subscriptions };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

function parseUnsubscribe(body: BodyReader, flags: number, context: ParseContext): UnsubscribePacket {
  checkFlags('UNSUBSCRIBE', flags, 0x02); // [MQTT-3.10.1-1]
  const packetId = body.packetIdentifier();
  const properties = context.protocolLevel === ProtocolLevel.V5 ? readProperties(body, PacketType.UNSUBSCRIBE) : undefined;
  if (body.remaining === 0) violation('malformed', 'UNSUBSCRIBE: no topic filter', ReasonCode.PROTOCOL_ERROR); // [MQTT-3.10.3-2]
  const filters: string[] = [];
  while (body.remaining > 0) {
    const filter = body.string('topic filter');
    checkTopicFilter(filter, 'UNSUBSCRIBE', context.maxTopicLevels);
    filters.push(filter);
  }
  const packet: UnsubscribePacket = { type: PacketType.UNSUBSCRIBE, packetId, filters };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

function parseReasonAndProperties(body: BodyReader, type: typeof PacketType.DISCONNECT | typeof PacketType.AUTH): { reasonCode: number; properties?: Properties } {
  const result: { reasonCode: number; properties?: Properties } = { reasonCode: ReasonCode.SUCCESS };
  if (body.remaining > 0) {
    result.reasonCode = body.uint8('reason code');
    if (body.remaining > 0) {
      const properties = readProperties(body, type);
      if (properties !== undefined) result.properties = properties;
    }
  }
  body.finish();
  return result;
}

/**
 * Parses the packet in buffer[start, end) whose body starts at bodyStart. Throws a
 * ProtocolViolation for anything a client must not send.
 */
export function parseInbound(buffer: Buffer, start: number, bodyStart: number, end: number, context: ParseContext): InboundPacket {
  const type = buffer[start]! >> 4;
  const flags = buffer[start]! & 0x0f;
  const name = PACKET_NAMES[type]!;
  const body = new BodyReader(buffer, bodyStart, end, name);
  const v5 = context.protocolLevel === ProtocolLevel.V5;
  // [MQTT-3.1.0-1] The first packet is CONNECT; [MQTT-3.1.0-2] and there is only one.
  if (type !== PacketType.CONNECT && context.protocolLevel === 0) violation('not-connected', `the first packet must be CONNECT, got ${name}`);
  switch (type) {
    case PacketType.CONNECT:
      if (context.protocolLevel !== 0) violation('second-connect', 'a second CONNECT on one connection', ReasonCode.PROTOCOL_ERROR);
      return parseConnect(body, flags, context);
    case PacketType.PUBLISH:
      return parsePublish(body, flags, context);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return parseAcknowledgement(body, type, flags, context);
    case PacketType.SUBSCRIBE:
      return parseSubscribe(body, flags, context);
    case PacketType.UNSUBSCRIBE:
      return parseUnsubscribe(body, flags, context);
    case PacketType.PINGREQ:
      checkFlags(name, flags, 0);
      body.finish();
      return { type: PacketType.PINGREQ };
    case PacketType.DISCONNECT:
      checkFlags(name, flags, 0);
      if (!v5) {
        body.finish();
        return { type: PacketType.DISCONNECT, reasonCode: ReasonCode.SUCCESS };
      }
      return { type: PacketType.DISCONNECT, ...parseReasonAndProperties(body, PacketType.DISCONNECT) };
    case PacketType.AUTH: {
      if (!v5) return violation('reserved-type', 'packet type 15 is reserved in MQTT 3.1.1');
      checkFlags(name, flags, 0);
      const auth = parseReasonAndProperties(body, PacketType.AUTH);
      if (!AUTH_CODES.has(auth.reasonCode as 0)) violation('bad-reason-code', `AUTH: reason code 0x${auth.reasonCode.toString(16)} is not one AUTH may carry`, ReasonCode.PROTOCOL_ERROR);
      return { type: PacketType.AUTH, ...auth };
    }
    case PacketType.CONNACK:
    case PacketType.SUBACK:
    case PacketType.UNSUBACK:
    case PacketType.PINGRESP:
      return violation('server-packet', `the client sent ${name}, which only a server sends`, ReasonCode.PROTOCOL_ERROR);
    default:
      return violation('reserved-type', `packet type ${type} is reserved`);
  }
}

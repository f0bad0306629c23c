// MQTT 5 properties (section 2.2.2): the table of identifiers, which packets may carry
// each, reading them with every MUST checked, and writing them. User Properties keep
// their order and may repeat [MQTT-3.3.2-18]; every other property appears at most once
// (a Subscription Identifier may repeat only in a PUBLISH the server sends).
import { PacketType, ReasonCode } from './constants.ts';
import { type BodyReader, type ByteWriter, variableIntegerBytes, violation } from './wire.ts';

export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** One in a SUBSCRIBE; one per matching subscription in a PUBLISH to a client. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQos?: number;
  retainAvailable?: number;
  userProperties?: Array<[string, string]>;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

type PropertyName = keyof Properties;
type ValueType = 'byte' | 'uint16' | 'uint32' | 'variable' | 'string' | 'binary' | 'pair';

/** The will's properties sit in CONNECT's payload; this bit stands for them in the masks below. */
export const WILL_PROPERTIES = 16;

interface PropertyDefinition {
  id: number;
  name: PropertyName;
  type: ValueType;
  /** Bit (1 << packet type) for each packet that may carry it, WILL_PROPERTIES for the will. */
  packets: number;
  /** For a byte: the largest value allowed (0/1 flags). */
  max?: number;
  /** Zero is a Protocol Error for it. */
  nonZero?: boolean;
}

const bit = (...types: number[]): number => types.reduce((mask, type) => mask | (1 << type), 0);
const { CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH } = PacketType;
const ALL_PACKETS = bit(CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH, WILL_PROPERTIES);
const ACKNOWLEDGEMENTS = bit(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH);

/** MQTT 5.0 table 2-4, in identifier order (which is also the order they are written in). */
const DEFINITIONS: PropertyDefinition[] = [
  { id: 0x01, name: 'payloadFormatIndicator', type: 'byte', packets: bit(PUBLISH, WILL_PROPERTIES), max: 1 },
  { id: 0x02, name: 'messageExpiryInterval', type: 'uint32', packets: bit(PUBLISH, WILL_PROPERTIES) },
  { id: 0x03, name: 'contentType', type: 'string', packets: bit(PUBLISH, WILL_PROPERTIES) },
  { id: 0x08, name: 'responseTopic', type: 'string', packets: bit(PUBLISH, WILL_PROPERTIES) },
  { id: 0x09, name: 'correlationData', type: 'binary', packets: bit(PUBLISH, WILL_PROPERTIES) },
  { id: 0x0b, name: 'subscriptionIdentifiers', type: 'variable', packets: bit(PUBLISH, SUBSCRIBE), nonZero: true },
  { id: 0x11, name: 'sessionExpiryInterval', type: 'uint32', packets: bit(CONNECT, CONNACK, DISCONNECT) },
  { id: 0x12, name: 'assignedClientIdentifier', type: 'string', packets: bit(CONNACK) },
  { id: 0x13, name: 'serverKeepAlive', type: 'uint16', packets: bit(CONNACK) },
  { id: 0x15, name: 'authenticationMethod', type: 'string', packets: bit(CONNECT, CONNACK, AUTH) },
  { id: 0x16, name: 'authenticationData', type: 'binary', packets: bit(CONNECT, CONNACK, AUTH) },
  { id: 0x17, name: 'requestProblemInformation', type: 'byte', packets: bit(CONNECT), max: 1 },
  { id: 0x18, name: 'willDelayInterval', type: 'uint32', packets: bit(WILL_PROPERTIES) },
  { id: 0x19, name: 'requestResponseInformation', type: 'byte', packets: bit(CONNECT), max: 1 },
  { id: 0x1a, name: 'responseInformation', type: 'string', packets: bit(CONNACK) },
  { id: 0x1c, name: 'serverReference', type: 'string', packets: bit(CONNACK, DISCONNECT) },
  { id: 0x1f, name: 'reasonString', type: 'string', packets: ACKNOWLEDGEMENTS },
  { id: 0x21, name: 'receiveMaximum', type: 'uint16', packets: bit(CONNECT, CONNACK), nonZero: true },
  { id: 0x22, name: 'topicAliasMaximum', type: 'uint16', packets: bit(CONNECT, CONNACK) },
  // An alias of 0 is "Topic Alias invalid", checked where aliases are resolved [MQTT-3.3.2-8].
  { id: 0x23, name: 'topicAlias', type: 'uint16', packets: bit(PUBLISH) },
  { id: 0x24, name: 'maximumQos', type: 'byte', packets: bit(CONNACK), max: 1 },
  { id: 0x25, name: 'retainAvailable', type: 'byte', packets: bit(CONNACK), max: 1 },
  { id: 0x26, name: 'userProperties', type: 'pair', packets: ALL_PACKETS },
  { id: 0x27, name: 'maximumPacketSize', type: 'uint32', packets: bit(CONNECT, CONNACK), nonZero: true },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', type: 'byte', packets: bit(CONNACK), max: 1 },
  { id: 0x29, name: 'subscriptionIdentifierAvailable', type: 'byte', packets: bit(CONNACK), max: 1 },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', type: 'byte', packets: bit(CONNACK), max: 1 },
];

const BY_ID: Array<PropertyDefinition | undefined> = [];
for (const definition of DEFINITIONS) BY_ID[definition.id] = definition;

/**
 * Reads a property block: its length, then the properties. `packetType` is the packet
 * (or WILL_PROPERTIES) they belong to. Returns undefined for an empty block.
 */
export function readProperties(reader: BodyReader, packetType: number): Properties | undefined {
  const length = reader.variableInteger('property length');
  if (length === 0) return undefined;
  const end = reader.position + length;
  if (end > reader.end) violation('malformed', `${reader.packet}: the properties run past the end of the packet`);
  const where = packetType === WILL_PROPERTIES ? `${reader.packet} will properties` : reader.packet;
  const properties: Properties = {};
  const seen = new Set<number>();
  while (reader.position < end) {
    const id = reader.variableInteger('property identifier');
    const definition = BY_ID[id];
    // An identifier this version does not define makes the packet malformed [MQTT-2.2.2-?].
    if (definition === undefined) violation('bad-property', `${where}: unknown property identifier 0x${id.toString(16).padStart(2, '0')}`, ReasonCode.MALFORMED_PACKET);
    if ((definition.packets & (1 << packetType)) === 0) violation('misplaced-property', `${where}: property ${definition.name} (0x${id.toString(16).padStart(2, '0')}) is not allowed here`, ReasonCode.PROTOCOL_ERROR);
    // It is a Protocol Error to include a property more than once (User Properties excepted).
    if (definition.type !== 'pair') {
      if (seen.has(id)) violation('duplicate-property', `${where}: property ${definition.name} appears more than once`, ReasonCode.PROTOCOL_ERROR);
      seen.add(id);
    }
    readValue(reader, definition, properties, where);
  }
  if (reader.position !== end) violation('malformed', `${where}: the last property runs past the property length`);
  return properties;
}

function readValue(reader: BodyReader, definition: PropertyDefinition, properties: Properties, where: string): void {
  const record = properties as Record<string, unknown>;
  switch (definition.type) {
    case 'byte': {
      const value = reader.uint8(definition.name);
      if (definition.max !== undefined && value > definition.max) violation('bad-property', `${where}: ${definition.name} is ${value}, must be 0 or 1`, ReasonCode.PROTOCOL_ERROR);
      record[definition.name] = value;
      return;
    }
    case 'uint16':
    case 'uint32': {
      const value = definition.type === 'uint16' ? reader.uint16(definition.name) : reader.uint32(definition.name);
      if (definition.nonZero === true && value === 0) violation('bad-property', `${where}: ${definition.name} is 0`, ReasonCode.PROTOCOL_ERROR);
      record[definition.name] = value;
      return;
    }
    case 'variable': {
      const value = reader.variableInteger(definition.name);
      // [MQTT-3.8.2-?] A Subscription Identifier of 0 is a Protocol Error.
      if (value === 0) violation('bad-property', `${where}: ${definition.name} is 0`, ReasonCode.PROTOCOL_ERROR);
      (properties.subscriptionIdentifiers ??= []).push(value);
      return;
    }
    case 'string':
      record[definition.name] = reader.string(definition.name);
      return;
    case 'binary':
      record[definition.name] = Buffer.from(reader.binary(definition.name));
      return;
    case 'pair': {
      const name = reader.string('user property name');
      const value = reader.string('user property value');
      (properties.userProperties ??= []).push([name, value]);
      return;
    }
  }
}

function valueBytes(definition: PropertyDefinition, value: unknown): number {
  switch (definition.type) {
    case 'byte': return 1;
    case 'uint16': return 2;
    case 'uint32': return 4;
    case 'variable': return variableIntegerBytes(value as number);
    case 'string': return 2 + Buffer.byteLength(value as string, 'utf8');
    case 'binary': return 2 + (value as Buffer).length;
    case 'pair': {
      const [name, text] = value as [string, string];
      return 4 + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(text, 'utf8');
    }
  }
}

/** Bytes of the properties themselves, without their length prefix. */
export function propertiesBytes(properties: Properties | undefined): number {
  if (properties === undefined) return 0;
  let size = 0;
  for (const definition of DEFINITIONS) {
    const value = properties[definition.name];
    if (value === undefined) continue;
    if (definition.name === 'userProperties' || definition.name === 'subscriptionIdentifiers') {
      for (const item of value as unknown[]) size += 1 + valueBytes(definition, item);
    } else {
      size += 1 + valueBytes(definition, value);
    }
  }
  return size;
}

/** Bytes of a property block: the length prefix and the properties. */
export function propertyBlockBytes(properties: Properties | undefined): number {
  const size = propertiesBytes(properties);
  return variableIntegerBytes(size) + size;
}

function writeValue(writer: ByteWriter, definition: PropertyDefinition, value: unknown): void {
  writer.uint8(definition.id);
  switch (definition.type) {
    case 'byte': writer.uint8(value as number); return;
    case 'uint16': writer.uint16(value as number); return;
    case 'uint32': writer.uint32(value as number); return;
    case 'variable': writer.variableInteger(value as number); return;
    case 'string': writer.string(value as string); return;
    case 'binary': writer.prefixed(value as Buffer); return;
    case 'pair': {
      const [name, text] = value as [string, string];
      writer.string(name).string(text);
    }
  }
}

/** Writes a property block of `size` bytes (from propertiesBytes). */
export function writeProperties(writer: ByteWriter, properties: Properties | undefined, size: number): void {
  writer.variableInteger(size);
  if (properties === undefined) return;
  for (const definition of DEFINITIONS) {
    const value = properties[definition.name];
    if (value === undefined) continue;
    if (definition.name === 'userProperties' || definition.name === 'subscriptionIdentifiers') {
      for (const item of value as unknown[]) writeValue(writer, definition, item);
    } else {
      writeValue(writer, definition, value);
    }
  }
}

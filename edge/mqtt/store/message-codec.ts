// The bytes of a message in the session store: a CBOR map, so that Buffers stay Buffers
// and a field added later is kept rather than dropped by a fixed column list. Rows
// written by the earlier aedes-based broker (schema 1) hold aedes's packet objects, whose
// field names this codec shares (topic, payload, qos, retain, messageId, cmd, clientId),
// so they are read the same way.
import { Encoder } from 'cbor-x';
import type { QoS } from '../packets/inbound.ts';
import type { Message, MessageProperties } from '../message.ts';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

export interface StoredFields {
  topic?: string;
  payload?: Buffer | Uint8Array | string;
  qos?: number;
  retain?: boolean;
  properties?: MessageProperties;
  expiresAt?: number;
  /** The publisher's client id (aedes stored it under the same name). */
  clientId?: string;
  /** A packet identifier, when one is assigned (outgoing) or received (incoming). */
  messageId?: number;
  /** 'pubrel' once a QoS 2 delivery reached PUBREC (aedes's name). */
  cmd?: string;
  [field: string]: unknown;
}

export function encodeFields(fields: StoredFields): Buffer {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) plain[name] = value;
  return cbor.encode(plain);
}

export function decodeFields(bytes: Buffer): StoredFields {
  return cbor.decode(bytes) as StoredFields;
}

export function messageFields(message: Message): StoredFields {
  return { topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, properties: message.properties, expiresAt: message.expiresAtMs, clientId: message.publisherId };
}

export function messageFromFields(fields: StoredFields): Message {
  const payload = fields.payload === undefined ? Buffer.alloc(0) : typeof fields.payload === 'string' ? Buffer.from(fields.payload, 'utf8') : Buffer.from(fields.payload);
  const message: Message = { topic: String(fields.topic ?? ''), payload, qos: ((fields.qos ?? 0) & 3) as QoS, retain: fields.retain === true };
  // aedes's packets carried a properties object of its own shape; only this codec's is read.
  if (isMessageProperties(fields.properties)) message.properties = fields.properties;
  if (typeof fields.expiresAt === 'number') message.expiresAtMs = fields.expiresAt;
  if (typeof fields.clientId === 'string') message.publisherId = fields.clientId;
  return message;
}

function isMessageProperties(value: unknown): value is MessageProperties {
  if (typeof value !== 'object' || value === null) return false;
  const userProperties = (value as MessageProperties).userProperties;
  return userProperties === undefined || Array.isArray(userProperties);
}

export function encodeMessage(message: Message): Buffer {
  return encodeFields(messageFields(message));
}

export function decodeMessage(bytes: Buffer): Message {
  return messageFromFields(decodeFields(bytes));
}

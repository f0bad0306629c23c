// What the SQLite workload tells its checker, through marker lines in the trace. Each
// change the workload asks of a store is a list of facts — a key (one committed offset,
// one session, one subscription, one QoS 2 packet identifier, one held message) and the
// value it is to have, or null for gone — written down as `submitted` before the store is
// called, and as `acknowledged` when the store's promise resolves, which is when the
// product would answer its client (OffsetCommit response, CONNACK, SUBACK, PUBREC, PUBACK).
//
// Each store writes its changes in the order they were asked (one FIFO queue, one
// transaction at a time), so once a change is acknowledged every change asked of that
// store before it is committed too: a key's recovered value must be the value of its
// latest acknowledged change or of one asked after it — never an older one (offsets never
// move backwards past what was committed), and never one nobody asked for.
import type { StoredFields } from '../../../edge/mqtt/store/message-codec.ts';

/** The stores the workload writes, each its own database under meta/ and its own queue. */
export type StoreName = 'groups' | 'mqtt' | 'topics';

export interface Fact {
  key: string;
  /** The value the change gives the key; null when the change removes it. */
  value: string | null;
}

export type WorkloadMarker =
  | { phase: 'submitted'; id: number; store: StoreName; facts: Fact[] }
  | { phase: 'acknowledged'; id: number };

export function offsetKey(group: string, topic: string, partition: number): string {
  return `offset ${group}/${topic}/${partition}`;
}

export function topicKey(name: string): string {
  return `topic ${name}`;
}

/** The value of a topic in the catalog: what the checker compares. */
export function topicValue(topicId: string, partitions: number): string {
  return `${topicId} ${partitions} partitions`;
}

export function sessionKey(clientId: string): string {
  return `session ${clientId}`;
}

export function subscriptionKey(clientId: string, filter: string): string {
  return `subscription ${clientId} ${filter}`;
}

/** A QoS 2 packet identifier received and answered with PUBREC, awaiting PUBREL [MQTT-4.3.3-9]. */
export function incomingKey(clientId: string, packetId: number): string {
  return `incoming ${clientId} ${packetId}`;
}

export function outgoingKey(clientId: string, sequence: number): string {
  return `outgoing ${clientId} ${sequence}`;
}

/** The value of a held message: the fields the checker compares, in one order. */
export function outgoingValue(fields: StoredFields): string {
  const payload = fields.payload === undefined ? '' : Buffer.from(fields.payload as Uint8Array | string).toString('utf8');
  return JSON.stringify([fields.topic ?? null, fields.qos ?? null, fields.messageId ?? null, fields.cmd ?? null, payload]);
}

/** The client a key of an MQTT table belongs to, or undefined for a key of another kind. */
export function clientOfKey(key: string): string | undefined {
  const [kind, clientId] = key.split(' ');
  return kind === 'subscription' || kind === 'incoming' || kind === 'outgoing' ? clientId : undefined;
}

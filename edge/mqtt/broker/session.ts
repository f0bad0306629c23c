// A session (MQTT 5.0 section 4.1): what the broker holds for one client id across its
// connections — subscriptions, messages queued for it and in flight to it, QoS 2 packet
// identifiers it sent and has not released — and how long it lives after its client left.
//
// Outgoing QoS 1/2 messages wait in a queue and are sent while fewer than the client's
// Receive Maximum are unacknowledged [MQTT-3.3.4-7]. A message keeps the packet
// identifier it was first sent with until it is acknowledged, also when it is sent again
// on a later connection [MQTT-4.4.0-1]. A session that outlives its connection writes
// all of this through to the session store.
import type { QoS } from '../packets/inbound.ts';
import { isExpired, type Message } from '../message.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { StoredFields } from '../store/message-codec.ts';
import { messageFields, messageFromFields } from '../store/message-codec.ts';
import type { Deadline } from './deadlines.ts';
import type { SharedGroup, Subscription } from './subscription-index.ts';

/** Packet identifiers are two-byte integers, 0 excluded [MQTT-2.2.1-3]. */
const PACKET_ID_MAX = 65_535;

export interface OutboundEntry {
  message: Message;
  /** The QoS it is delivered with: the lower of the message's and the subscription's. */
  qos: QoS;
  /** The RETAIN flag it is delivered with. */
  retain: boolean;
  subscriptionIdentifiers?: number[];
  /** 0 until first sent. */
  packetId: number;
  /** PUBREC received, PUBREL sent: only PUBCOMP is awaited. */
  released: boolean;
  /** Its row in the session store; 0 when the session is not stored. */
  sequence: number;
  /** The shared subscription it was delivered through, if any. */
  group?: SharedGroup<Session>;
  /** The connection it was last sent on: a resend on reconnect skips what this connection has. */
  sentOn?: DeliveryChannel;
}

/** What a session needs from the connection of its client. */
export interface DeliveryChannel {
  /** The client's Receive Maximum: QoS 1/2 messages it accepts unacknowledged. */
  readonly receiveMaximum: number;
  /** Sends a PUBLISH; false when the client's Maximum Packet Size forbids it. */
  sendPublish(entry: OutboundEntry, dup: boolean): boolean;
  sendRelease(packetId: number): void;
}

export interface SessionEnvironment {
  store: SessionStore;
  /** Messages one session may hold queued or in flight (mqtt.limits.maxQueuedPerClient). */
  maxQueued: number;
  onQueueOverflow(clientId: string, message: Message): void;
  /** A message not delivered: expired before it was sent, or too large for the client. */
  onDropped(reason: 'expired' | 'too-large', clientId: string, message: Message): void;
  /** The client acknowledged a QoS 1/2 delivery (PUBACK, PUBCOMP). */
  onAcknowledged(clientId: string, message: Message): void;
}

export class Session {
  readonly clientId: string;
  readonly #environment: SessionEnvironment;
  channel: DeliveryChannel | null = null;
  /** Seconds the session lives after its client left; 0 ends it with the connection. */
  expirySeconds: number;
  /** Whether it is in the session store. */
  stored = false;
  readonly subscriptions = new Map<string, Subscription<Session>>();
  /** QoS 2 packet identifiers received and not released, with a message still to deliver (schema 1 rows only). */
  incoming: Map<number, Message | null> | undefined;
  /** When its client left; undefined while connected. */
  disconnectedAtMs: number | undefined;
  expiry: Deadline | undefined;
  /** Not yet sent, in order. */
  #queue: OutboundEntry[] = [];
  #queueHead = 0;
  /** Sent and not yet acknowledged, in the order first sent. */
  #inflight = new Map<number, OutboundEntry>();
  #nextPacketId = 1;

  constructor(clientId: string, expirySeconds: number, environment: SessionEnvironment) {
    this.clientId = clientId;
    this.expirySeconds = expirySeconds;
    this.#environment = environment;
  }

  /** Messages held: queued and in flight. */
  get heldCount(): number {
    return this.#queue.length - this.#queueHead + this.#inflight.size;
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  /**
   * Delivers a message to this session. QoS 0 goes out at once if the client is
   * connected and is not kept otherwise; QoS 1/2 is queued (and stored, for a stored
   * session) and sent as the client's Receive Maximum allows. Returns the commit of the
   * stored copy, which the publisher's acknowledgement waits for, or undefined.
   */
  deliver(message: Message, qos: QoS, retain: boolean, subscriptionIdentifiers: number[] | undefined, group: SharedGroup<Session> | undefined): Promise<void> | undefined {
    const entry: OutboundEntry = { message, qos, retain, packetId: 0, released: false, sequence: 0 };
    if (subscriptionIdentifiers !== undefined) entry.subscriptionIdentifiers = subscriptionIdentifiers;
    if (group !== undefined) entry.group = group;
    if (qos === 0) {
      if (this.channel !== null && !this.#dropIfExpired(entry)) this.channel.sendPublish(entry, false);
      return undefined;
    }
    if (this.heldCount >= this.#environment.maxQueued) {
      // The record is in the log already; this session alone misses it. Counted and
      // reported by the caller, never dropped silently.
      this.#environment.onQueueOverflow(this.clientId, message);
      return undefined;
    }
    let stored: Promise<void> | undefined;
    if (this.stored) {
      entry.sequence = this.#environment.store.nextSequence();
      stored = this.#environment.store.outgoing.add(this.clientId, entry.sequence, this.#fields(entry));
    }
    this.#queue.push(entry);
    this.pump();
    return stored;
  }

  /** Puts an entry held elsewhere (a shared subscription's redelivery) into this session. */
  adopt(entry: OutboundEntry): Promise<void> | undefined {
    return this.deliver(entry.message, entry.qos, entry.retain, entry.subscriptionIdentifiers, entry.group);
  }

  /** Sends queued messages while the client's Receive Maximum allows. */
  pump(): void {
    const channel = this.channel;
    if (channel === null) return;
    while (this.#queueHead < this.#queue.length && this.#inflight.size < channel.receiveMaximum) {
      const entry = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as OutboundEntry;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      // [MQTT-3.3.2-5] Not sent once expired.
      if (this.#dropIfExpired(entry)) {
        this.#forget(entry);
        continue;
      }
      entry.packetId = this.#allocatePacketId();
      this.#inflight.set(entry.packetId, entry);
      entry.sentOn = channel;
      if (!channel.sendPublish(entry, false)) {
        // [MQTT-3.1.2-25] Too large for the client: discarded as if delivered.
        this.#inflight.delete(entry.packetId);
        this.#environment.onDropped('too-large', this.clientId, entry.message);
        this.#forget(entry);
        continue;
      }
      if (entry.sequence !== 0) this.#environment.store.outgoing.update(this.clientId, entry.sequence, this.#fields(entry));
    }
    if (this.#queueHead === this.#queue.length && this.#queueHead > 0) {
      this.#queue = [];
      this.#queueHead = 0;
    }
  }

  /**
   * On a new connection to this session: sends every unacknowledged message again, with
   * its packet identifier and DUP set, and PUBREL for those past PUBREC [MQTT-4.4.0-1].
   */
  resend(): void {
    const channel = this.channel;
    if (channel === null) return;
    for (const entry of [...this.#inflight.values()]) {
      // Sent on this connection already (between its CONNACK and now): not again.
      if (entry.sentOn === channel) continue;
      entry.sentOn = channel;
      if (entry.released) channel.sendRelease(entry.packetId);
      else if (!channel.sendPublish(entry, true)) {
        this.#inflight.delete(entry.packetId);
        this.#environment.onDropped('too-large', this.clientId, entry.message);
        this.#forget(entry);
      }
    }
    this.pump();
  }

  /** PUBACK, or PUBREC with a failure code: the delivery is complete. Returns whether it was in flight. */
  acknowledged(packetId: number): boolean {
    const entry = this.#inflight.get(packetId);
    if (entry === undefined) return false;
    this.#inflight.delete(packetId);
    this.#forget(entry);
    this.#environment.onAcknowledged(this.clientId, entry.message);
    this.pump();
    return true;
  }

  /** PUBREC: the client has the QoS 2 message; PUBREL follows. */
  received(packetId: number): boolean {
    const entry = this.#inflight.get(packetId);
    if (entry === undefined) return false;
    if (!entry.released) {
      entry.released = true;
      if (entry.sequence !== 0) this.#environment.store.outgoing.update(this.clientId, entry.sequence, this.#fields(entry));
    }
    return true;
  }

  /**
   * Takes out the messages delivered through a shared subscription that the client has
   * not yet received: queued, or sent and not acknowledged (QoS 2 past PUBREC stays).
   */
  takeShared(): OutboundEntry[] {
    const taken: OutboundEntry[] = [];
    for (const [packetId, entry] of this.#inflight) {
      if (entry.group === undefined || entry.released) continue;
      this.#inflight.delete(packetId);
      taken.push(entry);
    }
    const kept: OutboundEntry[] = [];
    for (let index = this.#queueHead; index < this.#queue.length; index++) {
      const entry = this.#queue[index]!;
      if (entry.group === undefined) kept.push(entry);
      else taken.push(entry);
    }
    this.#queue = kept;
    this.#queueHead = 0;
    for (const entry of taken) this.#forget(entry);
    return taken;
  }

  /** Stops being stored: the client asked for a session that ends with its connection. */
  forgetStoredRows(): void {
    for (const entry of this.#inflight.values()) entry.sequence = 0;
    for (let index = this.#queueHead; index < this.#queue.length; index++) this.#queue[index]!.sequence = 0;
  }

  /** Writes every held message to the store (a session that becomes stored). */
  storeHeld(): Promise<void>[] {
    const writes: Promise<void>[] = [];
    const all = [...this.#inflight.values(), ...this.#queue.slice(this.#queueHead)];
    for (const entry of all) {
      entry.sequence = this.#environment.store.nextSequence();
      writes.push(this.#environment.store.outgoing.add(this.clientId, entry.sequence, this.#fields(entry)));
    }
    return writes;
  }

  /** Restores a message read from the session store at start. */
  restore(sequence: number, fields: StoredFields): void {
    const message = messageFromFields(fields);
    const entry: OutboundEntry = {
      message,
      qos: message.qos,
      retain: message.retain,
      packetId: 0,
      released: fields.cmd === 'pubrel',
      sequence,
    };
    // The delivery's own flags where this build stored them (schema 1 stored the delivered packet).
    if (typeof fields.deliveryRetain === 'boolean') entry.retain = fields.deliveryRetain;
    if (Array.isArray(fields.subscriptionIdentifiers)) entry.subscriptionIdentifiers = fields.subscriptionIdentifiers as number[];
    const packetId = typeof fields.messageId === 'number' ? fields.messageId : 0;
    if (packetId > 0 && !this.#inflight.has(packetId)) {
      entry.packetId = packetId;
      this.#inflight.set(packetId, entry);
      if (packetId >= this.#nextPacketId) this.#nextPacketId = packetId === PACKET_ID_MAX ? 1 : packetId + 1;
    } else {
      entry.released = false;
      this.#queue.push(entry);
    }
  }

  #fields(entry: OutboundEntry): StoredFields {
    const fields: StoredFields = { ...messageFields(entry.message), qos: entry.qos, deliveryRetain: entry.retain };
    if (entry.packetId !== 0) fields.messageId = entry.packetId;
    if (entry.released) fields.cmd = 'pubrel';
    if (entry.subscriptionIdentifiers !== undefined) fields.subscriptionIdentifiers = entry.subscriptionIdentifiers;
    return fields;
  }

  #dropIfExpired(entry: OutboundEntry): boolean {
    // Most messages have no expiry: the clock is read only for those that do.
    if (entry.message.expiresAtMs === undefined || !isExpired(entry.message, Date.now())) return false;
    this.#environment.onDropped('expired', this.clientId, entry.message);
    return true;
  }

  #forget(entry: OutboundEntry): void {
    if (entry.sequence !== 0) this.#environment.store.outgoing.delete(this.clientId, entry.sequence);
    entry.sequence = 0;
  }

  #allocatePacketId(): number {
    // Bounded: at most maxQueued identifiers are in use, far below 65535.
    for (;;) {
      const id = this.#nextPacketId;
      this.#nextPacketId = id === PACKET_ID_MAX ? 1 : id + 1;
      if (!this.#inflight.has(id)) return id;
    }
  }
}

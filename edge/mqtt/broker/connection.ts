// One client's network connection: reads its bytes through the connection guard,
// hands each packet to its handler in order (handlers/), writes what the broker sends
// (coalesced within one turn of the event loop into one socket write), and carries the
// state that lives as long as the connection: protocol level, keep alive, the client's
// Receive Maximum, Maximum Packet Size and topic aliases, and the publishes received
// whose acknowledgement waits for the log.
import type { CertificateIdentity } from '../../auth/certificate-principal.ts';
import type { Duplex } from 'node:stream';
import { ConnectionGuard, type Violation } from '../connection-guard.ts';
import { PacketType, ProtocolLevel, ReasonCode, TWO_BYTE_INTEGER_MAX } from '../packets/constants.ts';
import type { InboundPacket } from '../packets/inbound.ts';
import type { Properties } from '../packets/properties.ts';
import { PINGRESP_BYTES, publishBytes, writeAcknowledgement, writePublish, writeReasonPacket, type OutboundPublish, type PacketSink } from '../packets/outbound.ts';
import { ByteWriter } from '../packets/wire.ts';
import { remainingExpirySeconds, type Message } from '../message.ts';
import type { MqttPermissions } from '../permissions.ts';
import type { DeliveryChannel, OutboundEntry, Session } from './session.ts';
import type { Broker } from './broker.ts';
import { dispatch } from './handlers/index.ts';
import type { WillMessage } from './wills.ts';
import type { SaslExchange, SaslStep } from '../../auth/sasl-mechanism.ts';

/** Topic aliases this broker assigns per connection for messages it sends, at most; each holds a topic string. */
const OUTBOUND_TOPIC_ALIASES_MAX = 64;
/**
 * Bytes written to a connection and not yet taken by the socket. Past it the client is
 * disconnected: a subscriber that does not read cannot make the broker hold unbounded
 * QoS 0 traffic for it (QoS 1/2 is bounded by its Receive Maximum and queue limit).
 */
const OUTPUT_BUFFER_BYTES_MAX = 16 * 1024 * 1024;
/**
 * Smallest buffer a turn's output is written into: room for dozens of acknowledgements,
 * and below Node's pool threshold, so that it is a slice of Node's shared pool.
 */
const OUTPUT_CHUNK_BYTES_MIN = 256;
/**
 * Largest buffer a turn's output is written into (sized by what the connection sent in
 * the turn before); more output in one turn goes into further buffers, joined at the end.
 * Bounds what one connection allocates at once.
 */
const OUTPUT_CHUNK_BYTES_MAX = 64 * 1024;

/** A publish received and not yet acknowledged: acknowledgements go out in the order publishes arrived [MQTT-4.6.0-2]. */
export interface PendingPublish {
  qos: number;
  packetId: number;
  message: Message | undefined;
  /** The record is durable (or the publish was refused, or is QoS 0). */
  appended: boolean;
  delivered: boolean;
  /** The retained store and stored sessions hold it. */
  committed: boolean;
  reasonCode: number;
  reasonString?: string;
  /** A QoS 2 publish sent again before PUBREL: acknowledged, not stored twice [MQTT-4.3.3-9]. */
  duplicate?: boolean;
  /** The append of its record, while it is under way. */
  append?: Promise<void> | undefined;
}

/** An MQTT 5 enhanced authentication under way (handlers/authenticate.ts). */
export interface EnhancedAuthentication {
  method: string;
  exchange: SaslExchange;
  /** What the exchange's end (success or refusal) leads to. */
  finish(step: Exclude<SaslStep, { outcome: 'challenge' }>): void | Promise<void>;
}

export interface ConnectionInfo {
  clientId: string;
  protocolLevel: number;
  clean: boolean;
  remote: string | undefined;
  connectedAtMs: number;
}

export class Connection implements DeliveryChannel {
  readonly broker: Broker;
  readonly stream: Duplex;
  readonly remote: string | undefined;
  readonly guard: ConnectionGuard;
  readonly acceptedAtMs = Date.now();
  /** Within mqtt.limits.maxConnections when accepted; the others are refused at CONNECT. */
  readonly admitted: boolean;
  /** The verified client certificate of a TLS connection: it, not the CONNECT, names the user. */
  readonly certificate: CertificateIdentity | undefined;

  protocolLevel = 0;
  clientId = '';
  clean = true;
  connectedAtMs = 0;
  /** CONNECT processed and accepted. */
  connected = false;
  session: Session | null = null;
  username: string | undefined;
  permissions: MqttPermissions | undefined;
  /** An MQTT 5 enhanced authentication (section 4.12) under way: before the CONNACK, or a re-authentication after it. */
  authentication: EnhancedAuthentication | undefined;
  /** The Authentication Method the connection signed in with, if any; re-authentication must use it [MQTT-4.12.1-1]. */
  authenticationMethod: string | undefined;
  will: WillMessage | undefined;
  /** Keep alive in milliseconds, 0 for none; the client is cut off after 1.5 times it [MQTT-3.1.2-24]. */
  keepAliveMs = 0;
  /**
   * When the last whole packet arrived, or the first byte of the packet now arriving: a
   * client trickling a packet a byte at a time does not count as heard from (keep alive),
   * and is cut off once the packet takes longer than mqtt.limits.slowClientTimeoutMs.
   */
  lastPacketAtMs = Date.now();
  /** The client's Receive Maximum: QoS 1/2 publishes it accepts unacknowledged [MQTT-3.3.4-7]. */
  receiveMaximum = TWO_BYTE_INTEGER_MAX;
  /** The client's Maximum Packet Size [MQTT-3.1.2-24]. */
  maximumPacketSize = Infinity;
  /** Whether Reason Strings and User Properties may be sent on acknowledgements [MQTT-3.1.2-29]. */
  problemInformation = true;
  /**
   * The client's Topic Alias Maximum, and the aliases assigned for it. Both alias maps are
   * made on the first alias: most devices use none, and two empty Maps took 350 of the
   * 3,700 bytes of heap an idle connection held (a heap snapshot over 2,000 of them).
   */
  topicAliasMaximum = 0;
  #aliasesOut: Map<string, number> | undefined;
  /** Aliases the client defined [MQTT-3.3.2-12]; at most the Topic Alias Maximum the broker advertised. */
  aliasesIn: Map<number, string> | undefined;
  /** The Session Expiry Interval of the CONNECT: 0 there makes a non-zero one in DISCONNECT a Protocol Error [MQTT-3.14.2-2]. */
  connectSessionExpiry = 0;
  /** Publishes received and not yet acknowledged, in arrival order. */
  readonly pending: PendingPublish[] = [];
  /**
   * How many entries at the head of `pending` are delivered: delivery keeps arrival order,
   * so each durable publish is handled without walking those before it again.
   */
  deliveredPending = 0;
  /** The append the latest publish waits for, with a handler attached (handlers/publish.ts). */
  awaitedAppend: Promise<void> | undefined;
  /** QoS 1/2 publishes counted against the broker's Receive Maximum (pending plus QoS 2 awaiting PUBREL). */
  inboundInflight = 0;
  /** Resolves a publish waiting for an in-flight slot (MQTT 3.1.1 clients wait; MQTT 5 clients are told the maximum). */
  slotWaiter: (() => void) | undefined;

  readonly #inbox: InboundPacket[] = [];
  /** Takes each whole packet the guard has read; one function for every read, not one made per read. */
  readonly #receive = (packet: InboundPacket): void => {
    this.#inbox.push(packet);
  };
  #busy = false;
  #violation: Violation | undefined;
  #closed = false;
  /** Bytes handed to the stream in all, to tell a client that reads slowly from one that does not read. */
  sentBytes = 0;
  /**
   * This turn's output: packets are written straight into it as they are sent, and it
   * leaves in one socket write at the turn's end (a writev of many small packets, or a
   * buffer per packet joined at the end, cost more).
   */
  #output: Buffer | undefined;
  #outputUsed = 0;
  /** Buffers this turn filled before #output, in order, and their bytes. */
  #outputFilled: Buffer[] = [];
  #outputFilledBytes = 0;
  /** Bytes the previous turn sent: the size of the next turn's buffer. */
  #lastTurnBytes = 0;
  /** Room for a packet of `size` bytes in this turn's output. */
  readonly #room: PacketSink = (size) => {
    // A closed connection sends nothing; the packet is written nowhere it could leave from.
    if (this.#closed) return new ByteWriter(size);
    let output = this.#output;
    if (output === undefined) {
      setImmediate(this.#flush);
    } else if (this.#outputUsed + size > output.length) {
      this.#outputFilled.push(output.subarray(0, this.#outputUsed));
      this.#outputFilledBytes += this.#outputUsed;
      output = undefined;
    }
    if (output === undefined) {
      // As large as the previous turn's output, or as this turn's so far (so a burst doubles it).
      const expected = Math.min(OUTPUT_CHUNK_BYTES_MAX, Math.max(OUTPUT_CHUNK_BYTES_MIN, this.#lastTurnBytes, this.#outputFilledBytes));
      output = this.#output = Buffer.allocUnsafe(Math.max(size, expected));
      this.#outputUsed = 0;
    }
    const writer = new ByteWriter(size, output, this.#outputUsed);
    this.#outputUsed += size;
    return writer;
  };
  readonly #flush = (): void => {
    const output = this.#output;
    if (output === undefined) return;
    const filled = this.#outputFilled;
    const bytes = this.#outputFilledBytes + this.#outputUsed;
    this.#output = undefined;
    if (filled.length > 0) {
      this.#outputFilled = [];
      this.#outputFilledBytes = 0;
    }
    this.#lastTurnBytes = bytes;
    if (this.stream.destroyed) return;
    this.sentBytes += bytes;
    const last = output.subarray(0, this.#outputUsed);
    this.stream.write(filled.length === 0 ? last : Buffer.concat([...filled, last], bytes));
    if (this.stream.writableLength > OUTPUT_BUFFER_BYTES_MAX) {
      this.broker.cutOff(this, 'not-reading', `client disconnected: it does not read what is sent to it (${this.stream.writableLength} bytes waiting, more than ${OUTPUT_BUFFER_BYTES_MAX})`, { waitingBytes: this.stream.writableLength });
    }
  };

  constructor(broker: Broker, stream: Duplex, remote: string | undefined, admitted: boolean, certificate?: CertificateIdentity) {
    this.broker = broker;
    this.certificate = certificate;
    this.stream = stream;
    this.remote = remote;
    this.admitted = admitted;
    this.guard = new ConnectionGuard({
      limits: broker.guardLimits,
      onViolation: (found) => {
        this.#violation ??= found;
        broker.reportViolation(this, found);
      },
    });
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', () => {});
    stream.on('close', () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get v5(): boolean {
    return this.protocolLevel === ProtocolLevel.V5;
  }

  info(): ConnectionInfo {
    return { clientId: this.clientId, protocolLevel: this.protocolLevel, clean: this.clean, remote: this.remote, connectedAtMs: this.connectedAtMs };
  }

  #onData(chunk: Buffer): void {
    const continuing = this.guard.holdsPartialPacket;
    if (this.guard.read(chunk, this.#receive) > 0 || !continuing) this.lastPacketAtMs = Date.now();
    this.#drain();
  }

  /** Handles queued packets in order; a handler that returns a promise holds the rest (and the socket) until it settles. */
  #drain(): void {
    while (!this.#busy && !this.#closed && this.#inbox.length > 0) {
      const packet = this.#inbox.shift()!;
      if (this.protocolLevel === 0 && packet.type === PacketType.CONNECT && packet.supported) this.protocolLevel = packet.protocolLevel;
      let result: void | Promise<void>;
      try {
        result = dispatch(this, packet);
      } catch (error) {
        this.broker.handlerFailed(this, error);
        return;
      }
      if (result !== undefined) {
        this.#busy = true;
        this.stream.pause();
        result.then(
          () => {
            this.#busy = false;
            // A packet partly read before the pause is the client's to finish from now.
            if (this.guard.holdsPartialPacket) this.lastPacketAtMs = Date.now();
            if (!this.#closed) this.stream.resume();
            this.#drain();
          },
          (error: unknown) => this.broker.handlerFailed(this, error),
        );
      }
    }
    if (!this.#busy && this.#inbox.length === 0 && this.#violation !== undefined && !this.#closed) {
      this.disconnect(this.#violation.reasonCode);
    }
  }

  /**
   * Queues bytes for the socket; everything sent in one turn of the event loop leaves in
   * one write at its end (acknowledgements of a whole batch, deliveries to a subscriber).
   * An idle connection still writes at once: the write comes after the current turn,
   * without a timer.
   */
  send(bytes: Buffer): void {
    if (this.#closed) return;
    this.#room(bytes.length).bytes(bytes);
  }

  /** Properties for an acknowledgement: a reason string only where the client asked for them [MQTT-3.1.2-29]. */
  reasonProperties(reasonString: string | undefined): Properties | undefined {
    if (reasonString === undefined || !this.problemInformation) return undefined;
    return { reasonString };
  }

  sendAcknowledgement(type: number, packetId: number, reasonCode: number = ReasonCode.SUCCESS, reasonString?: string): void {
    writeAcknowledgement(this.protocolLevel, type, packetId, reasonCode, this.v5 ? this.reasonProperties(reasonString) : undefined, this.#room);
  }

  sendRelease(packetId: number): void {
    this.sendAcknowledgement(PacketType.PUBREL, packetId);
  }

  sendPingResponse(): void {
    this.send(PINGRESP_BYTES);
  }

  sendPublish(entry: OutboundEntry, dup: boolean): boolean {
    const message = entry.message;
    const topicBytes = message.topicBytes ??= this.broker.topicBytes.bytes(message.topic);
    const publish: OutboundPublish = { topic: topicBytes, payload: message.payload, qos: entry.qos, retain: entry.retain, dup, packetId: entry.packetId };
    let newAlias = false;
    if (this.v5) {
      // Most messages carry no properties: no property object is made for them.
      let properties: Properties | undefined = message.properties === undefined ? undefined : { ...message.properties };
      if (message.expiresAtMs !== undefined) (properties ??= {}).messageExpiryInterval = remainingExpirySeconds(message, Date.now());
      if (entry.subscriptionIdentifiers !== undefined) (properties ??= {}).subscriptionIdentifiers = entry.subscriptionIdentifiers;
      if (this.topicAliasMaximum > 0) {
        const aliases = (this.#aliasesOut ??= new Map());
        const alias = aliases.get(message.topic);
        if (alias !== undefined) {
          (properties ??= {}).topicAlias = alias;
          publish.topic = EMPTY;
        } else if (aliases.size < Math.min(this.topicAliasMaximum, OUTBOUND_TOPIC_ALIASES_MAX)) {
          (properties ??= {}).topicAlias = aliases.size + 1;
          newAlias = true;
        }
      }
      if (properties !== undefined) publish.properties = properties;
    }
    const sizes = publishBytes(this.protocolLevel, publish);
    // [MQTT-3.1.2-25] Nothing larger than the client's Maximum Packet Size is sent to it.
    if (sizes.total > this.maximumPacketSize) return false;
    if (newAlias) this.#aliasesOut!.set(message.topic, publish.properties!.topicAlias!);
    writePublish(this.protocolLevel, publish, sizes, this.#room);
    this.broker.countDelivery(message);
    return true;
  }

  /**
   * Ends the connection. An MQTT 5 client gets a DISCONNECT with the reason first
   * (section 4.13); a 3.1.1 client, which has no such packet, sees the connection close.
   */
  disconnect(reasonCode: number, reasonString?: string): void {
    if (this.#closed) return;
    if (this.v5 && this.connected) {
      const properties = reasonString !== undefined ? { reasonString } : undefined;
      this.send(writeReasonPacket(PacketType.DISCONNECT, reasonCode, properties));
    }
    this.#closing();
    this.stream.end();
    // A peer that does not close its side is cut off once the DISCONNECT has left.
    setImmediate(() => this.stream.destroy());
  }

  /** Closes at once, without a DISCONNECT. */
  destroy(): void {
    this.#closing();
    this.stream.destroy();
  }

  #closing(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.length = 0;
    this.#flush();
  }

  #onClose(): void {
    this.#closing();
    this.broker.connectionClosed(this);
  }
}

const EMPTY = Buffer.alloc(0);

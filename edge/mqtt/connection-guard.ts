// Frames the bytes a client sends into MQTT packets and parses each one with every MUST
// of MQTT 3.1.1 and 5.0 about its form checked (packets/inbound.ts), before the broker
// sees it: the packet size limit (checked from the fixed header, so an oversized packet
// is never buffered), well-formed UTF-8 without U+0000 in every string, topic names
// without wildcards, topic filter syntax, non-zero packet identifiers, the fixed-header
// flags of every packet type, MQTT 5 properties (known, allowed on that packet, at most
// once), and packets a client must never send.
//
// A violation ends the connection, as section 4.8 (3.1.1) and 4.13 (5.0) require: the
// broker sends an MQTT 5 client a DISCONNECT with the violation's reason code first.
// Packets before it in the same read are handed over.
import type { Duplex } from 'node:stream';
import { PACKET_NAMES, PacketType, ProtocolLevel, ReasonCode } from './packets/constants.ts';
import { type InboundPacket, parseInbound, type ParseContext } from './packets/inbound.ts';
import { ProtocolViolation, violation } from './packets/wire.ts';

export interface GuardLimits {
  maxPacketBytes: number;
  maxTopicLevels: number;
}

export interface Violation {
  /** A short stable label for the metrics. */
  kind: string;
  /** What was wrong, for the log. */
  reason: string;
  /** The MQTT 5 reason code of the DISCONNECT sent before the connection closes. */
  reasonCode: number;
}

/** The remaining length is at most four bytes long [MQTT-2.2.3]. */
const REMAINING_LENGTH_BYTES_MAX = 4;

export interface ConnectionGuardOptions {
  limits: GuardLimits;
  /** Called once, before the connection is closed for a violation. */
  onViolation: (violation: Violation, clientId: string | undefined) => void;
}

/** Frames and checks the bytes of one connection. */
export class ConnectionGuard {
  readonly #limits: GuardLimits;
  readonly #onViolation: ConnectionGuardOptions['onViolation'];
  readonly #context: ParseContext;
  /** The start of a packet not yet complete. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before the pending bytes can make progress. */
  #needed = 2;
  #clientId: string | undefined;
  #violated = false;

  constructor(options: ConnectionGuardOptions) {
    this.#limits = options.limits;
    this.#onViolation = options.onViolation;
    this.#context = { protocolLevel: 0, maxTopicLevels: options.limits.maxTopicLevels };
  }

  /** The client identifier sent in CONNECT, once it arrived. */
  get clientId(): string | undefined {
    return this.#clientId;
  }

  /** The protocol level of the CONNECT, 0 before it arrived. */
  get protocolLevel(): number {
    return this.#context.protocolLevel;
  }

  get violated(): boolean {
    return this.#violated;
  }

  /** Whether the start of a packet has arrived and its end not yet. */
  get holdsPartialPacket(): boolean {
    return this.#pendingBytes > 0;
  }

  /**
   * Takes the next bytes read and hands each complete, checked packet to `onPacket`, in
   * order. After a violation it reports it (once) and hands over nothing ever after.
   * Returns the number of bytes of whole packets handed over from this chunk and the
   * bytes held before it.
   */
  read(chunk: Buffer, onPacket: (packet: InboundPacket) => void): number {
    if (this.#violated) return 0;
    let data: Buffer;
    if (this.#pendingBytes === 0) {
      data = chunk;
    } else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < this.#needed) return 0;
      data = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let position = 0;
    try {
      while (position < data.length) {
        const size = this.#frame(data, position, onPacket);
        if (size === undefined) break;
        position += size;
      }
    } catch (error) {
      if (!(error instanceof ProtocolViolation)) throw error;
      this.#violated = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#onViolation({ kind: error.kind, reason: error.message, reasonCode: error.reasonCode }, this.#clientId);
      return position;
    }
    if (position < data.length) {
      const rest = data.subarray(position);
      // Copied: a partial packet must not keep the whole read buffer alive.
      this.#pending = [position === 0 && data === chunk ? Buffer.from(rest) : rest];
      this.#pendingBytes = rest.length;
    }
    return position;
  }

  /**
   * Takes the next bytes read and returns the checked whole packets among them (null if
   * none). After a violation it returns the packets before it, and nothing ever after.
   */
  accept(chunk: Buffer): Buffer | null {
    if (this.#violated) return null;
    const data = this.#pendingBytes === 0 ? chunk : Buffer.concat([...this.#pending, chunk]);
    const consumed = this.read(chunk, () => {});
    if (consumed === 0) return null;
    return consumed === data.length ? data : data.subarray(0, consumed);
  }

  /**
   * Checks the packet at `position`: returns its size once it is complete, or undefined
   * (setting #needed) when more bytes must arrive first.
   */
  #frame(data: Buffer, position: number, onPacket: (packet: InboundPacket) => void): number | undefined {
    const available = data.length - position;
    // [MQTT-3.1.0-1] Known from the first byte: no need to wait for the rest of a
    // packet that is refused anyway (an HTTP request sent to the MQTT port, say).
    const type = data[position]! >> 4;
    if (this.#context.protocolLevel === 0 && type !== PacketType.CONNECT) violation('not-connected', `the first packet must be CONNECT, got ${PACKET_NAMES[type]}`);
    let remainingLength = 0;
    let multiplier = 1;
    let lengthBytes = 0;
    for (;;) {
      if (lengthBytes === REMAINING_LENGTH_BYTES_MAX) violation('malformed', 'the remaining length takes more than 4 bytes');
      if (1 + lengthBytes >= available) {
        this.#needed = available + 1;
        return undefined;
      }
      const byte = data[position + 1 + lengthBytes]!;
      remainingLength += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if ((byte & 0x80) === 0) break;
    }
    const size = 1 + lengthBytes + remainingLength;
    if (size > this.#limits.maxPacketBytes) {
      violation('packet-too-large', `a ${PACKET_NAMES[type]} packet of ${size} bytes exceeds the limit of ${this.#limits.maxPacketBytes} bytes (mqtt.limits.maxPacketBytes)`, ReasonCode.PACKET_TOO_LARGE);
    }
    if (size > available) {
      this.#needed = size;
      return undefined;
    }
    const packet = parseInbound(data, position, position + 1 + lengthBytes, position + size, this.#context);
    if (packet.type === PacketType.CONNECT) {
      this.#context.protocolLevel = packet.supported ? packet.protocolLevel : ProtocolLevel.V311;
      this.#clientId = packet.clientId;
    }
    this.#needed = 2;
    onPacket(packet);
    return size;
  }
}

/**
 * Puts a guard in `stream`'s read method, for a reader that reads in paused mode. A
 * violation destroys the stream once the packets before it have been read.
 */
export function guardConnection(stream: Duplex, options: ConnectionGuardOptions): ConnectionGuard {
  const guard = new ConnectionGuard(options);
  const read = stream.read.bind(stream);
  stream.read = (size?: number): Buffer | null => {
    const chunk = read(size) as Buffer | null;
    if (chunk === null) return null;
    const accepted = guard.accept(chunk);
    if (guard.violated) stream.destroy();
    return accepted;
  };
  return guard;
}


// A stream between a client's socket and aedes that frames the incoming MQTT packets and
// checks the MUSTs of MQTT 3.1.1 that aedes and mqtt-packet do not, before a byte of the
// packet is parsed: the packet size limit (checked from the fixed header, so an
// oversized packet is never buffered), well-formed UTF-8 without U+0000 in every string,
// topic names without wildcards, topic filter syntax, non-zero packet identifiers, the
// fixed-header flags of every packet type, and packets a client must never send.
//
// A violation closes the network connection, as section 4.8 requires, and is reported
// with its reason; packets before it in the same read are passed on.
//
// The guard sits in the stream's read method, which aedes calls for every read (it reads
// in paused mode: 'readable', then read()). It hands aedes whole, checked packets only
// and keeps the start of an incomplete packet until the rest arrives. Nothing else about
// the connection changes: aedes writes to the socket itself, with no stream in between.
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';

export interface GuardLimits {
  maxPacketBytes: number;
  maxTopicLevels: number;
}

export interface Violation {
  /** A short stable label for the metrics. */
  kind: string;
  /** What was wrong, for the log. */
  reason: string;
}

// Control packet types (MQTT 3.1.1 table 2.1).
const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const PUBREC = 5;
const PUBREL = 6;
const PUBCOMP = 7;
const SUBSCRIBE = 8;
const SUBACK = 9;
const UNSUBSCRIBE = 10;
const UNSUBACK = 11;
const PINGREQ = 12;
const PINGRESP = 13;
const DISCONNECT = 14;

const PACKET_NAMES = ['reserved (0)', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'reserved (15)'];

/** The remaining length is at most four bytes long [MQTT-2.2.3]. */
const REMAINING_LENGTH_BYTES_MAX = 4;

class ViolationError extends Error {
  readonly kind: string;
  constructor(kind: string, reason: string) {
    super(reason);
    this.kind = kind;
  }
}

function violation(kind: string, reason: string): never {
  throw new ViolationError(kind, reason);
}

/** Reads the fields of one packet body, failing with a violation past its end. */
class BodyReader {
  readonly #buffer: Buffer;
  #position: number;
  readonly #end: number;
  readonly #packet: string;

  constructor(buffer: Buffer, start: number, end: number, packet: string) {
    this.#buffer = buffer;
    this.#position = start;
    this.#end = end;
    this.#packet = packet;
  }

  get remaining(): number {
    return this.#end - this.#position;
  }

  uint8(field: string): number {
    if (this.#position + 1 > this.#end) violation('malformed', `${this.#packet}: ${field} is missing`);
    return this.#buffer[this.#position++]!;
  }

  uint16(field: string): number {
    if (this.#position + 2 > this.#end) violation('malformed', `${this.#packet}: ${field} is missing`);
    const value = this.#buffer.readUInt16BE(this.#position);
    this.#position += 2;
    return value;
  }

  /** A length-prefixed field of raw bytes (a will message, a password). */
  binary(field: string): Buffer {
    const length = this.uint16(`length of ${field}`);
    if (this.#position + length > this.#end) violation('malformed', `${this.#packet}: ${field} runs past the end of the packet`);
    const bytes = this.#buffer.subarray(this.#position, this.#position + length);
    this.#position += length;
    return bytes;
  }

  /**
   * A topic name, checked on its bytes without decoding or copying it (this runs for
   * every PUBLISH): well-formed UTF-8, no U+0000, not empty, no wildcards, not too many
   * levels.
   */
  topicName(field: string, maxTopicLevels: number): void {
    const length = this.uint16(`length of ${field}`);
    const start = this.#position;
    const end = start + length;
    if (end > this.#end) violation('malformed', `${this.#packet}: ${field} runs past the end of the packet`);
    if (length === 0) violation('invalid-topic', `${this.#packet}: ${field} is empty`); // [MQTT-4.7.3-1]
    const buffer = this.#buffer;
    let levels = 1;
    let ascii = true;
    for (let index = start; index < end; index++) {
      const byte = buffer[index]!;
      if (byte === 0x2f) levels++;
      else if (byte >= 0x80) ascii = false;
      // [MQTT-1.5.3-2] No U+0000; [MQTT-3.3.2-2] no wildcards in a topic name.
      else if (byte === 0x00) violation('null-character', `${this.#packet}: ${field} contains U+0000`);
      else if (byte === 0x2b || byte === 0x23) violation('invalid-topic', `${this.#packet}: ${field} "${buffer.toString('utf8', start, end)}" contains a wildcard`);
    }
    // [MQTT-1.5.3-1] Only bytes above 0x7f can make UTF-8 ill-formed.
    if (!ascii && !isUtf8(buffer.subarray(start, end))) violation('invalid-utf8', `${this.#packet}: ${field} is not well-formed UTF-8`);
    if (levels > maxTopicLevels) violation('too-many-levels', `${this.#packet}: ${field} "${buffer.toString('utf8', start, end)}" has more than ${maxTopicLevels} levels`);
    this.#position = end;
  }

  /** A UTF-8 encoded string [MQTT-1.5.3]. */
  string(field: string): string {
    const bytes = this.binary(field);
    // [MQTT-1.5.3-1] Well-formed UTF-8, which also excludes encoded surrogates.
    if (!isUtf8(bytes)) violation('invalid-utf8', `${this.#packet}: ${field} is not well-formed UTF-8`);
    // [MQTT-1.5.3-2] No U+0000.
    if (bytes.includes(0)) violation('null-character', `${this.#packet}: ${field} contains U+0000`);
    return bytes.toString('utf8');
  }

  packetIdentifier(): number {
    const identifier = this.uint16('packet identifier');
    // [MQTT-2.3.1-1] A packet identifier is non-zero.
    if (identifier === 0) violation('zero-packet-id', `${this.#packet}: the packet identifier is 0`);
    return identifier;
  }
}

function checkTopicFilter(filter: string, packet: string, limits: GuardLimits): void {
  // [MQTT-4.7.3-1] At least one character.
  if (filter.length === 0) violation('invalid-filter', `${packet}: a topic filter is empty`);
  const levels = filter.split('/');
  if (levels.length > limits.maxTopicLevels) violation('too-many-levels', `${packet}: topic filter "${filter}" has more than ${limits.maxTopicLevels} levels`);
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!;
    // [MQTT-4.7.1-2] '#' alone in the last level.
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) violation('invalid-filter', `${packet}: in topic filter "${filter}" # must be alone in the last level`);
    // [MQTT-4.7.1-3] '+' alone in its level.
    if (level.includes('+') && level !== '+') violation('invalid-filter', `${packet}: in topic filter "${filter}" + must occupy a whole level`);
  }
}

/** Checks one complete packet. Returns the client identifier of a CONNECT. */
function checkPacket(buffer: Buffer, start: number, bodyStart: number, end: number, limits: GuardLimits, connected: boolean): string | undefined {
  const type = buffer[start]! >> 4;
  const flags = buffer[start]! & 0x0f;
  const name = PACKET_NAMES[type]!;
  const body = new BodyReader(buffer, bodyStart, end, name);
  const remainingLength = end - bodyStart;

  if (type !== CONNECT && !connected) violation('not-connected', `the first packet must be CONNECT, got ${name}`); // [MQTT-3.1.0-1]

  switch (type) {
    case CONNECT: {
      if (connected) violation('second-connect', 'a second CONNECT on one connection'); // [MQTT-3.1.0-2]
      if (flags !== 0) violation('header-flags', `CONNECT: fixed header flags are ${flags}, must be 0`); // [MQTT-2.2.2-2]
      const protocolName = body.string('protocol name');
      const level = body.uint8('protocol level');
      // [MQTT-3.1.2-1] An unknown protocol name closes the connection. An unsupported
      // level of a known name is answered by aedes with CONNACK 0x01 [MQTT-3.1.2-2].
      if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp') violation('protocol-name', `CONNECT: protocol name "${protocolName}" is not MQTT`);
      if (level !== 3 && level !== 4) return undefined;
      const connectFlags = body.uint8('connect flags');
      if (connectFlags & 0x01) violation('connect-flags', 'CONNECT: the reserved connect flag is set'); // [MQTT-3.1.2-3]
      const will = (connectFlags & 0x04) !== 0;
      const willQos = (connectFlags >> 3) & 0x03;
      const willRetain = (connectFlags & 0x20) !== 0;
      const hasPassword = (connectFlags & 0x40) !== 0;
      const hasUsername = (connectFlags & 0x80) !== 0;
      if (!will && (willQos !== 0 || willRetain)) violation('connect-flags', 'CONNECT: will QoS or will retain set without the will flag'); // [MQTT-3.1.2-13], [MQTT-3.1.2-15]
      if (willQos === 3) violation('connect-flags', 'CONNECT: will QoS is 3'); // [MQTT-3.1.2-14]
      if (hasPassword && !hasUsername) violation('connect-flags', 'CONNECT: password flag set without the user name flag'); // [MQTT-3.1.2-22]
      body.uint16('keep alive');
      const clientId = body.string('client identifier');
      if (will) {
        body.topicName('will topic', limits.maxTopicLevels);
        body.binary('will message');
      }
      if (hasUsername) body.string('user name');
      if (hasPassword) body.binary('password');
      if (body.remaining !== 0) violation('malformed', `CONNECT: ${body.remaining} bytes follow the last field`);
      return clientId;
    }
    case PUBLISH: {
      const qos = (flags >> 1) & 0x03;
      if (qos === 3) violation('header-flags', 'PUBLISH: QoS 3'); // [MQTT-3.3.1-4]
      if (qos === 0 && (flags & 0x08) !== 0) violation('header-flags', 'PUBLISH: DUP set on a QoS 0 message'); // [MQTT-3.3.1-2]
      body.topicName('topic name', limits.maxTopicLevels);
      if (qos > 0) body.packetIdentifier();
      return undefined;
    }
    case PUBACK:
    case PUBREC:
    case PUBCOMP:
    case PUBREL: {
      const required = type === PUBREL ? 0x02 : 0; // [MQTT-3.6.1-1]
      if (flags !== required) violation('header-flags', `${name}: fixed header flags are ${flags}, must be ${required}`); // [MQTT-2.2.2-2]
      if (remainingLength !== 2) violation('malformed', `${name}: remaining length is ${remainingLength}, must be 2`);
      body.packetIdentifier();
      return undefined;
    }
    case SUBSCRIBE: {
      if (flags !== 0x02) violation('header-flags', `SUBSCRIBE: fixed header flags are ${flags}, must be 2`); // [MQTT-3.8.1-1]
      body.packetIdentifier();
      if (body.remaining === 0) violation('malformed', 'SUBSCRIBE: no topic filter'); // [MQTT-3.8.3-3]
      while (body.remaining > 0) {
        checkTopicFilter(body.string('topic filter'), 'SUBSCRIBE', limits);
        const options = body.uint8('requested QoS');
        if ((options & 0xfc) !== 0 || (options & 0x03) === 3) violation('malformed', `SUBSCRIBE: requested QoS byte is ${options}`); // [MQTT-3-8.3-4]
      }
      return undefined;
    }
    case UNSUBSCRIBE: {
      if (flags !== 0x02) violation('header-flags', `UNSUBSCRIBE: fixed header flags are ${flags}, must be 2`); // [MQTT-3.10.1-1]
      body.packetIdentifier();
      if (body.remaining === 0) violation('malformed', 'UNSUBSCRIBE: no topic filter'); // [MQTT-3.10.3-2]
      while (body.remaining > 0) checkTopicFilter(body.string('topic filter'), 'UNSUBSCRIBE', limits);
      return undefined;
    }
    case PINGREQ:
    case DISCONNECT: {
      if (flags !== 0) violation('header-flags', `${name}: fixed header flags are ${flags}, must be 0`); // [MQTT-2.2.2-2]
      if (remainingLength !== 0) violation('malformed', `${name}: remaining length is ${remainingLength}, must be 0`);
      return undefined;
    }
    case CONNACK:
    case SUBACK:
    case UNSUBACK:
    case PINGRESP:
      return violation('server-packet', `the client sent ${name}, which only a server sends`);
    default:
      return violation('reserved-type', `packet type ${type} is reserved`);
  }
}

export interface ConnectionGuardOptions {
  limits: GuardLimits;
  /** Called once, before the connection is closed for a violation. */
  onViolation: (violation: Violation, clientId: string | undefined) => void;
}

/** Frames and checks the bytes of one connection; see guardConnection. */
export class ConnectionGuard {
  readonly #limits: GuardLimits;
  readonly #onViolation: ConnectionGuardOptions['onViolation'];
  /** The start of a packet not yet complete. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before the pending bytes can make progress. */
  #needed = 2;
  #connected = false;
  #clientId: string | undefined;
  #violated = false;

  constructor(options: ConnectionGuardOptions) {
    this.#limits = options.limits;
    this.#onViolation = options.onViolation;
  }

  /** The client identifier sent in CONNECT, once it arrived. */
  get clientId(): string | undefined {
    return this.#clientId;
  }

  get violated(): boolean {
    return this.#violated;
  }

  /**
   * Takes the next bytes read and returns the checked whole packets among them (null if
   * none). After a violation it returns the packets before it, and nothing ever after.
   */
  accept(chunk: Buffer): Buffer | null {
    if (this.#violated) return null;
    let data: Buffer;
    if (this.#pendingBytes === 0) {
      data = chunk;
    } else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < this.#needed) return null;
      data = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let position = 0;
    try {
      while (position < data.length) {
        const size = this.#frame(data, position);
        if (size === undefined) break;
        position += size;
      }
    } catch (error) {
      this.#violated = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#onViolation(error instanceof ViolationError ? { kind: error.kind, reason: error.message } : { kind: 'malformed', reason: String(error) }, this.#clientId);
      return position > 0 ? data.subarray(0, position) : null;
    }
    if (position < data.length) {
      const rest = data.subarray(position);
      this.#pending = [rest];
      this.#pendingBytes = rest.length;
    }
    if (position === 0) return null;
    return position === data.length ? data : data.subarray(0, position);
  }

  /**
   * Checks the packet at `position`: returns its size once it is complete, or undefined
   * (setting #needed) when more bytes must arrive first.
   */
  #frame(data: Buffer, position: number): number | undefined {
    const available = data.length - position;
    // [MQTT-3.1.0-1] Known from the first byte: no need to wait for the rest of a
    // packet that is refused anyway (an HTTP request sent to the MQTT port, say).
    const type = data[position]! >> 4;
    if (!this.#connected && type !== CONNECT) violation('not-connected', `the first packet must be CONNECT, got ${PACKET_NAMES[type]}`);
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
      violation('packet-too-large', `a ${PACKET_NAMES[type]} packet of ${size} bytes exceeds the limit of ${this.#limits.maxPacketBytes} bytes (mqtt.limits.maxPacketBytes)`);
    }
    if (size > available) {
      this.#needed = size;
      return undefined;
    }
    const clientId = checkPacket(data, position, position + 1 + lengthBytes, position + size, this.#limits, this.#connected);
    if (type === CONNECT) {
      this.#connected = true;
      this.#clientId = clientId;
    }
    this.#needed = 2;
    return size;
  }
}

/**
 * Puts a guard in `stream`'s read method before the stream is handed to aedes. A
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

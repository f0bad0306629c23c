// A bare MQTT 3.1.1 client over a TCP socket for tests that need what a well-behaved
// client never does: withheld acknowledgements, malformed bytes, raw CONNACK codes.
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import { socketClosed } from '../../helpers/socket-closed.ts';

export interface RawPacket {
  type: number;
  flags: number;
  body: Buffer;
}

export interface RawPublish {
  topic: string;
  payload: Buffer;
  qos: number;
  dup: boolean;
  retain: boolean;
  packetId?: number;
}

/** MQTT's variable-length encoding of a packet's remaining length [MQTT-2.2.3]. */
export function remainingLength(length: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

export function frame(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...remainingLength(body.length)]), body]);
}

export function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

export interface ConnectOptions {
  clientId: string;
  clean?: boolean;
  keepaliveSeconds?: number;
  will?: { topic: string; payload: string; qos?: number };
  protocolLevel?: number;
}

export function connectPacket(options: ConnectOptions): Buffer {
  let flags = options.clean === false ? 0 : 0x02;
  const payload = [mqttString(options.clientId)];
  if (options.will) {
    flags |= 0x04 | ((options.will.qos ?? 0) << 3);
    payload.push(mqttString(options.will.topic), mqttString(options.will.payload));
  }
  const level = options.protocolLevel ?? 4;
  // An MQTT 5 CONNECT carries a (here empty) properties block after the keep alive.
  const properties = level === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  return frame(1, 0, Buffer.concat([mqttString('MQTT'), Buffer.from([level, flags]), uint16(options.keepaliveSeconds ?? 0), properties, ...payload]));
}

export function publishPacket(topic: string | Buffer, payload: string, qos = 0, packetId = 1): Buffer {
  return frame(3, qos << 1, Buffer.concat([mqttString(topic), qos > 0 ? uint16(packetId) : Buffer.alloc(0), Buffer.from(payload)]));
}

export function subscribePacket(filters: Array<[string, number]>, packetId = 1): Buffer {
  return frame(8, 2, Buffer.concat([uint16(packetId), ...filters.map(([filter, qos]) => Buffer.concat([mqttString(filter), Buffer.from([qos])]))]));
}

export class RawClient {
  readonly socket: Socket;
  readonly #packets: RawPacket[] = [];
  readonly #waiters: Array<() => void> = [];
  #buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.closed = socketClosed(socket).then(() => {
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (;;) {
        if (this.#buffer.length < 2) break;
        let length = 0;
        let multiplier = 1;
        let index = 1;
        let complete = false;
        while (index < this.#buffer.length && index <= 4) {
          const byte = this.#buffer[index++]!;
          length += (byte & 0x7f) * multiplier;
          multiplier *= 128;
          if ((byte & 0x80) === 0) {
            complete = true;
            break;
          }
        }
        if (!complete || this.#buffer.length < index + length) break;
        this.#packets.push({ type: this.#buffer[0]! >> 4, flags: this.#buffer[0]! & 0x0f, body: this.#buffer.subarray(index, index + length) });
        this.#buffer = this.#buffer.subarray(index + length);
      }
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = tcpConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next packet from the server, or null once the connection closed. */
  async next(): Promise<RawPacket | null> {
    for (;;) {
      const packet = this.#packets.shift();
      if (packet !== undefined) return packet;
      if (this.socket.destroyed || this.socket.readableEnded) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Sends CONNECT and returns the CONNACK as [sessionPresent, returnCode]. */
  async handshake(options: ConnectOptions): Promise<[boolean, number]> {
    this.send(connectPacket(options));
    const connack = await this.next();
    if (connack === null || connack.type !== 2) throw new Error(`expected CONNACK, got ${connack === null ? 'a closed connection' : `type ${connack.type}`}`);
    return [(connack.body[0]! & 0x01) === 1, connack.body[1]!];
  }

  /** Sends SUBSCRIBE and returns the granted QoS codes of the SUBACK. */
  async subscribe(filters: Array<[string, number]>, packetId = 1): Promise<number[]> {
    this.send(subscribePacket(filters, packetId));
    for (;;) {
      const packet = await this.next();
      if (packet === null) throw new Error('connection closed before SUBACK');
      if (packet.type === 9) return [...packet.body.subarray(2)];
      this.#packets.unshift(packet);
      throw new Error(`expected SUBACK, got type ${packet.type}`);
    }
  }

  /** The next PUBLISH (other packets are skipped). */
  async nextPublish(): Promise<RawPublish | null> {
    for (;;) {
      const packet = await this.next();
      if (packet === null) return null;
      if (packet.type !== 3) continue;
      const qos = (packet.flags >> 1) & 0x03;
      const topicLength = packet.body.readUInt16BE(0);
      const topic = packet.body.subarray(2, 2 + topicLength).toString('utf8');
      let position = 2 + topicLength;
      let packetId: number | undefined;
      if (qos > 0) {
        packetId = packet.body.readUInt16BE(position);
        position += 2;
      }
      return { topic, payload: packet.body.subarray(position), qos, dup: (packet.flags & 0x08) !== 0, retain: (packet.flags & 0x01) !== 0, packetId };
    }
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

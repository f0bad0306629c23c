// A bare MQTT 5 client for byte-level tests: it writes packets with mqtt-packet (the
// codec MQTT.js and aedes share, so what the broker sends is read by a codec it did not
// write) or as raw bytes, and reads each packet the broker sends, with its raw bytes.
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { socketClosed } from '../../helpers/socket-closed.ts';

export interface Received {
  packet: Packet;
  bytes: Buffer;
}

export class V5Client {
  readonly socket: Socket;
  readonly #received: Received[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  readonly #parser = mqttPacket.parser({ protocolVersion: 5 });

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.closed = socketClosed(socket).then(() => this.#wake());
    socket.on('error', () => {});
    this.#parser.on('packet', (packet: Packet) => {
      // Which bytes made the packet: the parser takes one packet at a time off the front.
      this.#received.push({ packet, bytes: this.#take() });
      this.#wake();
    });
    this.#parser.on('error', (error: Error) => { throw error; });
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parser.parse(chunk);
    });
  }

  #take(): Buffer {
    let length = 0;
    let multiplier = 1;
    let index = 1;
    for (;;) {
      const byte = this.#buffer[index++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) break;
    }
    const bytes = this.#buffer.subarray(0, index + length);
    this.#buffer = this.#buffer.subarray(index + length);
    return bytes;
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  static async connect(port: number): Promise<V5Client> {
    const socket = tcpConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new V5Client(socket);
  }

  /** Connects, sends CONNECT (MQTT 5 unless the packet says otherwise) and returns the CONNACK. */
  static async open(port: number, connect: Partial<Extract<Packet, { cmd: 'connect' }>> & { clientId: string }): Promise<{ client: V5Client; connack: Extract<Packet, { cmd: 'connack' }> }> {
    const client = await V5Client.connect(port);
    client.send({ cmd: 'connect', protocolVersion: 5, clean: true, keepalive: 0, ...connect } as Packet);
    const connack = await client.next();
    if (connack?.cmd !== 'connack') throw new Error(`expected CONNACK, got ${connack?.cmd ?? 'a closed connection'}`);
    return { client, connack };
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }));
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next packet, with its bytes; null once the connection closed. */
  async nextReceived(): Promise<Received | null> {
    for (;;) {
      const received = this.#received.shift();
      if (received !== undefined) return received;
      if (this.socket.destroyed || this.socket.readableEnded) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async next(): Promise<Packet | null> {
    return (await this.nextReceived())?.packet ?? null;
  }

  /** The next packet of a kind (others are skipped); null once the connection closed. */
  async nextOf<C extends Packet['cmd']>(cmd: C): Promise<Extract<Packet, { cmd: C }> | null> {
    for (;;) {
      const packet = await this.next();
      if (packet === null) return null;
      if (packet.cmd === cmd) return packet as Extract<Packet, { cmd: C }>;
    }
  }

  /** Packets received so far and not read. */
  get unread(): number {
    return this.#received.length;
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

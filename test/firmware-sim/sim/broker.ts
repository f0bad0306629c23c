// An aedes MQTT broker in the test process, on 127.0.0.1 and a free port, that records
// every publish from a client and can drop every connection at once.
import net from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';

export interface TestBroker {
  port: number;
  url: string;
  aedes: Aedes;
  /** Publishes from clients, in arrival order. */
  received: AedesPublishPacket[];
  /** Closes every client connection, as a broker restart or a network break does. */
  dropConnections(): void;
  /** Resolves when a client publish to `topic` arrives (or has already arrived). */
  nextPublish(matches: (packet: AedesPublishPacket) => boolean): Promise<AedesPublishPacket>;
  close(): Promise<void>;
}

export async function startBroker(): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const received: AedesPublishPacket[] = [];
  const waiters: { matches: (packet: AedesPublishPacket) => boolean; resolve: (packet: AedesPublishPacket) => void }[] = [];
  aedes.on('publish', (packet, client) => {
    if (client === null) return;
    received.push(packet);
    for (const waiter of [...waiters]) {
      if (waiter.matches(packet)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(packet);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    aedes,
    received,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    nextPublish: (matches) => {
      const already = received.find(matches);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => waiters.push({ matches, resolve }));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

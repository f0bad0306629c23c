// Small TCP servers and socket utilities for the link's tests.
import net from 'node:net';
import { createHash } from 'node:crypto';

export interface TestServer {
  port: number;
  /** Server-side sockets, in the order they were accepted. */
  sockets: net.Socket[];
  /** Resolves with the next accepted socket. */
  nextSocket(): Promise<net.Socket>;
  close(): Promise<void>;
}

/** A server that runs `onSocket` for each connection, on 127.0.0.1 and a free port. */
export async function startServer(onSocket: (socket: net.Socket) => void, options: net.ServerOpts = {}): Promise<TestServer> {
  const sockets: net.Socket[] = [];
  const waiting: ((socket: net.Socket) => void)[] = [];
  const server = net.createServer(options, (socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    onSocket(socket);
    waiting.shift()?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    nextSocket: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes every byte back; a half-close is echoed too. */
export function startEchoServer(): Promise<TestServer> {
  return startServer((socket) => socket.pipe(socket), { allowHalfOpen: true });
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Starts connecting and returns at once, for connections that may be refused or reset. */
export function connectUnchecked(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  return socket;
}

/** Reads exactly `bytes` bytes from a socket. */
export function readBytes(socket: net.Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes) {
        cleanup();
        const all = Buffer.concat(chunks);
        if (all.length > bytes) socket.unshift(all.subarray(bytes));
        resolve(all.subarray(0, bytes));
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`socket closed after ${received} of ${bytes} bytes`));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** Reads until the peer ends the stream. */
export function readToEnd(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Writes all of `data` in chunks, waiting for 'drain' as a well-behaved sender does. */
export async function writeAll(socket: net.Socket, data: Buffer, chunkBytes = 64 * 1024): Promise<void> {
  for (let offset = 0; offset < data.length; offset += chunkBytes) {
    if (!socket.write(data.subarray(offset, offset + chunkBytes))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          socket.off('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          socket.off('drain', onDrain);
          reject(new Error('socket closed while writing'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    }
  }
}

export function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Waits until `condition` holds, checking every few milliseconds, for state that has no
 * event of its own (a counter in the link). Fails after `timeoutMs` instead of hanging.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

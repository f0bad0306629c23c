// Binds a server and returns the port it got (port 0 asks for any free one). Every
// listener of every command binds through here, so a bind that fails (port taken, an
// address this machine does not have, a privileged port) is one line that names the
// setting to change and the address, e.g.
//   listeners.mqttWs: 127.0.0.1:8083 is already in use
// rather than an 'error' event nobody listens to, or Node's bare "listen EADDRINUSE".
import type { Server } from 'node:net';
import { TributaryError } from '../errors.ts';

export interface ListenTarget {
  /** The setting that chose this address, as a user writes it: `listeners.kafka`, `mirror.http`, `--listen`. */
  key: string;
  host: string;
  port: number;
}

/** Binding a port below this needs root or CAP_NET_BIND_SERVICE on Linux (net.ipv4.ip_unprivileged_port_start). */
const PRIVILEGED_PORTS_BELOW = 1024;

export async function listenOn(server: Server, target: ListenTarget): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenError(target, error as NodeJS.ErrnoException);
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`assertion failed: a TCP server has a port, not ${address}`);
  return address.port;
}

function listenError(target: ListenTarget, error: NodeJS.ErrnoException): TributaryError {
  const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  return new TributaryError('LISTEN_FAILED', `${target.key}: ${where} ${reasonOf(target, error)}`, { key: target.key, host: target.host, port: target.port, errno: error.code }, { cause: error });
}

function reasonOf(target: ListenTarget, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'is already in use';
    case 'EADDRNOTAVAIL':
      return 'cannot be bound: no network interface of this machine has that address (EADDRNOTAVAIL)';
    case 'EACCES':
      return target.port > 0 && target.port < PRIVILEGED_PORTS_BELOW
        ? `cannot be bound: permission denied; a port below ${PRIVILEGED_PORTS_BELOW} needs root or CAP_NET_BIND_SERVICE (EACCES)`
        : 'cannot be bound: permission denied (EACCES)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot be bound: the host name does not resolve (${error.code})`;
    default:
      return `cannot be bound: ${error.message}`;
  }
}

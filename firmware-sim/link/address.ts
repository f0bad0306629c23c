// HOST:PORT addresses as the link's command line and options spell them.
import { TributaryError } from '../../shared/errors.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** Largest TCP port number. */
const PORT_MAX = 65_535;

/**
 * Parses `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`. Port 0 asks the system
 * for a free port. `what` names the option in the error message.
 */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d+)$/.exec(text.trim());
  if (match === null) {
    throw new TributaryError('LINK_OPTION_INVALID', `${what}: "${text}" is not HOST:PORT (for example 127.0.0.1:9092)`, { option: what, value: text });
  }
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port > PORT_MAX) {
    throw new TributaryError('LINK_OPTION_INVALID', `${what}: port ${match[3]} is outside 0..${PORT_MAX}`, { option: what, value: text });
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

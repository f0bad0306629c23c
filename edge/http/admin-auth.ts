// Who may use the HTTP admin port. Bound to the loopback interface it is open to the
// device's own users, as it always was. Bound beyond it (a LAN address, 0.0.0.0), it asks
// for the same passwords as the rest of the broker whenever the rest asks for one: when
// MQTT refuses anonymous clients or Kafka requires SASL on a listener, every request but
// GET /health must carry HTTP Basic credentials of a user of mqtt.authentication.users or
// kafka.sasl.users (a user with a SCRAM credential only is checked against its StoredKey).
// /health stays open for process managers and load balancers; it tells no more than that
// the node is up. SIGHUP reloads the users and whether a password is asked (AdminAccess).
import { isIP } from 'node:net';
import type { Config } from '../../shared/config/schema.ts';
import type { AdminAuthenticator } from '../../shared/http/admin-server.ts';
import { PasswordBook } from '../auth/password-book.ts';

export type { AdminAuthenticator };

/** An Authorization header longer than this is not Basic credentials; refused before decoding. */
const AUTHORIZATION_HEADER_BYTES_MAX = 1024;

/** Whether `host` is reachable only from this device. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Why the admin port asks for a password, or undefined when it is open. */
export function adminAuthenticationReason(config: Config): string | undefined {
  if (isLoopbackHost(config.listeners.http.host)) return undefined;
  if (!config.mqtt.authentication.allowAnonymous) return 'mqtt.authentication.allowAnonymous is false';
  if (config.kafka.sasl.listeners.length > 0) return `kafka.sasl requires SASL on ${config.kafka.sasl.listeners.join(', ')}`;
  return undefined;
}

/** The check of a request's Authorization header, or undefined when the admin port is open (see above). */
export function adminAuthenticator(config: Config): AdminAuthenticator | undefined {
  if (adminAuthenticationReason(config) === undefined) return undefined;
  const books = [
    PasswordBook.fromUsers(config.mqtt.authentication.users, 'mqtt.authentication.users', { acceptScram: true }),
    PasswordBook.fromUsers(config.kafka.sasl.users, 'kafka.sasl.users', { acceptScram: true }),
  ];
  return async (authorization) => {
    const credentials = basicCredentials(authorization);
    if (credentials === undefined) return false;
    for (const book of books) if (await book.check(credentials.username, credentials.password)) return true;
    return false;
  };
}

/** The admin port's check as a reload leaves it: the users, and whether a password is asked at all. */
export class AdminAccess {
  #check: AdminAuthenticator | undefined;

  constructor(config: Config) {
    this.#check = adminAuthenticator(config);
  }

  /** For the admin server: lets a request in when the port is open, else checks its credentials. */
  readonly authenticate: AdminAuthenticator = async (authorization) => this.#check === undefined || this.#check(authorization);

  /** Builds the check of `next` (throwing names the key) and returns what swaps it in. */
  prepareReload(next: Config): () => void {
    const check = adminAuthenticator(next);
    return () => { this.#check = check; };
  }
}

/** RFC 7617 Basic credentials, or undefined when the header holds none. */
export function basicCredentials(authorization: string | undefined): { username: string; password: Buffer } | undefined {
  if (authorization === undefined || authorization.length > AUTHORIZATION_HEADER_BYTES_MAX) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return undefined;
  return { username: decoded.subarray(0, colon).toString('utf8'), password: decoded.subarray(colon + 1) };
}

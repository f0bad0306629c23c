// A TLS listener's settings (listeners.mqtts, listeners.kafkaTls): the certificate files,
// read and checked at start so that a missing or unreadable file stops the daemon with the
// key and the path, rather than failing each client's handshake later. SIGHUP reads them
// again through the same checks (edge/daemon/live-reload.ts): a renewed certificate is
// served to new handshakes, and one that fails a check leaves the running one in place.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type Server, type TlsOptions } from 'node:tls';
import type { TlsListenerConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';

/**
 * A TLS handshake must finish within this long (Node's default is two minutes). A device's
 * handshake takes well under a second even on a slow link; a peer that opens the port and
 * sends nothing would otherwise hold a connection slot all that time.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsListen {
  host: string;
  port: number;
  tls: TlsOptions;
}

function readPem(section: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `${section}.${key}: cannot read ${path}: ${(error as Error).message}`, { key: `${section}.${key}`, path }, { cause: error });
  }
}

/** The TLS listener to start, or null when it is not enabled. `section` names it in errors, e.g. "listeners.mqtts". */
export function tlsListen(config: TlsListenerConfig, section: string): TlsListen | null {
  if (!config.enabled) return null;
  for (const key of ['certFile', 'keyFile'] as const) {
    if (config[key] === '') throw new TributaryError('CONFIG_INVALID', `${section}.${key}: required when ${section}.enabled is true`, { key: `${section}.${key}` });
  }
  if (config.requireClientCertificate && config.caFile === '') {
    throw new TributaryError('CONFIG_INVALID', `${section}.caFile: required with requireClientCertificate, to verify the clients' certificates`, { key: `${section}.caFile` });
  }
  const tls: TlsOptions = {
    cert: readPem(section, 'certFile', config.certFile),
    key: readPem(section, 'keyFile', config.keyFile),
    ...(config.caFile === '' ? {} : { ca: readPem(section, 'caFile', config.caFile) }),
    requestCert: config.requireClientCertificate,
    rejectUnauthorized: config.requireClientCertificate,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
  try {
    // Fails now on a key that does not match its certificate, or PEM that is not one.
    createSecureContext(tls);
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `${section}: the certificate files cannot be used (${config.certFile}, ${config.keyFile}): ${(error as Error).message}`, { key: section }, { cause: error });
  }
  const validity = validityProblem(tls.cert as Buffer, Date.now());
  if (validity !== undefined) throw new TributaryError('CONFIG_INVALID', `${section}.certFile: ${config.certFile}: ${validity}`, { key: `${section}.certFile`, path: config.certFile });
  return { host: config.host, port: config.port, tls };
}

/**
 * Why the server certificate (the first in the file) cannot be served now: expired or not
 * yet valid. Every client would refuse such a handshake, so the file is refused instead,
 * at start or at a reload that would otherwise swap it in.
 */
function validityProblem(pem: Buffer, nowMs: number): string | undefined {
  const certificate = new X509Certificate(pem);
  if (Date.parse(certificate.validTo) < nowMs) return `the certificate expired on ${certificate.validTo}`;
  if (Date.parse(certificate.validFrom) > nowMs) return `the certificate is not valid before ${certificate.validFrom}`;
  return undefined;
}

/**
 * Serves `next`'s certificate, key and CA to handshakes from now on; connections already
 * established keep theirs (Node's server.setSecureContext). The client-certificate
 * requirement is a server option, not part of the context: changing it needs a restart.
 */
export function replaceCertificates(server: Server, next: TlsListen): void {
  const { cert, key, ca } = next.tls;
  server.setSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
}

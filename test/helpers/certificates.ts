// Certificates for the TLS tests: the broker's (a self-signed certificate for localhost and
// 127.0.0.1, kept with the mirror's fixtures), and client certificates made with openssl
// while a test runs.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { requireProgram } from './system-programs.ts';

const FIXTURES = resolve(import.meta.dirname, '../mirror/fixtures');
export const BROKER_CERTIFICATE = join(FIXTURES, 'localhost-cert.pem');
export const BROKER_KEY = join(FIXTURES, 'localhost-key.pem');

/** A CA, a client certificate it signed, and a self-signed impostor, made with openssl in `directory`. */
export function makeClientCertificates(directory: string): Record<'ca' | 'clientCert' | 'clientKey' | 'rogueCert' | 'rogueKey', string> {
  const path = (name: string) => join(directory, name);
  const openssl = (...args: string[]) => execFileSync(requireProgram('openssl'), args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('ca-key.pem'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=test client CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('device-key.pem'), '-out', path('device.csr'), '-subj', '/CN=device-1');
  openssl('x509', '-req', '-in', path('device.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca-key.pem'), '-CAcreateserial', '-out', path('device.pem'), '-days', '2');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('rogue-key.pem'), '-out', path('rogue.pem'), '-days', '2', '-subj', '/CN=device-1');
  return { ca: path('ca.pem'), clientCert: path('device.pem'), clientKey: path('device-key.pem'), rogueCert: path('rogue.pem'), rogueKey: path('rogue-key.pem') };
}

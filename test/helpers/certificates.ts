// Certificates for the TLS tests: the broker's (a self-signed certificate for localhost and
// 127.0.0.1, kept with the mirror's fixtures), and client certificates made with openssl
// while a test runs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireProgram } from './system-programs.ts';

const FIXTURES = resolve(import.meta.dirname, '../mirror/fixtures');
export const BROKER_CERTIFICATE = join(FIXTURES, 'localhost-cert.pem');
export const BROKER_KEY = join(FIXTURES, 'localhost-key.pem');

/** A CA, a client certificate it signed, and a self-signed impostor, made with openssl in `directory`. */
export function makeClientCertificates(directory: string): Record<'ca' | 'caKey' | 'clientCert' | 'clientKey' | 'rogueCert' | 'rogueKey', string> {
  const path = (name: string) => join(directory, name);
  const openssl = (...args: string[]) => execFileSync(requireProgram('openssl'), args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('ca-key.pem'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=test client CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('device-key.pem'), '-out', path('device.csr'), '-subj', '/CN=device-1');
  openssl('x509', '-req', '-in', path('device.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca-key.pem'), '-CAcreateserial', '-out', path('device.pem'), '-days', '2');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('rogue-key.pem'), '-out', path('rogue.pem'), '-days', '2', '-subj', '/CN=device-1');
  return { ca: path('ca.pem'), caKey: path('ca-key.pem'), clientCert: path('device.pem'), clientKey: path('device-key.pem'), rogueCert: path('rogue.pem'), rogueKey: path('rogue-key.pem') };
}

/**
 * A client certificate for `subject` (openssl's form, "/CN=device-2/O=Sensors") signed by
 * the CA of makeClientCertificates, made in `directory` under `name`: valid for two days,
 * or, with `expired`, only on 1 January 2020 (signed with openssl ca, which takes past dates).
 */
export function makeSignedClientCertificate(directory: string, ca: { ca: string; caKey: string }, name: string, subject: string, options: { expired?: boolean } = {}): { cert: string; key: string } {
  const path = (suffix: string) => join(directory, `${name}${suffix}`);
  const openssl = (...args: string[]) => execFileSync(requireProgram('openssl'), args, { stdio: 'pipe', cwd: directory });
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('-key.pem'), '-out', path('.csr'), '-subj', subject);
  if (options.expired) {
    signValidOnlyIn2020(directory, name, ['-preserveDN', '-cert', ca.ca, '-keyfile', ca.caKey]);
  } else {
    openssl('x509', '-req', '-in', path('.csr'), '-CA', ca.ca, '-CAkey', ca.caKey, '-CAcreateserial', '-out', path('.pem'), '-days', '2');
  }
  return { cert: path('.pem'), key: path('-key.pem') };
}

export interface ServerCertificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as openssl prints it (AA:BB:…). */
  fingerprint: string;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, made with openssl in `directory`
 * under `name`: valid for two days, or, with `expired`, valid only on 1 January 2020
 * (openssl req refuses a validity in the past, so that one is signed with openssl ca).
 */
export function makeServerCertificate(directory: string, name: string, options: { expired?: boolean } = {}): ServerCertificate {
  const path = (suffix: string) => join(directory, `${name}${suffix}`);
  const openssl = (...args: string[]) => execFileSync(requireProgram('openssl'), args, { stdio: 'pipe', cwd: directory });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('-key.pem'), '-subj', '/CN=localhost'];
  if (options.expired) {
    openssl('req', '-new', ...newKey, '-out', path('.csr'), '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    signValidOnlyIn2020(directory, name, ['-selfsign', '-keyfile', path('-key.pem')]);
  } else {
    openssl('req', '-x509', ...newKey, '-out', path('.pem'), '-days', '2', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  }
  return { cert: path('.pem'), key: path('-key.pem'), fingerprint: fingerprintOf(readFileSync(path('.pem'))) };
}

/**
 * Signs `directory`/`name`.csr into `name`.pem, valid only on 1 January 2020, with openssl ca
 * (openssl req and x509 refuse a validity in the past); `signer` names the CA's certificate
 * and key, or -selfsign with the request's own key. Extensions and an O or OU are kept.
 */
function signValidOnlyIn2020(directory: string, name: string, signer: string[]): void {
  const path = (suffix: string) => join(directory, `${name}${suffix}`);
  writeFileSync(path('-index.txt'), '');
  writeFileSync(path('-serial'), '01\n');
  writeFileSync(path('-ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndatabase=${path('-index.txt')}\nnew_certs_dir=${directory}\nserial=${path('-serial')}\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\norganizationName=optional\norganizationalUnitName=optional\n`);
  execFileSync(requireProgram('openssl'), ['ca', '-batch', '-notext', ...signer, '-in', path('.csr'), '-out', path('.pem'), '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-config', path('-ca.cnf')], { stdio: 'pipe', cwd: directory });
}

function fingerprintOf(pem: Buffer): string {
  const output = execFileSync(requireProgram('openssl'), ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem, stdio: 'pipe' }).toString();
  return output.trim().split('=').at(-1)!;
}

/** The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1:`port` serves to a new handshake, as openssl s_client receives it. */
export function servedFingerprint(port: number): string {
  const served = execFileSync(requireProgram('openssl'), ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { input: '', stdio: 'pipe' });
  return fingerprintOf(served);
}

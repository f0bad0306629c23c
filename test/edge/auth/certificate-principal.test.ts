// Kafka's ssl.principal.mapping.rules (KIP-371) over a real certificate's subject: RFC 2253
// order, rules tried in turn, L and U, DEFAULT, and rules that cannot be used refused at
// start with the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificatePrincipalMapper, distinguishedNameOf } from '../../../edge/auth/certificate-principal.ts';
import { formatPrincipal } from '../../../edge/auth/principal.ts';
import { requireProgram } from '../../helpers/system-programs.ts';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-cert-principal-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

function certificateWithSubject(subject: string): Buffer {
  const path = join(scratch, 'subject.pem');
  execFileSync(requireProgram('openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(scratch, 'key.pem'), '-out', path, '-days', '1', '-subj', subject], { stdio: 'pipe' });
  return readFileSync(path);
}

const mapped = (rules: string[], name: string) => {
  const principal = new CertificatePrincipalMapper(rules, 'rules').principalOf(name);
  return principal && formatPrincipal(principal);
};

test('the subject reads most specific first, as Java\'s X500Principal.getName() gives it', () => {
  assert.is(distinguishedNameOf(certificateWithSubject('/C=DE/O=Acme/OU=Sensors/CN=Device-7')), 'CN=Device-7,OU=Sensors,O=Acme,C=DE');
});

test('rules are tried in turn; $1 takes the group, L and U change case, DEFAULT takes the whole name', () => {
  const rules = ['RULE:^CN=([^,]+),OU=Sensors,.*$/$1/L', 'RULE:^CN=([^,]+),OU=Gateways,.*$/gateway-$1/U', 'DEFAULT'];
  assert.is(mapped(rules, 'CN=Device-7,OU=Sensors,O=Acme,C=DE'), 'User:device-7');
  assert.is(mapped(rules, 'CN=north,OU=Gateways,O=Acme'), 'User:GATEWAY-NORTH');
  assert.is(mapped(rules, 'CN=someone,O=Elsewhere'), 'User:CN=someone,O=Elsewhere');
  assert.is(mapped(['RULE:^CN=([^,]+),OU=Sensors,.*$/$1/'], 'CN=someone,O=Elsewhere'), undefined, 'no rule matches: refused');
});

test('a rule that is not one, or whose expression does not compile, stops the start with its key', () => {
  assert.throws(() => new CertificatePrincipalMapper(['DEFAULT', 'CN=(.*)'], 'kafka.authorization.principalMappingRules'), /kafka\.authorization\.principalMappingRules\[1\]: "CN=\(\.\*\)" is neither DEFAULT nor RULE/);
  assert.throws(() => new CertificatePrincipalMapper(['RULE:^CN=([^,]+$/$1/'], 'rules'), /rules\[0\]: .* does not compile/);
});

test.run();

// The principal a client certificate names, as Kafka's ssl.principal.mapping.rules derive it
// (KIP-371): the subject's distinguished name in RFC 2253 order ("CN=device-7,O=Acme"), run
// through the rules in turn until one matches. A rule is `RULE:<regex>/<replacement>/` with
// an optional L or U to lower- or upper-case the result (`$1` stands for the first group);
// `DEFAULT` takes the whole name. A name no rule matches is refused, as Kafka refuses it.
// One mapper serves the Kafka and the MQTT TLS listeners, so a device certificate names the
// same `User:name` on both; a reload swaps its rules for both at once (adopt).
import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { TributaryError } from '../../shared/errors.ts';
import { userPrincipal, type Principal } from './principal.ts';

/** Rules a configuration may hold; each is tried per connection, and an edge needs a few. */
export const PRINCIPAL_MAPPING_RULES_MAX = 100;

type Rule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; caseChange: '' | 'L' | 'U' };

const RULE_SYNTAX = /^RULE:(.+)\/(.*)\/([LU]?)$/;

export class CertificatePrincipalMapper {
  #rules: readonly Rule[];

  /** Refuses, naming `key[i]`, a rule that is neither DEFAULT nor RULE:<regex>/<replacement>/[LU]. */
  constructor(rules: readonly string[], key: string) {
    this.#rules = rules.map((text, index): Rule => {
      if (text === 'DEFAULT') return { kind: 'default' };
      const parts = RULE_SYNTAX.exec(text);
      const problem = (reason: string) => new TributaryError('CONFIG_INVALID', `${key}[${index}]: "${text}" ${reason}`, { key: `${key}[${index}]` });
      if (parts === null) throw problem('is neither DEFAULT nor RULE:<regex>/<replacement>/ with an optional L or U');
      try {
        return { kind: 'rule', pattern: new RegExp(`^(?:${parts[1]!})$`), replacement: parts[2]!, caseChange: parts[3] as '' | 'L' | 'U' };
      } catch (error) {
        throw problem(`has a regular expression that does not compile: ${(error as Error).message}`);
      }
    });
  }

  /** Handshakes from now on map with `next`'s rules (a reload checked them by constructing `next`). */
  adopt(next: CertificatePrincipalMapper): void {
    this.#rules = next.#rules;
  }

  /** The principal a distinguished name maps to, or undefined when no rule matches it. */
  principalOf(distinguishedName: string): Principal | undefined {
    for (const rule of this.#rules) {
      if (rule.kind === 'default') return userPrincipal(distinguishedName);
      if (!rule.pattern.test(distinguishedName)) continue;
      const name = distinguishedName.replace(rule.pattern, rule.replacement);
      return userPrincipal(rule.caseChange === 'L' ? name.toLowerCase() : rule.caseChange === 'U' ? name.toUpperCase() : name);
    }
    return undefined;
  }
}

/** A certificate's subject in RFC 2253 order (most specific first), as Java's X500Principal.getName() gives it. */
export function distinguishedNameOf(certificate: Buffer): string {
  return new X509Certificate(certificate).subject.split('\n').reverse().join(',');
}

/** A verified client certificate: its subject, and the principal it maps to (undefined: no rule matches). */
export interface CertificateIdentity {
  subject: string;
  principal: Principal | undefined;
}

/**
 * The identity of the verified client certificate `stream` presented, undefined when it is
 * not a TLS socket or presented none that the CA verified.
 */
export function certificateIdentityOf(stream: Duplex, mapper: CertificatePrincipalMapper): CertificateIdentity | undefined {
  if (!(stream instanceof TLSSocket) || !stream.authorized) return undefined;
  const certificate = stream.getPeerCertificate();
  if (certificate.raw === undefined) return undefined;
  const subject = distinguishedNameOf(certificate.raw);
  return { subject, principal: mapper.principalOf(subject) };
}

// MQTT's authorization as a table the permissions matrix runs: for publish, subscribe and
// the will, each principal kind, allowed and denied, the topic asked for and the answer each
// protocol version gives (MQTT 5 reason codes, sections 3.2.2.2, 3.4.2.1 and 3.9.3; MQTT 3.1.1
// return codes, and a refused publish closes the connection, as [MQTT-3.3.5-2] leaves no
// other way). Both permission forms, the YAML filters and the ACLs, run the same rows; what
// each form grants is derived from the same topics (grants below), so the forms cannot drift.

export const OPERATIONS = ['publish', 'subscribe', 'will'] as const;
export const KINDS = ['anonymous', 'password', 'scram', 'certificate'] as const;
export const FORMS = ['yaml', 'acls'] as const;
export const VERSIONS = [5, 4] as const;

export type Operation = (typeof OPERATIONS)[number];
export type Kind = (typeof KINDS)[number];
export type Form = (typeof FORMS)[number];
export type Version = (typeof VERSIONS)[number];
export type Decision = 'allowed' | 'denied';

/** The user name each kind signs in as (its principal is User:<name>); the certificate's CN=device-1 maps to device-1. */
export const USER_OF: Record<Kind, string> = { anonymous: 'ANONYMOUS', password: 'pat', scram: 'sam', certificate: 'device-1' };

/** Everything under this a kind may publish to and subscribe within. */
export const allowedPrefix = (kind: Kind) => `matrix/${kind}/allowed/`;
/** Nothing under this is granted; with the ACLs allowIfNoAclFound is false, so it is denied. */
export const deniedPrefix = (kind: Kind) => `matrix/${kind}/denied/`;

export interface MatrixRow {
  form: Form;
  operation: Operation;
  kind: Kind;
  decision: Decision;
  version: Version;
  /** The topic published to or named by the will, or the filter subscribed to. */
  topic: string;
  /** The answer: "CONNACK 0x87", "PUBACK 0x00", "SUBACK 0x80", "closed" ... */
  answer: string;
}

/**
 * Combinations a form cannot express, with the reason; the coverage check requires every
 * other combination to have a row. The YAML form has no permissions for clients without a
 * user name (only mqtt.denySubscribe restricts them), so it cannot deny them a publish or a
 * will; User:ANONYMOUS has ACLs like any principal.
 */
export const INEXPRESSIBLE: ReadonlyArray<{ form: Form; operation: Operation; kind: Kind; decision: Decision; reason: string }> = [
  { form: 'yaml', operation: 'publish', kind: 'anonymous', decision: 'denied', reason: 'YAML permissions are per user; anonymous clients are restricted only by mqtt.denySubscribe' },
  { form: 'yaml', operation: 'will', kind: 'anonymous', decision: 'denied', reason: 'YAML permissions are per user; anonymous clients are restricted only by mqtt.denySubscribe' },
];

const hex = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;

function answerOf(form: Form, operation: Operation, kind: Kind, decision: Decision, version: Version): string {
  const v5 = version === 5;
  if (operation === 'will') return decision === 'allowed' ? `CONNACK ${hex(0)}` : `CONNACK ${v5 ? hex(0x87) : hex(5)}`;
  if (operation === 'publish') {
    if (decision === 'allowed') return `PUBACK ${hex(0)}`;
    return v5 ? `PUBACK ${hex(0x87)}` : 'closed';
  }
  if (decision === 'allowed') return `SUBACK ${hex(1)}`;
  // mqtt.denySubscribe (the YAML form's only rule for anonymous clients) answers 0x80 in both versions.
  const byDenySubscribe = form === 'yaml' && kind === 'anonymous';
  return v5 && !byDenySubscribe ? `SUBACK ${hex(0x87)}` : `SUBACK ${hex(0x80)}`;
}

/** Every row: each form, operation, kind, decision and version that can be asked (SCRAM needs MQTT 5's AUTH). */
export function matrixRows(): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const form of FORMS) {
    for (const operation of OPERATIONS) {
      for (const kind of KINDS) {
        for (const decision of ['allowed', 'denied'] as const) {
          if (INEXPRESSIBLE.some((gap) => gap.form === form && gap.operation === operation && gap.kind === kind && gap.decision === decision)) continue;
          for (const version of VERSIONS) {
            if (kind === 'scram' && version !== 5) continue;
            const base = decision === 'allowed' ? allowedPrefix(kind) : deniedPrefix(kind);
            const topic = operation === 'subscribe' ? `${base}v${version}/#` : `${base}v${version}/${operation}`;
            rows.push({ form, operation, kind, decision, version, topic, answer: answerOf(form, operation, kind, decision, version) });
          }
        }
      }
    }
  }
  return rows;
}

// One principal model for every way in: a Kafka SASL user, an MQTT user and the subject of
// a client certificate are all `User:name`, as Kafka's KafkaPrincipal names them, so one ACL
// names one party whichever protocol it speaks. A client that proved nothing is
// `User:ANONYMOUS`, as in Kafka, so ACLs can grant or deny it like any other.

/** Kafka's principal type for users; the only one Tributary's clients can prove. */
export const USER_PRINCIPAL_TYPE = 'User';

/** Kafka's name for a client that did not authenticate (KafkaPrincipal.ANONYMOUS). */
export const ANONYMOUS_NAME = 'ANONYMOUS';

/** How a principal proved who it is; kept for logs and metrics, never for decisions. */
export type PrincipalSource = 'anonymous' | 'sasl-plain' | 'sasl-scram' | 'certificate' | 'mqtt-password';

export interface Principal {
  readonly type: typeof USER_PRINCIPAL_TYPE;
  readonly name: string;
}

export const ANONYMOUS: Principal = Object.freeze({ type: USER_PRINCIPAL_TYPE, name: ANONYMOUS_NAME });

/** The principal of an authenticated user name (a SASL user, an MQTT user, a certificate's mapped subject). */
export function userPrincipal(name: string): Principal {
  return { type: USER_PRINCIPAL_TYPE, name };
}

/** `User:name`, as kafka-acls prints it and ACLs store it. */
export function formatPrincipal(principal: Principal): string {
  return `${principal.type}:${principal.name}`;
}

/**
 * `User:name` back into a principal, or why it is not one. `User:*` (any user) is valid
 * here: ACLs use it; a connection never has it.
 */
export function parsePrincipal(text: string): Principal | string {
  const colon = text.indexOf(':');
  if (colon < 0) return `"${text}" is not a principal: expected User:<name>`;
  const type = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (type !== USER_PRINCIPAL_TYPE) return `"${text}" has principal type "${type}": only ${USER_PRINCIPAL_TYPE} principals exist here`;
  if (name.length === 0) return `"${text}" has an empty name`;
  return userPrincipal(name);
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.type === b.type && a.name === b.name;
}

// The SCRAM messages (RFC 5802 §7), as text: those a server reads and writes (the edge's
// SASL listener) and those a client writes and reads (the mirror's client of a central
// cluster). Channel binding is not offered, so the GS2 header is "n," with an optional authzid
// (base64 "biws" when it is empty); extensions, including KIP-84's tokenauth and the reserved
// m=, are refused by name. A parse returns the message's parts or a sentence saying what is wrong.

export interface ClientFirstMessage {
  /** "n,," or "n,a=<authzid>,": the client-final message's c= must be its base64 (RFC 5802 §5.1). */
  gs2Header: string;
  /** The authzid, unescaped; undefined when absent. */
  authorizationId: string | undefined;
  username: string;
  clientNonce: string;
  /** client-first-message-bare: the part that enters the AuthMessage (RFC 5802 §3). */
  bare: string;
}

export interface ClientFinalMessage {
  /** The c= attribute as sent (base64 of the GS2 header). */
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof: the part that enters the AuthMessage. */
  withoutProof: string;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 5802 §7: printable = %x21-2B / %x2D-7E, every visible ASCII character but ",". */
const NONCE_PATTERN = /^[\x21-\x2b\x2d-\x7e]+$/;
/** base64 as RFC 5802 §7 writes it, padding included. */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeUtf8(token: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(token);
  } catch {
    return undefined;
  }
}

/** saslname (RFC 5802 §5.1): "," is sent as "=2C" and "=" as "=3D"; any other "=" is an error. */
export function unescapeSaslName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C|=3D/g, (escape) => (escape === '=2C' ? ',' : '='));
}

export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function refuseExtension(attribute: string): string {
  const name = attribute.split('=')[0];
  return name === 'tokenauth' ? 'the KIP-84 tokenauth extension is not supported (no delegation tokens)' : `SCRAM extensions are not supported (the client sent "${name}")`;
}

export function parseClientFirst(text: string): ClientFirstMessage | string {
  const flagEnd = text.indexOf(',');
  const headerEnd = flagEnd < 0 ? -1 : text.indexOf(',', flagEnd + 1);
  if (headerEnd < 0) return 'the client-first message has no GS2 header';
  const flag = text.slice(0, flagEnd);
  // RFC 5802 §6: "p=" asks for channel binding and "y" says the client could do it; neither is
  // offered here (as in Kafka), so only "n" goes on.
  if (flag !== 'n') return `channel binding is not supported (the GS2 flag must be "n", not "${flag}")`;
  const authorization = text.slice(flagEnd + 1, headerEnd);
  let authorizationId: string | undefined;
  if (authorization !== '') {
    const unescaped = authorization.startsWith('a=') ? unescapeSaslName(authorization.slice(2)) : undefined;
    if (unescaped === undefined) return 'the authzid of the GS2 header is malformed';
    authorizationId = unescaped;
  }
  const bare = text.slice(headerEnd + 1);
  const attributes = bare.split(',');
  if (attributes[0]!.startsWith('m=')) return 'the mandatory extension m= is not supported (RFC 5802 §5.1)';
  const [user, nonce, ...extensions] = attributes;
  if (!user?.startsWith('n=')) return 'the client-first message has no n= user name';
  const username = unescapeSaslName(user.slice(2));
  if (username === undefined || username === '') return 'the user name is empty or has an "=" other than =2C or =3D';
  if (!nonce?.startsWith('r=') || !NONCE_PATTERN.test(nonce.slice(2))) return 'the client nonce (r=) is missing or not printable';
  if (extensions.length > 0) return refuseExtension(extensions[0]!);
  return { gs2Header: text.slice(0, headerEnd + 1), authorizationId, username, clientNonce: nonce.slice(2), bare };
}

export function serverFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function parseClientFinal(text: string): ClientFinalMessage | string {
  const proofStart = text.lastIndexOf(',p=');
  if (proofStart < 0) return 'the client-final message has no proof (p=)';
  const withoutProof = text.slice(0, proofStart);
  const proof = text.slice(proofStart + 3);
  const [binding, nonce, ...extensions] = withoutProof.split(',');
  if (!binding?.startsWith('c=')) return 'the client-final message has no channel binding (c=)';
  if (!nonce?.startsWith('r=')) return 'the client-final message has no nonce (r=)';
  if (extensions.length > 0) return refuseExtension(extensions[0]!);
  if (!BASE64_PATTERN.test(proof)) return 'the proof (p=) is not base64';
  return { channelBinding: binding.slice(2), nonce: nonce.slice(2), proof: Buffer.from(proof, 'base64'), withoutProof };
}

export function serverFinal(serverSignature: Buffer): string {
  return `v=${serverSignature.toString('base64')}`;
}

// ---------------------------------------------------------------------------------------
// The client's side

/** The GS2 header of a client that neither asks for channel binding nor names an authzid (RFC 5802 §7). */
export const GS2_HEADER_PLAIN = 'n,,';

export interface ServerFirstMessage {
  /** The client's nonce followed by the server's (RFC 5802 §5.1). */
  nonce: string;
  salt: Buffer;
  iterations: number;
}

/** client-first-message-bare: n=<user>,r=<client nonce>. */
export function clientFirstBare(username: string, clientNonce: string): string {
  return `n=${escapeSaslName(username)},r=${clientNonce}`;
}

export function parseServerFirst(text: string, clientNonce: string): ServerFirstMessage | string {
  if (text.startsWith('m=')) return 'the server sent the mandatory extension m=, which this client does not know (RFC 5802 §5.1)';
  if (text.startsWith('e=')) return `the server refused the client-first message: ${text.slice(2)}`;
  const [nonce, salt, iterations] = text.split(',');
  if (!nonce?.startsWith('r=') || !NONCE_PATTERN.test(nonce.slice(2))) return 'the server-first message has no printable nonce (r=)';
  // RFC 5802 §5.1: the server's nonce starts with the client's; otherwise a replayed or foreign message.
  if (!nonce.slice(2).startsWith(clientNonce) || nonce.length - 2 <= clientNonce.length) return 'the server nonce does not extend the client nonce';
  if (!salt?.startsWith('s=') || !BASE64_PATTERN.test(salt.slice(2)) || salt.length === 2) return 'the server-first message has no base64 salt (s=)';
  const count = Number(iterations?.startsWith('i=') ? iterations.slice(2) : Number.NaN);
  if (!Number.isInteger(count) || count <= 0) return 'the server-first message has no iteration count (i=)';
  return { nonce: nonce.slice(2), salt: Buffer.from(salt.slice(2), 'base64'), iterations: count };
}

/** client-final-message-without-proof: c=<base64 of the GS2 header>,r=<nonce>. */
export function clientFinalWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${Buffer.from(gs2Header).toString('base64')},r=${nonce}`;
}

/** The server's signature from its final message, or a sentence saying what it sent instead. */
export function parseServerFinal(text: string): Buffer | string {
  if (text.startsWith('e=')) return `the server refused the proof: ${text.slice(2)}`;
  if (!text.startsWith('v=') || !BASE64_PATTERN.test(text.slice(2))) return 'the server-final message has no base64 verifier (v=)';
  return Buffer.from(text.slice(2), 'base64');
}

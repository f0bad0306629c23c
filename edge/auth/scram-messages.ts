// The SCRAM messages a server reads and writes (RFC 5802 §7), as text. Channel binding is
// not offered, so the GS2 header is "n," with an optional authzid (base64 "biws" when it is
// empty); extensions, including KIP-84's tokenauth and the reserved m=, are refused by name.
// A parse returns the message's parts or a sentence saying what is wrong.

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

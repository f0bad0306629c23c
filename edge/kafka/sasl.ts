// SASL PLAIN on a Kafka listener (kafka.sasl): after ApiVersions, a client sends
// SaslHandshake (mechanism PLAIN) and SaslAuthenticate (authzid NUL user NUL password);
// until that succeeds, any other request closes the connection, as Kafka does. A failed
// authentication is answered with SASL_AUTHENTICATION_FAILED and the connection is closed
// at the client's next request.
//
// A client that sends SaslHandshake v0 then sends the PLAIN token bare, framed only by its
// size, not inside SaslAuthenticate (KIP-43's original exchange, kept by Kafka 4 for
// clients such as kafka-python 2.0.2): it is answered with an empty frame when accepted,
// and the connection is closed when not.
import { ApiKey } from '../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../shared/kafka/protocol/error-codes.ts';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../shared/kafka/apis/sasl-authenticate.ts';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../shared/kafka/apis/sasl-handshake.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PasswordBook } from '../auth/password-book.ts';

const MECHANISM = 'PLAIN';
/** Requests a client may send before it has authenticated: ApiVersions, SaslHandshake, SaslAuthenticate. */
const ALLOWED_BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/** One connection's progress through SASL, on a listener that requires it. */
export class SaslSession {
  readonly #users: PasswordBook;
  #handshakeDone = false;
  #bareTokenNext = false;
  #user: string | undefined;
  #failed = false;

  constructor(users: PasswordBook) {
    this.#users = users;
  }

  /** Who authenticated on this connection, if anyone has. */
  get user(): string | undefined {
    return this.#user;
  }

  /** Why this request may not be served yet, or undefined when it may. */
  refusal(apiKey: number, apiName: string): string | undefined {
    if (this.#failed) return 'SASL authentication failed on this connection';
    if (this.#user !== undefined || ALLOWED_BEFORE_AUTHENTICATION.has(apiKey)) return undefined;
    return `${apiName} before SASL authentication: this listener requires SASL ${MECHANISM} (kafka.sasl.listeners)`;
  }

  handshake(request: SaslHandshakeRequest, apiVersion: number): SaslHandshakeResponse {
    if (request.mechanism !== MECHANISM) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [MECHANISM] };
    this.#handshakeDone = true;
    this.#bareTokenNext = apiVersion === 0;
    return { errorCode: ErrorCode.NONE, mechanisms: [MECHANISM] };
  }

  /** Whether the next frame is a bare PLAIN token (after SaslHandshake v0) rather than a request. */
  get expectsBareToken(): boolean {
    return this.#bareTokenNext;
  }

  async authenticate(request: SaslAuthenticateRequest, logger: Logger, client: string): Promise<SaslAuthenticateResponse> {
    if (!this.#handshakeDone || this.#user !== undefined || this.#bareTokenNext) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate must follow a SaslHandshake v1, once', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    if (!await this.#check(request.authBytes, logger, client)) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: invalid username or password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  }

  /** The bare token that follows SaslHandshake v0; true when it authenticates the connection. */
  async authenticateBareToken(token: Buffer, logger: Logger, client: string): Promise<boolean> {
    this.#bareTokenNext = false;
    return this.#check(token, logger, client);
  }

  async #check(token: Buffer, logger: Logger, client: string): Promise<boolean> {
    const [authorizationId, username, password] = splitPlainToken(token);
    const valid = username !== undefined && password !== undefined && (authorizationId === '' || authorizationId === username.toString('utf8'))
      && await this.#users.check(username.toString('utf8'), password);
    if (!valid) {
      this.#failed = true;
      // The log names the user but never the password.
      logger.warn({ client, user: username?.toString('utf8') }, 'Kafka SASL authentication failed: unknown user or wrong password');
      return false;
    }
    this.#user = username!.toString('utf8');
    return true;
  }
}

/** RFC 4616: [authzid] NUL authcid NUL passwd. */
function splitPlainToken(token: Buffer): [string, Buffer | undefined, Buffer | undefined] {
  const first = token.indexOf(0);
  const second = first < 0 ? -1 : token.indexOf(0, first + 1);
  if (first < 0 || second < 0) return ['', undefined, undefined];
  return [token.subarray(0, first).toString('utf8'), token.subarray(first + 1, second), token.subarray(second + 1)];
}

/** SaslHandshake on a listener without SASL: no mechanism is offered. */
export function handshakeWithoutSasl(): SaslHandshakeResponse {
  return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
}

/** SaslAuthenticate on a listener without SASL. */
export function authenticateWithoutSasl(): SaslAuthenticateResponse {
  return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled on this listener', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
}

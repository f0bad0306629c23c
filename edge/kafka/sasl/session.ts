// SASL on a Kafka listener (kafka.sasl): after ApiVersions, a client sends SaslHandshake
// (naming a mechanism) and SaslAuthenticate (its tokens); until that succeeds, any other
// request closes the connection, as Kafka does. A failed authentication is answered with
// SASL_AUTHENTICATION_FAILED and the connection is closed at the client's next request.
// The mechanisms (mechanism.ts) do the checking; this is the order of the exchange.
//
// A client that sends SaslHandshake v0 then sends its tokens bare, framed only by their
// size, not inside SaslAuthenticate (KIP-43's original exchange, kept by Kafka 4 for
// clients such as kafka-python 2.0.2): each is answered with a frame of the mechanism's
// response (empty for PLAIN) when accepted, and the connection is closed when not.
import { ApiKey } from '../../../shared/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../../shared/kafka/apis/sasl-authenticate.ts';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../../shared/kafka/apis/sasl-handshake.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { SaslExchange, SaslMechanism, SaslStep } from '../../auth/sasl-mechanism.ts';

/** Requests a client may send before it has authenticated. */
const ALLOWED_BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/** One connection's progress through SASL, on a listener that requires it. */
export class SaslSession {
  readonly #mechanisms: readonly SaslMechanism[];
  #exchange: SaslExchange | undefined;
  #bareTokenNext = false;
  #user: string | undefined;
  #failed = false;

  constructor(mechanisms: readonly SaslMechanism[]) {
    this.#mechanisms = mechanisms;
  }

  /** Who authenticated on this connection, if anyone has. */
  get user(): string | undefined {
    return this.#user;
  }

  /** Why this request may not be served yet, or undefined when it may. */
  refusal(apiKey: number, apiName: string): string | undefined {
    if (this.#failed) return 'SASL authentication failed on this connection';
    if (this.#user !== undefined || ALLOWED_BEFORE_AUTHENTICATION.has(apiKey)) return undefined;
    return `${apiName} before SASL authentication: this listener requires SASL ${this.#names().join(' or ')} (kafka.sasl.listeners)`;
  }

  handshake(request: SaslHandshakeRequest, apiVersion: number): SaslHandshakeResponse {
    const mechanism = this.#mechanisms.find((candidate) => candidate.name === request.mechanism);
    if (mechanism === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: this.#names() };
    this.#exchange = mechanism.start();
    this.#bareTokenNext = apiVersion === 0;
    return { errorCode: ErrorCode.NONE, mechanisms: this.#names() };
  }

  /** Whether the next frame is a bare token (after SaslHandshake v0) rather than a request. */
  get expectsBareToken(): boolean {
    return this.#bareTokenNext;
  }

  async authenticate(request: SaslAuthenticateRequest, logger: Logger, client: string): Promise<SaslAuthenticateResponse> {
    if (this.#exchange === undefined || this.#user !== undefined || this.#bareTokenNext) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate must follow a SaslHandshake v1, once', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    const step = await this.#step(request.authBytes, logger, client);
    if (step.outcome === 'failed') {
      const errorMessage = step.clientMessage ?? 'Authentication failed: invalid username or password';
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0n };
  }

  /**
   * A bare token (after SaslHandshake v0): the mechanism's response to frame and send back,
   * or undefined when the token was refused.
   */
  async authenticateBareToken(token: Buffer, logger: Logger, client: string): Promise<Buffer | undefined> {
    const step = await this.#step(token, logger, client);
    if (step.outcome !== 'challenge') this.#bareTokenNext = false;
    return step.outcome === 'failed' ? undefined : step.response;
  }

  async #step(token: Buffer, logger: Logger, client: string): Promise<SaslStep> {
    const step = await this.#exchange!.step(token);
    if (step.outcome === 'failed') {
      this.#failed = true;
      // The log names the user but never the password.
      logger.warn({ client, user: step.user }, `Kafka SASL authentication failed: ${step.reason}`);
    } else if (step.outcome === 'authenticated') {
      this.#user = step.user;
    }
    return step;
  }

  #names(): string[] {
    return this.#mechanisms.map((mechanism) => mechanism.name);
  }
}

/** SaslHandshake on a listener without SASL: no mechanism is offered. */
export function handshakeWithoutSasl(): SaslHandshakeResponse {
  return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
}

/** SaslAuthenticate on a listener without SASL. */
export function authenticateWithoutSasl(): SaslAuthenticateResponse {
  return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled on this listener', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
}

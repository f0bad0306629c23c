// The one runtime every connector runs in: its lifecycle (starting, connecting, running,
// retrying, stopped), the backoff between sessions, its state and errors in the metrics,
// the log and /health, and a clean stop. A connector type supplies only what differs:
// how one session with its peer goes (connect, then poll, subscribe, tail or deliver
// until the peer fails).
//
// A session ends by throwing when its peer fails (unreachable, timed out, answered
// garbage, refused): the failure is logged once with its reason, counted by kind, and a
// new session starts after the backoff. Nothing a session does can stop the daemon or
// another connector.
import { isTributaryError, TributaryError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { Backoff, waitUnlessAborted } from './backoff.ts';
import type { ConnectorMeter, ConnectorState } from './metrics.ts';

/** Characters of an error message kept for /health and the API; a peer's answer can be long. */
const ERROR_MESSAGE_CHARACTERS_MAX = 500;

/** Kinds of failure, as counted in tributary_connector_errors_total{kind}. */
export type FailureKind = 'connect' | 'timeout' | 'read' | 'decode' | 'deliver' | 'rejected' | 'position' | 'append' | 'peer-closed' | 'other';

/** A failure of the peer or of the connector's work, with the kind it is counted under. */
export function peerFailure(kind: FailureKind, message: string, cause?: unknown): TributaryError {
  return new TributaryError('CONNECTOR_PEER_FAILED', message, { kind }, cause === undefined ? undefined : { cause });
}

/** `promise`, or a rejection naming `what` once `timeoutMs` has passed: a peer's library may never answer. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs); })]);
  } finally {
    clearTimeout(timer);
  }
}

function kindOf(error: unknown): FailureKind {
  if (isTributaryError(error, 'CONNECTOR_PEER_FAILED')) return (error.details.kind as FailureKind | undefined) ?? 'other';
  if (isTributaryError(error, 'CONNECTOR_POSITION_FAILED')) return 'position';
  return 'other';
}

export interface ConnectorSession {
  /** Aborted when the connector stops: a session returns once it sees it. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly meter: ConnectorMeter;
  /** The peer answers: the state becomes running and the backoff starts again from its minimum. */
  connected(): void;
}

export interface ConnectorParts {
  name: string;
  type: string;
  backoff: { minMs: number; maxMs: number };
  logger: Logger;
  meter: ConnectorMeter;
  /** Before each session: where to resume (a source's recovered position, a sink's committed offsets). */
  prepare(): Promise<void>;
  /** One session with the peer: returns when `signal` aborts, throws when the peer fails. */
  session(session: ConnectorSession): Promise<void>;
  /** After the last session, at a clean stop (a source's checkpoint is written). */
  close(): Promise<void>;
}

export interface ConnectorStatus {
  name: string;
  type: string;
  state: ConnectorState;
  /** When it entered this state (ISO 8601). */
  since: string;
  /** Sessions that failed in a row; 0 while running. */
  failures: number;
  lastError: { kind: FailureKind; message: string; at: string } | null;
}

export class ConnectorRuntime {
  readonly #parts: ConnectorParts;
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  #state: ConnectorState = 'starting';
  #since = new Date();
  #lastError: ConnectorStatus['lastError'] = null;
  #loop: Promise<void> | undefined;

  constructor(parts: ConnectorParts) {
    this.#parts = parts;
    this.#backoff = new Backoff(parts.backoff);
  }

  get name(): string {
    return this.#parts.name;
  }

  status(): ConnectorStatus {
    return { name: this.#parts.name, type: this.#parts.type, state: this.#state, since: this.#since.toISOString(), failures: this.#backoff.failures, lastError: this.#lastError };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    try {
      await this.#parts.close();
    } catch (error) {
      this.#parts.logger.error({ connector: this.#parts.name, err: error }, 'error while stopping the connector');
    }
    this.#setState('stopped');
  }

  #setState(state: ConnectorState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#since = new Date();
    this.#parts.meter.state(state);
  }

  async #run(): Promise<void> {
    const { logger, meter, name, type } = this.#parts;
    const signal = this.#stop.signal;
    const session: ConnectorSession = {
      signal,
      logger,
      meter,
      connected: () => {
        if (this.#state !== 'running' && !signal.aborted) logger.info({ connector: name, type, afterFailures: this.#backoff.failures }, 'connector running');
        this.#backoff.succeeded();
        this.#setState('running');
      },
    };
    while (!signal.aborted) {
      if (this.#state !== 'starting') meter.reconnect();
      this.#setState('connecting');
      try {
        await this.#parts.prepare();
        await this.#parts.session(session);
        if (signal.aborted) break;
        throw peerFailure('peer-closed', 'the session ended without an error');
      } catch (error) {
        if (signal.aborted) break;
        const kind = kindOf(error);
        const message = (error instanceof Error ? error.message : String(error)).slice(0, ERROR_MESSAGE_CHARACTERS_MAX);
        this.#lastError = { kind, message, at: new Date().toISOString() };
        meter.error(kind);
        const delayMs = this.#backoff.nextDelayMs();
        // Every failure is logged, at most one line per backoff wait (a minute at most by default).
        logger.warn({ connector: name, type, kind, err: error, failures: this.#backoff.failures, retryInMs: delayMs }, `connector ${name} failed: ${message}`);
        this.#setState('retrying');
        await waitUnlessAborted(delayMs, signal);
      }
    }
  }
}

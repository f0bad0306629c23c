// The state of the link to the central cluster, shared by every partition mirror. The
// first failure of the connection (refused, reset, timed out) marks the link down, drops
// every connection with a reset (so nothing queued on them is delivered later) and sets
// a time to try again; the wait doubles with each failed attempt, up to a bound, with a
// little jitter so that a fleet of edges does not reconnect in step after an outage at
// the datacenter. The first success marks it up again.
//
// A connection failure of one request does not by itself mean the link is down: on a
// cluster of several brokers, the broker that leads one partition may have died while the
// others serve the rest (Kafka elects a new leader once the dead broker's session expires,
// broker.session.timeout.ms, 9 s by default). So a request's connection failure is checked
// with a probe of the whole cluster (one at a time, shared by every partition that failed
// meanwhile): if any broker answers, the link stays up and only that partition waits.
import { sleep } from './bandwidth.ts';
import type { LinkStateName } from '../shared/heartbeat.ts';

/** Each wait is shortened or lengthened by up to this share, at random. */
const JITTER_SHARE = 0.2;

export interface LinkMonitorOptions {
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Called when the link goes down and after each failed attempt, before anyone retries: drop the connections. */
  onDown: () => void;
  onStateChange?: (state: LinkStateName, previous: LinkStateName) => void;
  /** Resolves when some broker of the cluster answers, rejects when none does. Without it every connection failure takes the link down. */
  probe?: () => Promise<void>;
  /** Sees every connection failure with its error, before the link decides (to report refused credentials, for example). */
  onConnectionFailure?: (message: string, error: unknown) => void;
  now?: () => number;
  random?: () => number;
}

export class LinkMonitor {
  readonly #options: LinkMonitorOptions;
  #state: 'connecting' | 'up' | 'down' = 'connecting';
  #failures = 0;
  #retryAtMs = 0;
  #lastError: { message: string; atMs: number } | undefined;
  #errors = 0;
  #reconnects = 0;
  /** The probe under way: resolves to undefined when a broker answered, else to why none did. */
  #probing: Promise<string | undefined> | undefined;

  constructor(options: LinkMonitorOptions) {
    this.#options = options;
  }

  get state(): 'connecting' | 'up' | 'down' {
    return this.#state;
  }

  get errors(): number {
    return this.#errors;
  }

  get reconnects(): number {
    return this.#reconnects;
  }

  get lastError(): { message: string; atMs: number } | undefined {
    return this.#lastError;
  }

  /** Milliseconds until the next attempt may start; 0 when it may start now. */
  retryInMs(): number {
    if (this.#state !== 'down') return 0;
    return Math.max(0, this.#retryAtMs - this.#now());
  }

  /** Resolves once an attempt may be made. */
  async ready(signal?: AbortSignal): Promise<void> {
    for (let wait = this.retryInMs(); wait > 0; wait = this.retryInMs()) await sleep(wait, signal);
  }

  succeeded(): void {
    if (this.#state === 'up') return;
    const previous = this.#state;
    if (previous === 'down') this.#reconnects += 1;
    this.#state = 'up';
    this.#failures = 0;
    this.#options.onStateChange?.('up', previous);
  }

  /** A failure of the connection; returns true when it took the link down (the first of an episode). */
  failed(message: string): boolean {
    const now = this.#now();
    this.#errors += 1;
    this.#lastError = { message, atMs: now };
    // Failures of requests already under way when the link went down belong to the same episode.
    if (this.#state === 'down' && now < this.#retryAtMs) return false;
    const previous = this.#state;
    const wentDown = previous !== 'down';
    this.#state = 'down';
    this.#failures += 1;
    const base = Math.min(this.#options.backoffMaxMs, this.#options.backoffMinMs * 2 ** Math.min(this.#failures - 1, 30));
    const jitter = 1 + JITTER_SHARE * (2 * (this.#options.random ?? Math.random)() - 1);
    this.#retryAtMs = now + Math.round(base * jitter);
    this.#options.onDown();
    if (wentDown) this.#options.onStateChange?.('down', previous);
    return wentDown;
  }

  /**
   * A request failed on its connection. Returns 'went-down' when this took the link down
   * (the first failure of an episode), 'down' when it already was, and 'up' when the probe
   * found the cluster answering: then only the broker of that request is out of reach.
   */
  async connectionFailed(message: string, error?: unknown): Promise<'went-down' | 'down' | 'up'> {
    this.#options.onConnectionFailure?.(message, error);
    if (this.#state === 'down' && this.#now() < this.#retryAtMs) {
      this.failed(message);
      return 'down';
    }
    if (this.#options.probe === undefined) return this.failed(message) ? 'went-down' : 'down';
    this.#probing ??= this.#options.probe().then(() => undefined, (error: unknown) => (error instanceof Error ? error.message : String(error))).finally(() => { this.#probing = undefined; });
    const unanswered = await this.#probing;
    if (unanswered === undefined) {
      this.recordError(message);
      this.succeeded();
      return 'up';
    }
    return this.failed(`${message} (and no broker answered: ${unanswered})`) ? 'went-down' : 'down';
  }

  /** Any other error worth reporting (a refused request, a bad record): counted, but the link stays as it is. */
  recordError(message: string): void {
    this.#errors += 1;
    this.#lastError = { message, atMs: this.#now() };
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

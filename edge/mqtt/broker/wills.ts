// Wills (MQTT 5.0 section 3.1.2.5): a will is stored when its client connects, deleted
// when the client disconnects normally, and published when the connection is lost —
// after the Will Delay Interval, or when the session ends if that comes first, and not
// at all if the client connects again to the same session before [MQTT-3.1.3-9].
//
// Stored wills survive a restart: a will left by a client that was connected when the
// broker stopped is published a grace period after the restart, unless the client
// connects again first.
import type { Message } from '../message.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Deadline, Deadlines } from './deadlines.ts';

/**
 * After a restart, how long a stored will waits for its client to come back: devices
 * reconnect within their retry interval, and a broker restart is not a device failure.
 */
export const WILL_AFTER_RESTART_GRACE_MS = 60_000;

export interface WillMessage {
  message: Message;
  /** Will Delay Interval, seconds. */
  delaySeconds: number;
  /** Message Expiry Interval, counted from publication. */
  expirySeconds: number | undefined;
}

export interface WillsEnvironment {
  store: SessionStore;
  deadlines: Deadlines;
  /** Publishes a will as its client would have: to the log, the retained store and subscribers. */
  publish(clientId: string, will: WillMessage): void;
}

export class Wills {
  readonly #environment: WillsEnvironment;
  /** Wills whose publication is scheduled, by client id. */
  readonly #pending = new Map<string, { will: WillMessage; deadline: Deadline }>();

  constructor(environment: WillsEnvironment) {
    this.#environment = environment;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The will waiting its delay for a client that left, if any. */
  pending(clientId: string): WillMessage | undefined {
    return this.#pending.get(clientId)?.will;
  }

  /** Stores the will of a connecting client; resolves once committed, before its CONNACK. */
  put(clientId: string, will: WillMessage): Promise<void> {
    return this.#environment.store.wills.put({ clientId, message: will.message, delaySeconds: will.delaySeconds, expirySeconds: will.expirySeconds });
  }

  /** A stored will read at start: published after the grace period unless its client returns. */
  restore(clientId: string, will: WillMessage): void {
    this.#schedule(clientId, will, Date.now() + Math.max(WILL_AFTER_RESTART_GRACE_MS, will.delaySeconds * 1000));
  }

  /** The client connected again to its session: a will still waiting is not sent [MQTT-3.1.3-9]. */
  cancel(clientId: string): void {
    const pending = this.#pending.get(clientId);
    if (pending === undefined) return;
    pending.deadline.cancelled = true;
    this.#pending.delete(clientId);
    void this.#environment.store.wills.delete(clientId);
  }

  /** A normal DISCONNECT: the will is deleted without being published [MQTT-3.1.2-10]. */
  discard(clientId: string): Promise<void> {
    return this.#environment.store.wills.delete(clientId);
  }

  /** The connection was lost: the will goes out after its delay, capped by the session's life. */
  lost(clientId: string, will: WillMessage, sessionExpirySeconds: number): void {
    const delaySeconds = Math.min(will.delaySeconds, sessionExpirySeconds);
    if (delaySeconds === 0) {
      this.#publish(clientId, will);
      return;
    }
    this.#schedule(clientId, will, Date.now() + delaySeconds * 1000);
  }

  /** The session ended: a will still waiting goes out now. */
  sessionEnded(clientId: string): void {
    const pending = this.#pending.get(clientId);
    if (pending === undefined) return;
    pending.deadline.cancelled = true;
    this.#publish(clientId, pending.will);
  }

  #schedule(clientId: string, will: WillMessage, atMs: number): void {
    const previous = this.#pending.get(clientId);
    if (previous !== undefined) previous.deadline.cancelled = true;
    const deadline = this.#environment.deadlines.at(atMs, () => this.#publish(clientId, will));
    this.#pending.set(clientId, { will, deadline });
  }

  #publish(clientId: string, will: WillMessage): void {
    this.#pending.delete(clientId);
    void this.#environment.store.wills.delete(clientId);
    this.#environment.publish(clientId, will);
  }
}

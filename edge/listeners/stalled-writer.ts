// Whether a client has stopped reading what is sent to it. Output waiting in a socket is
// normal for a moment; output of which the client takes nothing for a long time means a
// client that does not read, and it holds the broker's memory and a connection slot for as
// long as it stays connected. Every listener judges this the same way, through this class.

export class StalledWriter {
  /** Since when none of the waiting output was taken, and how much was waiting then; undefined while nothing waits. */
  #since: { atMs: number; waitingBytes: number } | undefined;

  /**
   * Takes the bytes waiting now; returns for how long the client has taken none of them, or
   * 0 while nothing waits or some was taken since the last look.
   */
  stalledMs(now: number, waitingBytes: number): number {
    if (waitingBytes === 0) {
      this.#since = undefined;
      return 0;
    }
    if (this.#since === undefined || waitingBytes < this.#since.waitingBytes) {
      this.#since = { atMs: now, waitingBytes };
      return 0;
    }
    return now - this.#since.atMs;
  }
}

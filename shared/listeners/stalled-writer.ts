// Whether a client has stopped reading what is sent to it. Output waiting in a socket is
// normal for a moment, and a slow client on a slow link may have output waiting all the
// time while it reads; output of which the client takes nothing for a long time means a
// client that does not read, and it holds the broker's memory and a connection slot for as
// long as it stays connected. Every listener judges this the same way, through this class.

export class StalledWriter {
  /** Since when the client has taken nothing, and how much it had taken by then; undefined while nothing waits. */
  #since: { atMs: number; takenBytes: number } | undefined;

  /**
   * Takes the bytes handed to the socket in all and those still waiting in it now; returns
   * for how long the client has taken none of them, or 0 while nothing waits or it took
   * some since the last look.
   */
  stalledMs(now: number, sentBytes: number, waitingBytes: number): number {
    if (waitingBytes === 0) {
      this.#since = undefined;
      return 0;
    }
    const takenBytes = sentBytes - waitingBytes;
    if (this.#since === undefined || takenBytes > this.#since.takenBytes) {
      this.#since = { atMs: now, takenBytes };
      return 0;
    }
    return now - this.#since.atMs;
  }
}

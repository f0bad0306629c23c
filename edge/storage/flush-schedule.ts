// When a partition asks the group committer to sync what it wrote, as its topic's flush
// policy says:
//   always    in the committer's next sync round, after every write;
//   interval  at most once every intervalMs: a timer asks when the period is over;
//   os        never (a roll and a clean close still sync).
import type { TopicConfig } from '../../shared/config/topic-config.ts';

export class FlushSchedule {
  readonly #config: () => TopicConfig;
  /** Written bytes wait for a sync. */
  readonly #unsynced: () => boolean;
  readonly #requestSync: () => void;
  #lastSyncWallMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: () => TopicConfig, unsynced: () => boolean, requestSync: () => void) {
    this.#config = config;
    this.#unsynced = unsynced;
    this.#requestSync = requestSync;
  }

  /** Bytes were written: asks for a sync now, or arms the timer for when the interval is over. */
  written(nowMs: number): void {
    if (!this.#unsynced()) return;
    const flush = this.#config().flush;
    if (flush.policy === 'os') return;
    const due = flush.policy === 'interval' ? this.#lastSyncWallMs + flush.intervalMs : nowMs;
    if (nowMs >= due) {
      this.#requestSync();
    } else if (this.#timer === undefined && !this.#stopped) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.written(Date.now());
      }, due - nowMs);
    }
  }

  /** A sync of the partition was issued: the interval counts from now. */
  issued(nowMs: number): void {
    this.#lastSyncWallMs = nowMs;
  }

  /** The partition closes: no timer from now on (the close syncs what is left). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

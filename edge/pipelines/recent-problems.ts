// The last problems of one pipeline, for an operator's page: records it could not process
// (decode, expression, encode), limits it hit, and failures of its tasks. The log holds
// only some of them (REPORTS_PER_MINUTE per kind) and the metrics only count them; this
// keeps the newest few of every one, with where and when they happened.

/** Problems kept per pipeline: a screenful of the newest; older ones are in the log and the counters. */
export const RECENT_PROBLEMS_MAX = 20;
/** Characters of a message kept: an expression's error names its column, not a page of text. */
const MESSAGE_CHARACTERS_MAX = 500;

export interface PipelineProblem {
  /** Epoch milliseconds. */
  atMs: number;
  /** What the log calls it: expression (a record that could not be decoded, computed or encoded), limit, or io (the task failed and restarts). */
  kind: string;
  partition: number;
  /** The input offset of the record concerned; null for a task failure. */
  offset: string | null;
  message: string;
}

export class RecentProblems {
  /** A ring: the oldest entry is overwritten once RECENT_PROBLEMS_MAX are held. */
  readonly #entries: PipelineProblem[] = [];
  #next = 0;

  add(problem: PipelineProblem): void {
    const kept = problem.message.length > MESSAGE_CHARACTERS_MAX ? { ...problem, message: `${problem.message.slice(0, MESSAGE_CHARACTERS_MAX)}…` } : problem;
    if (this.#entries.length < RECENT_PROBLEMS_MAX) this.#entries.push(kept);
    else this.#entries[this.#next] = kept;
    this.#next = (this.#next + 1) % RECENT_PROBLEMS_MAX;
  }

  /** Newest first. */
  list(): PipelineProblem[] {
    const newestFirst: PipelineProblem[] = [];
    for (let back = 1; back <= this.#entries.length; back++) newestFirst.push(this.#entries[(this.#next - back + RECENT_PROBLEMS_MAX) % RECENT_PROBLEMS_MAX]!);
    return newestFirst;
  }
}

// When the link fails on its own: on a fixed period (`everyMs`), or at random moments
// whose gaps are exponentially distributed with a given mean (`meanIntervalMs`), which
// is how independent failures arrive. Each fault lasts `forMs`.
import { TributaryError } from '../../shared/errors.ts';
import { createRandom, type Random } from '../random.ts';

export interface FaultScheduleOptions {
  /** A fault starts every this many milliseconds, counted from the start of the previous one. */
  everyMs?: number;
  /** Faults start at random, this many milliseconds apart on average. */
  meanIntervalMs?: number;
  /** How long each fault lasts. */
  forMs: number;
}

export class FaultSchedule {
  readonly #options: FaultScheduleOptions;
  readonly #random: Random;
  readonly #trigger: (durationMs: number) => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(kind: string, options: FaultScheduleOptions, seed: number, trigger: (durationMs: number) => void) {
    validate(kind, options);
    this.#options = options;
    this.#random = createRandom(seed);
    this.#trigger = trigger;
  }

  start(): void {
    this.#arm();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    const { everyMs, meanIntervalMs, forMs } = this.#options;
    // The next fault starts once this one has ended, so faults of one kind never overlap.
    const gapMs = everyMs !== undefined ? everyMs : forMs + this.#random.exponential(meanIntervalMs!);
    this.#timer = setTimeout(() => {
      this.#trigger(forMs);
      this.#arm();
    }, Math.max(1, Math.round(gapMs)));
  }
}

function validate(kind: string, options: FaultScheduleOptions): void {
  const option = `--${kind}`;
  const { everyMs, meanIntervalMs, forMs } = options;
  if ((everyMs === undefined) === (meanIntervalMs === undefined)) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}: give either ${option}-every or ${option}-mean-interval, not ${everyMs === undefined ? 'neither' : 'both'}`, { kind });
  }
  if (!Number.isFinite(forMs) || forMs <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}-for: each ${kind} needs a positive duration in ms, not ${forMs}`, { kind, forMs });
  }
  if (everyMs !== undefined && (!Number.isFinite(everyMs) || everyMs <= forMs)) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}-every: ${everyMs} ms must be longer than ${option}-for (${forMs} ms), or the link never comes back`, { kind, everyMs, forMs });
  }
  if (meanIntervalMs !== undefined && (!Number.isFinite(meanIntervalMs) || meanIntervalMs <= 0)) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}-mean-interval: ${meanIntervalMs} is not a positive number of ms`, { kind, meanIntervalMs });
  }
}

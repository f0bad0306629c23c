// dedupe and throttle: both remember, per entry, the event time a record last passed, and
// forget entries that can no longer drop anything. Forgetting happens at points fixed by
// stream time (each time it crosses a multiple of the span), never by the wall clock, so
// a replay after a crash keeps and forgets exactly what the first run did.
import type { Evaluate } from '../expression/compile.ts';
import { keyIdOf, type Emit, type PipelineRecord, type StatefulStep, type Step, type StepEnvironment } from './step.ts';

const NO_STREAM_TIME = Number.NEGATIVE_INFINITY;

/** Entries (id → last event time that passed) with stream time and deterministic expiry. */
class TimedEntries implements StatefulStep {
  readonly #spanMs: number;
  readonly #entriesMax: number;
  readonly #seen = new Map<string, number>();
  #changes = new Map<string, unknown>();
  #streamTime = NO_STREAM_TIME;

  constructor(spanMs: number, entriesMax: number) {
    this.#spanMs = Math.max(1, spanMs);
    this.#entriesMax = entriesMax;
  }

  lastPassed(id: string): number | undefined {
    return this.#seen.get(id);
  }

  /** Advances stream time, forgetting expired entries when it crosses into a new span. */
  advance(time: number): void {
    if (time <= this.#streamTime) return;
    const crossed = this.#streamTime === NO_STREAM_TIME || Math.floor(time / this.#spanMs) > Math.floor(this.#streamTime / this.#spanMs);
    this.#streamTime = time;
    if (crossed) this.#forgetExpired();
  }

  /** Records a pass; false when the entry is new and the limit is reached even after forgetting expired ones. */
  remember(id: string, time: number): boolean {
    if (!this.#seen.has(id) && this.#seen.size >= this.#entriesMax) {
      this.#forgetExpired();
      if (this.#seen.size >= this.#entriesMax) return false;
    }
    this.#seen.set(id, time);
    this.#changes.set(id, time);
    return true;
  }

  #forgetExpired(): void {
    const horizon = this.#streamTime - this.#spanMs;
    for (const [id, time] of this.#seen) {
      if (time >= horizon) continue;
      this.#seen.delete(id);
      this.#changes.set(id, null);
    }
  }

  takeChanges(): Map<string, unknown> {
    const changes = this.#changes;
    this.#changes = new Map();
    return changes;
  }

  entries(): Iterable<[string, unknown]> {
    return this.#seen.entries();
  }

  scalars(): Record<string, number> {
    return this.#streamTime === NO_STREAM_TIME ? {} : { streamTime: this.#streamTime };
  }

  restore(entries: Iterable<[string, unknown]>, scalars: Record<string, number> | undefined): void {
    this.#seen.clear();
    this.#changes.clear();
    this.#streamTime = scalars?.streamTime ?? NO_STREAM_TIME;
    for (const [id, time] of entries) if (typeof time === 'number') this.#seen.set(id, time);
  }

  size(): { entries: number; openWindows: number } {
    return { entries: this.#seen.size, openWindows: 0 };
  }
}

/** Drops a record when a record of the same key with the same `field` value passed less than `within` before or after it in event time. */
export class DedupeStep implements Step {
  readonly kind = 'dedupe';
  readonly state: TimedEntries;
  readonly #field: Evaluate;
  readonly #withinMs: number;
  readonly #environment: StepEnvironment;

  constructor(field: Evaluate, withinMs: number, entriesMax: number, environment: StepEnvironment) {
    this.#field = field;
    this.#withinMs = withinMs;
    this.#environment = environment;
    this.state = new TimedEntries(withinMs, entriesMax);
  }

  process(record: PipelineRecord, emit: Emit): void {
    const { scope, counters } = this.#environment;
    scope.reset(record.value, record.key, record.timestamp, record.headers, record.offset);
    let identity: string;
    try {
      identity = JSON.stringify(this.#field(scope) ?? null, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    } catch (error) {
      counters.errors += 1;
      this.#environment.report('expression', (error as Error).message, { offset: record.offset });
      return;
    }
    const time = record.timestamp;
    this.state.advance(time);
    const id = `${keyIdOf(record.key)}\u0000${identity}`;
    const last = this.state.lastPassed(id);
    if (last !== undefined && Math.abs(time - last) < this.#withinMs) {
      counters.filtered += 1;
      return;
    }
    if (!this.state.remember(id, time)) {
      // A record that cannot be remembered passes: dropping it could lose a reading that is no duplicate.
      counters.limitDrops += 1;
      this.#environment.report('limit', 'dedupe entries are full; a record passes unchecked', { limit: 'dedupeEntries', offset: record.offset });
    }
    emit(record);
  }
}

/** Passes at most one record per key per interval of event time: the first, then the first at least `interval` after it. */
export class ThrottleStep implements Step {
  readonly kind = 'throttle';
  readonly state: TimedEntries;
  readonly #intervalMs: number;
  readonly #environment: StepEnvironment;

  constructor(intervalMs: number, keysMax: number, environment: StepEnvironment) {
    this.#intervalMs = intervalMs;
    this.#environment = environment;
    this.state = new TimedEntries(intervalMs, keysMax);
  }

  process(record: PipelineRecord, emit: Emit): void {
    const { counters } = this.#environment;
    const time = record.timestamp;
    this.state.advance(time);
    const id = keyIdOf(record.key);
    const last = this.state.lastPassed(id);
    if (last !== undefined && time < last + this.#intervalMs) {
      counters.filtered += 1;
      return;
    }
    if (!this.state.remember(id, time)) {
      counters.limitDrops += 1;
      this.#environment.report('limit', 'throttle keys are full; a record of a new key is dropped', { limit: 'throttleKeys', offset: record.offset });
      return;
    }
    emit(record);
  }
}

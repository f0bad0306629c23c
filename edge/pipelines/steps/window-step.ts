// Tumbling and hopping windows in event time, per record key, with a grace period, as in
// Kafka Streams: windows are aligned to the epoch ([start, start + size), a new one every
// `advance`); stream time is the largest event time this step has seen; a window accepts
// records while stream time < end + grace, and is emitted once, then forgotten, when
// stream time reaches end + grace. A record whose window has closed is late: counted and
// dropped. Results are emitted in order of window start, then of key bytes, so that a
// replay after a crash emits them in the same order.
import type { AggregateFields, Evaluate } from '../expression/compile.ts';
import { accumulate, checkValues, newAccumulator, results, type Accumulator } from './window-aggregates.ts';
import { eventTimeOf, keyIdOf, keyOfId, type Emit, type PipelineRecord, type StatefulStep, type Step, type StepEnvironment } from './step.ts';

/** Windows one record may fall in (size / advance): more would make one record cost too much. */
export const WINDOWS_PER_RECORD_MAX = 1000;

export interface WindowOptions {
  sizeMs: number;
  advanceMs: number;
  graceMs: number;
  time: Evaluate | undefined;
  output: AggregateFields;
  openWindowsMax: number;
  keysPerWindowMax: number;
}

const NO_STREAM_TIME = Number.NEGATIVE_INFINITY;

export class WindowStep implements Step, StatefulStep {
  readonly kind = 'window';
  readonly state = this;
  readonly #options: WindowOptions;
  readonly #environment: StepEnvironment;
  /** Window start → key id → accumulator. */
  readonly #windows = new Map<number, Map<string, Accumulator>>();
  /** Entry keys ("start:keyId") changed since the last commit; deleted ones map to null. */
  #changes = new Map<string, unknown>();
  #streamTime = NO_STREAM_TIME;
  /** Start of the oldest open window, so that most records need not look at the others. */
  #earliestStart = Number.POSITIVE_INFINITY;
  readonly #values: unknown[];

  constructor(options: WindowOptions, environment: StepEnvironment) {
    this.#options = options;
    this.#environment = environment;
    this.#values = new Array(options.output.aggregates.length);
  }

  process(record: PipelineRecord, emit: Emit): void {
    const { scope, counters } = this.#environment;
    const options = this.#options;
    scope.reset(record.value, record.key, record.timestamp, record.headers, record.offset);
    let time: number | undefined = record.timestamp;
    try {
      if (options.time !== undefined) time = eventTimeOf(options.time(scope));
      if (time === undefined) throw new Error('the window\'s time expression gave no number of milliseconds');
      const aggregates = options.output.aggregates;
      for (let index = 0; index < aggregates.length; index++) this.#values[index] = aggregates[index]!.argument?.(scope);
      const problem = checkValues(aggregates, this.#values);
      if (problem !== undefined) throw new Error(problem);
    } catch (error) {
      counters.errors += 1;
      this.#environment.report('expression', (error as Error).message, { offset: record.offset });
      return;
    }
    if (time > this.#streamTime) this.#streamTime = time;
    const keyId = keyIdOf(record.key);
    let late = false;
    const lastStart = time - (((time % options.advanceMs) + options.advanceMs) % options.advanceMs);
    for (let start = lastStart; start > time - options.sizeMs; start -= options.advanceMs) {
      if (start + options.sizeMs + options.graceMs <= this.#streamTime) {
        late = true;
        continue;
      }
      const slots = this.#accumulatorFor(start, keyId, record.offset);
      if (slots === undefined) continue;
      accumulate(options.output.aggregates, slots, this.#values, time);
      this.#changes.set(`${start}:${keyId}`, slots);
    }
    if (late) counters.late += 1;
    this.#closeWindows(record.offset, emit);
  }

  #accumulatorFor(start: number, keyId: string, offset: bigint): Accumulator | undefined {
    let window = this.#windows.get(start);
    if (window === undefined) {
      if (this.#windows.size >= this.#options.openWindowsMax) {
        this.#limitHit('openWindows', `${this.#options.openWindowsMax} windows are open; a record for a new one is dropped`, offset);
        return undefined;
      }
      window = new Map();
      this.#windows.set(start, window);
      if (start < this.#earliestStart) this.#earliestStart = start;
    }
    let slots = window.get(keyId);
    if (slots === undefined) {
      if (window.size >= this.#options.keysPerWindowMax) {
        this.#limitHit('keysPerWindow', `the window starting at ${start} holds ${this.#options.keysPerWindowMax} keys; a record of a new key is dropped`, offset);
        return undefined;
      }
      slots = newAccumulator(this.#options.output.aggregates);
      window.set(keyId, slots);
    }
    return slots;
  }

  #limitHit(limit: string, message: string, offset: bigint): void {
    this.#environment.counters.limitDrops += 1;
    this.#environment.report('limit', message, { limit, offset });
  }

  /** Emits and forgets every window whose end + grace stream time has reached, oldest first. */
  #closeWindows(offset: bigint, emit: Emit): void {
    const options = this.#options;
    if (this.#earliestStart + options.sizeMs + options.graceMs > this.#streamTime) return;
    const closing = [...this.#windows.keys()].filter((start) => start + options.sizeMs + options.graceMs <= this.#streamTime).sort((a, b) => a - b);
    for (const start of closing) {
      const window = this.#windows.get(start)!;
      this.#windows.delete(start);
      const end = start + options.sizeMs;
      for (const keyId of [...window.keys()].sort()) {
        this.#changes.set(`${start}:${keyId}`, null);
        const output = this.#output(start, end, keyId, window.get(keyId)!, offset);
        if (output !== undefined) emit(output);
      }
    }
    this.#earliestStart = smallest(this.#windows.keys());
  }

  #output(start: number, end: number, keyId: string, slots: Accumulator, offset: bigint): PipelineRecord | undefined {
    const { scope, counters } = this.#environment;
    const key = keyOfId(keyId);
    scope.reset(undefined, key, end, [], offset);
    scope.aggregates = results(this.#options.output.aggregates, slots);
    const value: Record<string, unknown> = { windowStart: start, windowEnd: end };
    try {
      for (const field of this.#options.output.fields) value[field.name] = field.evaluate(scope) ?? null;
    } catch (error) {
      counters.errors += 1;
      this.#environment.report('expression', (error as Error).message, { offset, windowStart: start });
      return undefined;
    }
    return { key, value, timestamp: end, headers: [], offset };
  }

  takeChanges(): Map<string, unknown> {
    const changes = this.#changes;
    this.#changes = new Map();
    return changes;
  }

  *entries(): Iterable<[string, unknown]> {
    for (const [start, window] of this.#windows) for (const [keyId, slots] of window) yield [`${start}:${keyId}`, slots];
  }

  scalars(): Record<string, number> {
    return this.#streamTime === NO_STREAM_TIME ? {} : { streamTime: this.#streamTime };
  }

  restore(entries: Iterable<[string, unknown]>, scalars: Record<string, number> | undefined): void {
    this.#windows.clear();
    this.#changes.clear();
    this.#streamTime = scalars?.streamTime ?? NO_STREAM_TIME;
    const options = this.#options;
    for (const [entryKey, slots] of entries) {
      const separator = entryKey.indexOf(':');
      const start = Number(entryKey.slice(0, separator));
      // A window that had closed when the commit was made is gone, whether or not its deletion was written.
      if (start + options.sizeMs + options.graceMs <= this.#streamTime) continue;
      let window = this.#windows.get(start);
      if (window === undefined) this.#windows.set(start, window = new Map());
      window.set(entryKey.slice(separator + 1), slots as Accumulator);
    }
    this.#earliestStart = smallest(this.#windows.keys());
  }

  size(): { entries: number; openWindows: number } {
    let entries = 0;
    for (const window of this.#windows.values()) entries += window.size;
    return { entries, openWindows: this.#windows.size };
  }
}

function smallest(values: Iterable<number>): number {
  let result = Number.POSITIVE_INFINITY;
  for (const value of values) if (value < result) result = value;
  return result;
}

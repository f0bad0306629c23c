// The accumulators of a window: each aggregate holds two slots of one flat array per
// window and key, so 100 windows × 1,000 keys are 100,000 small arrays and nothing else.
// Missing values (null, or a field the record lacks) are skipped, as SQL aggregates skip
// NULL; count() counts every record, count(x) the records where x is present.
//
//   count  [n, -]          sum   [sum, n]        avg  [sum, n]
//   min    [min, n]        max   [max, n]
//   first  [value, time]   last  [value, time]   (by event time; ties keep arrival order)
import type { AggregateSpec } from '../expression/compile.ts';

export const SLOTS_PER_AGGREGATE = 2;

export type Accumulator = unknown[];

export function newAccumulator(specs: readonly AggregateSpec[]): Accumulator {
  const slots: unknown[] = new Array(specs.length * SLOTS_PER_AGGREGATE);
  for (let index = 0; index < specs.length; index++) {
    const fn = specs[index]!.fn;
    slots[index * 2] = fn === 'first' || fn === 'last' || fn === 'min' || fn === 'max' ? null : 0;
    slots[index * 2 + 1] = fn === 'first' || fn === 'last' ? null : 0;
  }
  return slots;
}

/** Why a value cannot be aggregated, or undefined when every value is fine. */
export function checkValues(specs: readonly AggregateSpec[], values: readonly unknown[]): string | undefined {
  for (let index = 0; index < specs.length; index++) {
    const fn = specs[index]!.fn;
    const value = values[index];
    if (value === null || value === undefined || fn === 'count' || fn === 'first' || fn === 'last') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${fn}() takes numbers, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`;
  }
  return undefined;
}

/** Adds one record's values (checked by checkValues) at event time `time`. */
export function accumulate(specs: readonly AggregateSpec[], slots: Accumulator, values: readonly unknown[], time: number): void {
  for (let index = 0; index < specs.length; index++) {
    const spec = specs[index]!;
    const value = values[index];
    const at = index * 2;
    if (spec.fn === 'count') {
      if (spec.argument === undefined || (value !== null && value !== undefined)) slots[at] = (slots[at] as number) + 1;
      continue;
    }
    if (value === null || value === undefined) continue;
    switch (spec.fn) {
      case 'sum':
      case 'avg':
        slots[at] = (slots[at] as number) + (value as number);
        slots[at + 1] = (slots[at + 1] as number) + 1;
        break;
      case 'min':
        if (slots[at] === null || (value as number) < (slots[at] as number)) slots[at] = value;
        slots[at + 1] = (slots[at + 1] as number) + 1;
        break;
      case 'max':
        if (slots[at] === null || (value as number) > (slots[at] as number)) slots[at] = value;
        slots[at + 1] = (slots[at + 1] as number) + 1;
        break;
      case 'first':
        if (slots[at + 1] === null || time < (slots[at + 1] as number)) {
          slots[at] = value;
          slots[at + 1] = time;
        }
        break;
      case 'last':
        if (slots[at + 1] === null || time >= (slots[at + 1] as number)) {
          slots[at] = value;
          slots[at + 1] = time;
        }
        break;
    }
  }
}

/** Each aggregate's result: null where no value was aggregated (except count, which is 0). */
export function results(specs: readonly AggregateSpec[], slots: Accumulator): unknown[] {
  return specs.map((spec, index) => {
    const first = slots[index * 2];
    const second = slots[index * 2 + 1];
    switch (spec.fn) {
      case 'count': return first;
      case 'sum': return second === 0 ? null : first;
      case 'avg': return second === 0 ? null : (first as number) / (second as number);
      default: return first;
    }
  });
}

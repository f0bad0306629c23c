// The functions an expression may call. Each takes time linear in its arguments' size at
// most, and none reads the clock or a random source: a pipeline replayed after a crash
// must compute exactly what it computed before.

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** round(x) to an integer, round(x, digits) to that many decimal places (0–12). */
function round(value: unknown, digits: unknown = 0): number | undefined {
  const x = numberOf(value);
  const places = numberOf(digits);
  if (x === undefined || places === undefined || !Number.isInteger(places) || places < 0 || places > 12) return undefined;
  const scale = 10 ** places;
  return Math.round(x * scale) / scale;
}

function unary(operation: (x: number) => number): (value: unknown) => number | undefined {
  return (value) => {
    const x = numberOf(value);
    return x === undefined ? undefined : operation(x);
  };
}

function extreme(pick: (a: number, b: number) => number): (...values: unknown[]) => number | undefined {
  return (...values) => {
    let result: number | undefined;
    for (const value of values) {
      const x = numberOf(value);
      if (x === undefined) return undefined;
      result = result === undefined ? x : pick(result, x);
    }
    return result;
  };
}

export const SCALAR_FUNCTIONS: Readonly<Record<string, (...values: unknown[]) => unknown>> = Object.freeze({
  abs: unary(Math.abs),
  ceil: unary(Math.ceil),
  floor: unary(Math.floor),
  sqrt: unary(Math.sqrt),
  exp: unary(Math.exp),
  ln: unary(Math.log),
  log10: unary(Math.log10),
  round,
  pow: (base: unknown, exponent: unknown) => {
    const x = numberOf(base);
    const y = numberOf(exponent);
    return x === undefined || y === undefined ? undefined : x ** y;
  },
  least: extreme(Math.min),
  greatest: extreme(Math.max),
  /** The first argument that is neither null nor missing (SQL COALESCE). */
  coalesce: (...values: unknown[]) => values.find((value) => value !== null && value !== undefined) ?? null,
  exists: (value: unknown) => value !== null && value !== undefined,
  number: (value: unknown) => {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    const parsed = Number(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  },
  string: (value: unknown) => (value === null || value === undefined ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)),
  lower: (value: unknown) => textOf(value)?.toLowerCase(),
  upper: (value: unknown) => textOf(value)?.toUpperCase(),
  length: (value: unknown) => (typeof value === 'string' || Array.isArray(value) ? value.length : undefined),
  contains: (value: unknown, part: unknown) => {
    const text = textOf(value);
    const sought = textOf(part);
    return text === undefined || sought === undefined ? false : text.includes(sought);
  },
  startsWith: (value: unknown, part: unknown) => {
    const text = textOf(value);
    const sought = textOf(part);
    return text === undefined || sought === undefined ? false : text.startsWith(sought);
  },
  endsWith: (value: unknown, part: unknown) => {
    const text = textOf(value);
    const sought = textOf(part);
    return text === undefined || sought === undefined ? false : text.endsWith(sought);
  },
});

/** Aggregate functions of a window's output fields (window-aggregates.ts implements them). */
export const AGGREGATE_FUNCTIONS = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last'] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

export function isAggregateFunction(name: string): name is AggregateFunction {
  return (AGGREGATE_FUNCTIONS as readonly string[]).includes(name);
}

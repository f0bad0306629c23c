// Figures over repeated runs. The machine a benchmark runs on is shared and noisy, so each
// figure is reported as the median of its runs with the lowest and highest beside it: the
// spread says how far one run may be trusted.

/** The value at `fraction` (0.5 for p50) of values already sorted in ascending order; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Runs that produced the figure (NaN, a figure a run could not measure, is left out). */
  count: number;
}

export function spread(values: readonly number[]): Spread {
  const measured = values.filter((value) => !Number.isNaN(value));
  return {
    median: median(measured),
    min: measured.length === 0 ? Number.NaN : Math.min(...measured),
    max: measured.length === 0 ? Number.NaN : Math.max(...measured),
    count: measured.length,
  };
}

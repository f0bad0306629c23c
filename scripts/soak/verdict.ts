// Whether a soak passed, judged from its samples: memory and descriptors flat after the
// warm-up, the log within its budget, and (from the loss check) nothing acknowledged lost.
//
// "Flat" compares the median of the first quarter of the samples after the warm-up with
// the median of the last quarter: a leak shows as a rise between them however noisy the
// machine, while a single spike (a burst of reconnects, a GC that came late) moves neither
// median. The slope of a least-squares line is printed beside it, for reading, not judged.
import { median } from '../../bench/statistics.ts';
import type { Sample } from './sampler.ts';

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export interface Flatness {
  /** Growth allowed between the two windows: the larger of these. */
  absolute: number;
  fraction: number;
}

/** Fewer samples than this after the warm-up cannot show a trend. */
export const POST_WARM_UP_SAMPLES_MIN = 8;

const MIB = 1024 * 1024;
export const mebibytes = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
export const plain = (value: number): string => String(Math.round(value));

/** The samples taken after the warm-up. */
export function afterWarmUp(samples: readonly Sample[], warmUpSeconds: number): Sample[] {
  return samples.filter((sample) => sample.elapsedSeconds >= warmUpSeconds);
}

/** Least-squares slope of `values` against `times`, per hour of `times` in seconds. */
export function slopePerHour(times: readonly number[], values: readonly number[]): number {
  const count = times.length;
  if (count < 2) return 0;
  const meanTime = times.reduce((sum, time) => sum + time, 0) / count;
  const meanValue = values.reduce((sum, value) => sum + value, 0) / count;
  let covariance = 0;
  let variance = 0;
  for (let index = 0; index < count; index++) {
    covariance += (times[index]! - meanTime) * (values[index]! - meanValue);
    variance += (times[index]! - meanTime) ** 2;
  }
  return variance === 0 ? 0 : (covariance / variance) * 3600;
}

export function checkFlat(name: string, samples: readonly Sample[], pick: (sample: Sample) => number, allowed: Flatness, format: (value: number) => string): Check {
  if (samples.length < POST_WARM_UP_SAMPLES_MIN) {
    return { name, passed: false, detail: `${samples.length} samples after the warm-up; at least ${POST_WARM_UP_SAMPLES_MIN} are needed to judge a trend (run longer or sample more often)` };
  }
  const quarter = Math.max(2, Math.floor(samples.length / 4));
  const first = median(samples.slice(0, quarter).map(pick));
  const last = median(samples.slice(-quarter).map(pick));
  const growth = last - first;
  const limit = Math.max(allowed.absolute, allowed.fraction * first);
  const slope = slopePerHour(samples.map((sample) => sample.elapsedSeconds), samples.map(pick));
  const sign = (value: number): string => (value < 0 ? `-${format(-value)}` : `+${format(value)}`);
  return {
    name,
    passed: growth <= limit,
    detail: `first quarter after warm-up ${format(first)}, last quarter ${format(last)}: ${sign(growth)} (allowed ${format(limit)}); trend ${sign(slope)}/h`,
  };
}

/** The log's size stays within the disk budget, give or take the segments being written (one per partition). */
export function checkWithinBudget(samples: readonly Sample[], budgetBytes: number, slackBytes: number): Check {
  const peak = Math.max(...samples.map((sample) => sample.logBytes));
  return {
    name: 'log within its disk budget',
    passed: peak <= budgetBytes + slackBytes,
    detail: `peak ${mebibytes(peak)} after the warm-up; budget ${mebibytes(budgetBytes)} plus ${mebibytes(slackBytes)} for the segments being written`,
  };
}

// Plausible sensor values: each metric drifts as a bounded random walk around a typical
// value, so a chart of simulated data looks like a room, not like noise.
import type { Random } from '../random.ts';

interface MetricModel {
  /** SenML unit (RFC 8428 section 12.1). */
  unit: string;
  typical: number;
  /** How far devices start from the typical value. */
  spread: number;
  /** Largest change from one reading to the next. */
  step: number;
  min: number;
  max: number;
  decimals: number;
}

export const METRIC_MODELS: Record<string, MetricModel> = {
  temperature: { unit: 'Cel', typical: 21, spread: 4, step: 0.15, min: -40, max: 85, decimals: 2 },
  humidity: { unit: '%RH', typical: 45, spread: 10, step: 0.5, min: 0, max: 100, decimals: 1 },
  pressure: { unit: 'Pa', typical: 101_325, spread: 800, step: 15, min: 87_000, max: 108_500, decimals: 0 },
  battery: { unit: 'V', typical: 3.7, spread: 0.3, step: 0.002, min: 3.0, max: 4.2, decimals: 3 },
  illuminance: { unit: 'lx', typical: 300, spread: 200, step: 20, min: 0, max: 10_000, decimals: 0 },
  co2: { unit: 'ppm', typical: 600, spread: 150, step: 10, min: 400, max: 5_000, decimals: 0 },
};

export const METRIC_NAMES = Object.keys(METRIC_MODELS);

export class SensorModel {
  readonly metric: string;
  readonly unit: string;
  readonly #model: MetricModel;
  readonly #random: Random;
  #value: number;

  constructor(metric: string, random: Random) {
    const model = METRIC_MODELS[metric];
    if (model === undefined) throw new RangeError(`unknown metric "${metric}" (known: ${METRIC_NAMES.join(', ')})`);
    this.metric = metric;
    this.unit = model.unit;
    this.#model = model;
    this.#random = random;
    this.#value = random.around(model.typical, model.spread);
  }

  next(): number {
    const model = this.#model;
    this.#value = Math.min(model.max, Math.max(model.min, this.#value + this.#random.around(0, model.step)));
    const scale = 10 ** model.decimals;
    return Math.round(this.#value * scale) / scale;
  }
}

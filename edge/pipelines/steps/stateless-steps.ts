// filter and map: a record in, at most one record out, nothing kept.
import type { Evaluate } from '../expression/compile.ts';
import type { Emit, PipelineRecord, Step, StepEnvironment } from './step.ts';

export class FilterStep implements Step {
  readonly kind = 'filter';
  readonly #condition: Evaluate;
  readonly #environment: StepEnvironment;

  constructor(condition: Evaluate, environment: StepEnvironment) {
    this.#condition = condition;
    this.#environment = environment;
  }

  process(record: PipelineRecord, emit: Emit): void {
    const { scope, counters } = this.#environment;
    scope.reset(record.value, record.key, record.timestamp, record.headers, record.offset);
    let keep: unknown;
    try {
      keep = this.#condition(scope);
    } catch (error) {
      counters.errors += 1;
      this.#environment.report('expression', (error as Error).message, { offset: record.offset });
      return;
    }
    if (keep === true) emit(record);
    else counters.filtered += 1;
  }
}

export class MapStep implements Step {
  readonly kind = 'map';
  readonly #fields: { name: string; evaluate: Evaluate }[];
  readonly #environment: StepEnvironment;

  constructor(fields: { name: string; evaluate: Evaluate }[], environment: StepEnvironment) {
    this.#fields = fields;
    this.#environment = environment;
  }

  process(record: PipelineRecord, emit: Emit): void {
    const { scope, counters } = this.#environment;
    scope.reset(record.value, record.key, record.timestamp, record.headers, record.offset);
    const value: Record<string, unknown> = {};
    for (const field of this.#fields) {
      try {
        const result = field.evaluate(scope);
        // A missing value is left out, as JSON would; null stays.
        if (result !== undefined) value[field.name] = result;
      } catch (error) {
        counters.errors += 1;
        this.#environment.report('expression', `${field.name}: ${(error as Error).message}`, { offset: record.offset });
        return;
      }
    }
    emit({ ...record, value });
  }
}

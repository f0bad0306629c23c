// From a pipeline's YAML to its steps: durations resolved, every expression parsed and
// compiled. Whatever is wrong is refused here, at start, naming the pipeline, the step and
// the column: "pipelines[0] (greenhouse-1m), step 1 (filter): Unexpected token at column 13".
import type { PipelineConfig, PipelineStepConfig } from '../../shared/config/pipelines-schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import { compileAggregateFields, compileExpression, type AggregateFields, type Evaluate } from './expression/compile.ts';
import { ExpressionError } from './expression/dialect.ts';
import { WINDOWS_PER_RECORD_MAX } from './steps/window-step.ts';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration as the schema allows it: 60s, 5m, 1h, 500ms, 1d, or a number. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
  if (match === null) throw new TributaryError('CONFIG_INVALID', `"${value}" is not a duration (500ms, 60s, 5m, 1h, 1d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export type StepPlan =
  | { kind: 'filter'; condition: Evaluate }
  | { kind: 'map'; fields: { name: string; evaluate: Evaluate }[] }
  | { kind: 'window'; sizeMs: number; advanceMs: number; graceMs: number; time: Evaluate | undefined; output: AggregateFields }
  | { kind: 'dedupe'; field: Evaluate; withinMs: number }
  | { kind: 'throttle'; intervalMs: number };

export interface PipelinePlan {
  config: PipelineConfig;
  steps: StepPlan[];
  /** The steps as declared, for the state's compatibility check: state of other steps is not restored. */
  fingerprint: string;
}

/** Plans every pipeline; CONFIG_INVALID naming the first problem found in each. */
export function planPipelines(pipelines: readonly PipelineConfig[]): PipelinePlan[] {
  const names = new Set<string>();
  const problems: string[] = [];
  const plans: PipelinePlan[] = [];
  pipelines.forEach((pipeline, index) => {
    const where = `pipelines[${index}] (${pipeline.name})`;
    if (names.has(pipeline.name)) problems.push(`${where}: the name ${pipeline.name} is used by an earlier pipeline`);
    names.add(pipeline.name);
    if (pipeline.from === pipeline.to) problems.push(`${where}: from and to are both ${pipeline.from}; a pipeline cannot write to the topic it reads`);
    try {
      plans.push({ config: pipeline, steps: pipeline.steps.map((step, stepIndex) => planStep(step, `${where}, step ${stepIndex + 1}`)), fingerprint: JSON.stringify(pipeline.steps) });
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      problems.push(error.message);
    }
  });
  if (problems.length > 0) throw new TributaryError('CONFIG_INVALID', problems.join('\n'), { pipelines: true });
  return plans;
}

function planStep(step: PipelineStepConfig, where: string): StepPlan {
  const [kind] = Object.keys(step) as (keyof PipelineStepConfig)[];
  const at = (part: string, compile: () => StepPlan): StepPlan => {
    try {
      return compile();
    } catch (error) {
      if (error instanceof ExpressionError) throw new TributaryError('CONFIG_INVALID', `${where} (${kind}${part}): ${error.message}`, { column: error.column });
      if (error instanceof TributaryError) throw new TributaryError('CONFIG_INVALID', `${where} (${kind}${part}): ${error.message}`);
      throw error;
    }
  };
  if ('filter' in step) return at('', () => ({ kind: 'filter', condition: compileExpression(step.filter) }));
  if ('map' in step) {
    const fields: { name: string; evaluate: Evaluate }[] = [];
    for (const [name, text] of Object.entries(step.map)) at(`.${name}`, () => (fields.push({ name, evaluate: compileExpression(text) }), { kind: 'map', fields }));
    return { kind: 'map', fields };
  }
  if ('window' in step) {
    const window = step.window;
    return at('', () => {
      const sizeMs = durationMs(window.size);
      const advanceMs = window.advance === undefined ? sizeMs : durationMs(window.advance);
      if (sizeMs <= 0) throw new TributaryError('CONFIG_INVALID', 'size must be longer than 0');
      if (advanceMs <= 0 || advanceMs > sizeMs || sizeMs % advanceMs !== 0) throw new TributaryError('CONFIG_INVALID', `advance (${advanceMs} ms) must divide size (${sizeMs} ms)`);
      if (sizeMs / advanceMs > WINDOWS_PER_RECORD_MAX) throw new TributaryError('CONFIG_INVALID', `size / advance is ${sizeMs / advanceMs}: each record would fall in that many windows; at most ${WINDOWS_PER_RECORD_MAX}`);
      const time = window.time === undefined ? undefined : compileExpression(window.time);
      return { kind: 'window', sizeMs, advanceMs, graceMs: durationMs(window.grace ?? 0), time, output: compileAggregateFields(window.aggregate) };
    });
  }
  if ('dedupe' in step) return at('', () => ({ kind: 'dedupe', field: compileExpression(step.dedupe.field), withinMs: durationMs(step.dedupe.within) }));
  return at('', () => ({ kind: 'throttle', intervalMs: durationMs(step.throttle.interval) }));
}

// A pipeline's steps as objects, fresh for each task (each input partition keeps state of its own).
import type { PipelineLimits } from '../../shared/config/pipelines-schema.ts';
import type { PipelinePlan } from './plan.ts';
import { DedupeStep, ThrottleStep } from './steps/keyed-time-steps.ts';
import { FilterStep, MapStep } from './steps/stateless-steps.ts';
import type { Step, StepEnvironment } from './steps/step.ts';
import { WindowStep } from './steps/window-step.ts';

export function buildSteps(plan: PipelinePlan, environment: StepEnvironment, limits: PipelineLimits): Step[] {
  return plan.steps.map((step) => {
    switch (step.kind) {
      case 'filter': return new FilterStep(step.condition, environment);
      case 'map': return new MapStep(step.fields, environment);
      case 'window': return new WindowStep({ ...step, openWindowsMax: limits.openWindows, keysPerWindowMax: limits.keysPerWindow }, environment);
      case 'dedupe': return new DedupeStep(step.field, step.withinMs, limits.dedupeEntries, environment);
      case 'throttle': return new ThrottleStep(step.intervalMs, limits.throttleKeys, environment);
    }
  });
}

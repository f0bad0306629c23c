// Stream processing inside the edge daemon: pipelines declared under `pipelines:` in the
// YAML (filter, map, event-time windows, dedupe, throttle), run exactly once on the log.
// The daemon loads this module only when a pipeline is configured.
export { PipelineRunner, type PipelineReport, type PipelineRunnerOptions } from './pipeline-runner.ts';
export { planPipelines, type PipelinePlan } from './plan.ts';
export { pipelineRoutes } from './admin-routes.ts';
export { stateTopicName } from './state-log.ts';
export { RECENT_PROBLEMS_MAX, type PipelineProblem } from './recent-problems.ts';

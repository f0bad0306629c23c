// GET /api/pipeline-list: every pipeline with its topics, state, lag and counters (records
// in, out, filtered, late, in error). GET /api/pipeline?name=: one pipeline: its steps as
// declared, its limits, per input partition its state, input position, committed position,
// log end, lag, open windows and output position, its counters with errors by kind, and
// its recent problems. Read-only: a reset stays `tributary pipelines reset`. The list
// holds at most the 100 pipelines the configuration allows (shared/config/pipelines-schema.ts).
// See pipeline-view.ts for where each number comes from.
import { metricSumsBy } from '../metric-reader.ts';
import { pipelineCounters, pipelineRow, PIPELINE_COUNTERS } from '../pipeline-view.ts';
import { ApiRefusal, required, type ApiHandler } from './api-request.ts';

/** Longest pipeline name asked about: names are at most 100 characters (the configuration's pattern). */
const NAME_CHARACTERS_MAX = 100;

export const pipelineListApi: ApiHandler = async ({ providers, registry }) => {
  if (!providers.pipelines) return { configured: false, pipelines: [] };
  const countersOf = await pipelineCounters(registry);
  return { configured: true, pipelines: providers.pipelines.report().map((report) => pipelineRow(report, countersOf(report.name))) };
};

export const pipelineApi: ApiHandler = async ({ providers, registry }, query) => {
  const name = required(query, 'name', '/api/pipeline?name=sensors-1m');
  if (name.length > NAME_CHARACTERS_MAX) throw new ApiRefusal(400, `name may be at most ${NAME_CHARACTERS_MAX} characters`);
  const pipelines = providers.pipelines;
  if (!pipelines) throw new ApiRefusal(404, 'no pipelines are configured on this node');
  const reports = pipelines.report();
  const report = reports.find((entry) => entry.name === name);
  const definition = pipelines.definition(name);
  if (report === undefined || definition === undefined) throw new ApiRefusal(404, `no pipeline named ${name}; pipelines: ${reports.map((entry) => entry.name).join(', ') || '(none)'}`);
  const countersOf = await pipelineCounters(registry);
  const errorsByKind = await metricSumsBy(registry, PIPELINE_COUNTERS.errors, 'kind', { pipeline: name });
  // Where the outputs stand: the log end of each output partition the tasks write.
  const output = providers.topics.topics().find((topic) => topic.name === report.to);
  return {
    ...pipelineRow(report, countersOf(name)),
    stateTopic: report.stateTopic,
    decode: definition.decode,
    encode: definition.encode,
    startFrom: definition.startFrom,
    commitIntervalMs: definition.commitIntervalMs,
    steps: definition.steps,
    limits: definition.limits,
    errorsByKind: Object.fromEntries(errorsByKind ?? []),
    partitions: report.partitions.map((task) => ({ ...task, outputLogEndOffset: output?.partitions[task.outputPartition]?.logEndOffset ?? null })),
    recentProblems: pipelines.recentProblems(name) ?? [],
  };
};

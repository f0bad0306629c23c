// A pipeline as the console shows it. Nothing here is counted again: the state, positions,
// lag and windows are the pipeline's own report (the one GET /api/pipelines and `tributary
// pipelines status` give), its lag is summed as `tributary pipelines list` sums it
// (cli/ops/pipeline-lag.ts), and the records in, out, filtered, late and in error are the
// daemon's metrics read in process (metric-reader.ts), the numbers /metrics exports.
import type { Registry } from 'prom-client';
import { pipelineLag } from '../../cli/ops/pipeline-lag.ts';
import { metricSumsBy } from './metric-reader.ts';
import type { PipelineReport } from './providers.ts';

/** The pipeline counters the console shows, each the metric that counts it (edge/pipelines/metrics.ts). */
export const PIPELINE_COUNTERS = {
  recordsIn: 'tributary_pipeline_records_in_total',
  recordsOut: 'tributary_pipeline_records_out_total',
  filtered: 'tributary_pipeline_records_filtered_total',
  late: 'tributary_pipeline_records_late_total',
  errors: 'tributary_pipeline_errors_total',
  limitDrops: 'tributary_pipeline_limit_drops_total',
  lost: 'tributary_pipeline_records_lost_total',
  replayedOutputs: 'tributary_pipeline_replayed_outputs_total',
  commits: 'tributary_pipeline_commits_total',
} as const;

export type PipelineCounterName = keyof typeof PIPELINE_COUNTERS;
export type PipelineCounters = Record<PipelineCounterName, number>;

/** A pipeline's state is the first of these that any of its partitions is in: one failing partition makes it retrying. */
const STATE_PRECEDENCE = ['retrying', 'stopped', 'starting', 'running'] as const;

export interface PipelineRow {
  name: string;
  from: string;
  to: string;
  state: string;
  partitions: number;
  lagRecords: bigint;
  counters: PipelineCounters;
}

/** Every pipeline's counters, read once per metric; a pipeline that has counted nothing yet has zeros. */
export async function pipelineCounters(registry: Registry): Promise<(name: string) => PipelineCounters> {
  const sums = new Map<PipelineCounterName, Map<string, number> | null>();
  for (const [name, metric] of Object.entries(PIPELINE_COUNTERS) as [PipelineCounterName, string][]) sums.set(name, await metricSumsBy(registry, metric, 'pipeline'));
  return (pipeline) => {
    const counters = {} as PipelineCounters;
    for (const name of Object.keys(PIPELINE_COUNTERS) as PipelineCounterName[]) counters[name] = sums.get(name)?.get(pipeline) ?? 0;
    return counters;
  };
}

/** The pipeline's state as one word, from its partitions' (none yet: starting). */
export function pipelineState(report: PipelineReport): string {
  if (report.partitions.length === 0) return 'starting';
  return STATE_PRECEDENCE.find((state) => report.partitions.some((partition) => partition.state === state)) ?? report.partitions[0]!.state;
}

export function pipelineRow(report: PipelineReport, counters: PipelineCounters): PipelineRow {
  return { name: report.name, from: report.from, to: report.to, state: pipelineState(report), partitions: report.partitions.length, lagRecords: pipelineLag(report), counters };
}

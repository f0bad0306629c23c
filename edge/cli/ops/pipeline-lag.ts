// A pipeline's lag, as `tributary pipelines list` and the console both show it: the sum
// over its input partitions of the records not yet processed and committed, each the
// figure its status reports (and tributary_pipeline_lag_records exports).
import type { PipelineReport } from '../../pipelines/pipeline-runner.ts';

export function pipelineLag(pipeline: Pick<PipelineReport, 'partitions'>): bigint {
  return pipeline.partitions.reduce((sum, partition) => sum + BigInt(partition.lagRecords), 0n);
}

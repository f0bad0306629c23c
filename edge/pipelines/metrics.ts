// Prometheus metrics of the pipelines, registered in the daemon's registry. Counters are
// per pipeline; lag and state are per pipeline and input partition.
import { Counter, Gauge, type Registry } from 'prom-client';

export type ErrorKind = 'decode' | 'expression' | 'encode' | 'io';

export class PipelineMetrics {
  readonly recordsIn: Counter<'pipeline'>;
  readonly recordsOut: Counter<'pipeline'>;
  readonly filtered: Counter<'pipeline'>;
  readonly late: Counter<'pipeline'>;
  readonly errors: Counter<'pipeline' | 'kind'>;
  readonly limitDrops: Counter<'pipeline'>;
  readonly lost: Counter<'pipeline'>;
  readonly replayedOutputs: Counter<'pipeline'>;
  readonly commits: Counter<'pipeline'>;
  readonly stateBytesWritten: Counter<'pipeline'>;
  readonly lagRecords: Gauge<'pipeline' | 'partition'>;
  readonly openWindows: Gauge<'pipeline' | 'partition'>;
  readonly stateEntries: Gauge<'pipeline' | 'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['pipeline'] as const;
    this.recordsIn = new Counter({ name: 'tributary_pipeline_records_in_total', help: 'Input records a pipeline processed', labelNames, registers });
    this.recordsOut = new Counter({ name: 'tributary_pipeline_records_out_total', help: 'Output records a pipeline wrote (durable)', labelNames, registers });
    this.filtered = new Counter({ name: 'tributary_pipeline_records_filtered_total', help: 'Records a filter, dedupe or throttle step dropped', labelNames, registers });
    this.late = new Counter({ name: 'tributary_pipeline_records_late_total', help: 'Records that arrived for a window already closed (end + grace passed), dropped', labelNames, registers });
    this.errors = new Counter({ name: 'tributary_pipeline_errors_total', help: 'Records a pipeline could not process (decode, expression, encode) and failures to read or write the log (io)', labelNames: ['pipeline', 'kind'], registers });
    this.limitDrops = new Counter({ name: 'tributary_pipeline_limit_drops_total', help: 'Records dropped (or, for dedupe, passed unchecked) because a pipeline limit was reached', labelNames, registers });
    this.lost = new Counter({ name: 'tributary_pipeline_records_lost_total', help: 'Input records retention deleted before the pipeline read them', labelNames, registers });
    this.replayedOutputs = new Counter({ name: 'tributary_pipeline_replayed_outputs_total', help: 'Outputs recomputed after a restart and not written again because they were already in the output topic', labelNames, registers });
    this.commits = new Counter({ name: 'tributary_pipeline_commits_total', help: 'Commits of input position and state', labelNames, registers });
    this.stateBytesWritten = new Counter({ name: 'tributary_pipeline_state_bytes_written_total', help: 'Bytes written to pipeline state topics', labelNames, registers });
    this.lagRecords = new Gauge({ name: 'tributary_pipeline_lag_records', help: 'Input records not yet processed and committed', labelNames: ['pipeline', 'partition'], registers });
    this.openWindows = new Gauge({ name: 'tributary_pipeline_open_windows', help: 'Windows open (distinct start times, over all window steps)', labelNames: ['pipeline', 'partition'], registers });
    this.stateEntries = new Gauge({ name: 'tributary_pipeline_state_entries', help: 'Entries held in memory: window accumulators per key, dedupe and throttle entries', labelNames: ['pipeline', 'partition'], registers });
  }

  /** Removes a pipeline's per-partition series, after a reset or when it stops. */
  forgetPartition(pipeline: string, partition: number): void {
    const labels = { pipeline, partition: String(partition) };
    this.lagRecords.remove(labels);
    this.openWindows.remove(labels);
    this.stateEntries.remove(labels);
  }
}

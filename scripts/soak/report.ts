// The soak's curves as a table: the run cut into equal spans of time, one row each, with
// the figures of the samples in it (the median of memory and descriptors, the worst
// event-loop delay, the largest log and backlog, rates from the counters' differences),
// and every sample as CSV for plotting elsewhere.
import { median } from '../../bench/statistics.ts';
import type { Sample } from './sampler.ts';

const MIB = 1024 * 1024;

const COLUMNS: { title: string; cell: (span: Sample[], before: Sample | undefined) => string }[] = [
  { title: 'minute', cell: (span) => (span[span.length - 1]!.elapsedSeconds / 60).toFixed(1) },
  { title: 'RSS MiB', cell: (span) => (median(span.map((sample) => sample.rssBytes)) / MIB).toFixed(1) },
  { title: 'heap MiB', cell: (span) => (median(span.map((sample) => sample.heapUsedBytes)) / MIB).toFixed(1) },
  { title: 'fds', cell: (span) => String(median(span.map((sample) => sample.openFileDescriptors))) },
  { title: 'loop p99 ms', cell: (span) => (Math.max(...span.map((sample) => sample.eventLoopDelayP99Seconds)) * 1000).toFixed(0) },
  { title: 'loop max ms', cell: (span) => (Math.max(...span.map((sample) => sample.eventLoopDelayMaxSeconds)) * 1000).toFixed(0) },
  { title: 'log MiB', cell: (span) => (Math.max(...span.map((sample) => sample.logBytes)) / MIB).toFixed(1) },
  { title: 'data dir MiB', cell: (span) => (Math.max(...span.map((sample) => sample.dataDirectoryBytes)) / MIB).toFixed(1) },
  { title: 'MQTT clients', cell: (span) => String(Math.min(...span.map((sample) => sample.mqttClients))) },
  { title: 'records/s', cell: (span, before) => rate(span, before, (sample) => sample.appendedRecords).toFixed(0) },
  { title: 'CPU %', cell: (span, before) => (rate(span, before, (sample) => sample.cpuSeconds) * 100).toFixed(0) },
  { title: 'mirror backlog', cell: (span) => String(Math.max(...span.map((sample) => sample.mirrorBacklogRecords))) },
];

/** Per second over the span, from the sample before it (or its own first sample). */
function rate(span: Sample[], before: Sample | undefined, pick: (sample: Sample) => number): number {
  const start = before ?? span[0]!;
  const end = span[span.length - 1]!;
  const seconds = end.elapsedSeconds - start.elapsedSeconds;
  return seconds > 0 ? (pick(end) - pick(start)) / seconds : 0;
}

/** A Markdown table of `rows` spans of equal time (fewer when there are fewer samples). */
export function renderCurves(samples: readonly Sample[], rows: number): string[] {
  if (samples.length === 0) return ['(no samples)'];
  const end = samples[samples.length - 1]!.elapsedSeconds;
  const spanSeconds = Math.max(end / rows, Number.EPSILON);
  const spans: Sample[][] = [];
  for (const sample of samples) {
    const index = Math.min(rows - 1, Math.floor(sample.elapsedSeconds / spanSeconds));
    (spans[index] ??= []).push(sample);
  }
  const body: string[][] = [];
  let before: Sample | undefined;
  for (const span of spans) {
    if (span === undefined) continue;
    body.push(COLUMNS.map((column) => column.cell(span, before)));
    before = span[span.length - 1];
  }
  const header = COLUMNS.map((column) => column.title);
  const widths = header.map((title, index) => Math.max(title.length, ...body.map((line) => line[index]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, index) => cell.padStart(widths[index]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((width) => `${'-'.repeat(width - 1)}:`).join(' | ')} |`, ...body.map(line)];
}

export function samplesCsv(samples: readonly Sample[]): string {
  if (samples.length === 0) return '';
  const keys = Object.keys(samples[0]!) as (keyof Sample)[];
  return `${keys.join(',')}\n${samples.map((sample) => keys.map((key) => sample[key]).join(',')).join('\n')}\n`;
}

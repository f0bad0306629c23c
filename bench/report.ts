// How a side-by-side benchmark prints its figures: one row per figure, one column per
// contestant with the median of the runs and their range, then ratio columns. A ratio is
// taken within each run (both sides measured minutes apart on the same machine) and then
// summarised like any other figure, so a slow spell of the shared machine falls on both
// sides of a ratio rather than on one.
import { spread, type Spread } from './statistics.ts';

export interface FigureRow<Column extends string> {
  label: string;
  /** Which way is better, printed after the label (↑ or ↓), so that a ratio reads the right way round. */
  better: 'higher' | 'lower';
  format: (value: number) => string;
  /** The figure of each run, per contestant; the same run at the same index. */
  values: Record<Column, number[]>;
}

export interface RatioColumn<Column extends string> {
  numerator: Column;
  denominator: Column;
}

export const count = (value: number): string => (Number.isNaN(value) ? '-' : Math.round(value).toLocaleString('en'));
export const fixed = (digits: number) => (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(digits));

/** Per-run ratios of two contestants' figures. */
export function runRatios<Column extends string>(row: FigureRow<Column>, ratio: RatioColumn<Column>): number[] {
  return row.values[ratio.numerator].map((value, run) => value / row.values[ratio.denominator][run]!);
}

/** "median (min–max)" of a figure's runs. */
export function cell(summary: Spread, format: (value: number) => string): string {
  if (summary.count === 0) return '-';
  if (summary.count === 1) return format(summary.median);
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}

/** The table's lines: a header, then a line per figure. */
export function renderTable<Column extends string>(columns: readonly Column[], ratios: readonly RatioColumn<Column>[], rows: readonly FigureRow<Column>[]): string[] {
  const header = ['', ...columns, ...ratios.map((ratio) => `${ratio.numerator}/${ratio.denominator}`)];
  const body = rows.map((row) => [
    `${row.label} ${row.better === 'higher' ? '↑' : '↓'}`,
    ...columns.map((column) => cell(spread(row.values[column]), row.format)),
    ...ratios.map((ratio) => cell(spread(runRatios(row, ratio)), fixed(2))),
  ]);
  const widths = header.map((_unused, index) => Math.max(...[header, ...body].map((line) => line[index]!.length)));
  const line = (fields: string[]): string => fields.map((field, index) => (index === 0 ? field.padEnd(widths[index]!) : field.padStart(widths[index]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)];
}

export interface Goal {
  label: string;
  /** The figure judged, one per run: a same-run ratio, usually. */
  values: number[];
  atLeast?: number;
  atMost?: number;
}

/** "label: median (min–max) goal >= 1.0: met"; the goal is judged on the median. */
export function goalLine(goal: Goal): string {
  const summary = spread(goal.values);
  const met = (goal.atLeast === undefined || summary.median >= goal.atLeast) && (goal.atMost === undefined || summary.median <= goal.atMost);
  const bound = goal.atLeast !== undefined ? `>= ${goal.atLeast}` : `<= ${goal.atMost}`;
  return `${goal.label}: ${cell(summary, fixed(2))}, goal ${bound}: ${summary.count === 0 ? 'not measured' : met ? 'met' : 'MISSED'}`;
}

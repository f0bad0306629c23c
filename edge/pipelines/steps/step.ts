// What every step is: a synchronous function of one record that passes on zero or more
// records, plus the state it keeps between records. Steps are deterministic: given the
// same state and the same records, they pass on the same records in the same order. That
// is what lets a pipeline replay its input after a crash and recognise the outputs it had
// already written (partition-task.ts).
import type { DecodedRecordHeader } from '../../../shared/kafka/record-batch.ts';
import type { RecordScope } from '../expression/record-scope.ts';

export interface PipelineRecord {
  key: Buffer | null;
  value: unknown;
  /** Epoch milliseconds. */
  timestamp: number;
  headers: readonly DecodedRecordHeader[];
  /** Offset of the input record this one comes from (for a window's result, the record that closed it). */
  offset: bigint;
}

export type Emit = (record: PipelineRecord) => void;

/** What steps count; the task turns these into metrics. */
export interface StepCounters {
  filtered: number;
  late: number;
  errors: number;
  limitDrops: number;
}

export interface StepEnvironment {
  scope: RecordScope;
  counters: StepCounters;
  /** A record a step could not handle (an expression failed, a value of the wrong type) or a limit hit: logged, rate-limited by the task. */
  report(kind: 'expression' | 'limit', message: string, detail: Record<string, unknown>): void;
}

/** A step's state as entries (key → CBOR-encodable value, null when deleted), kept in the pipeline's state topic. */
export interface StatefulStep {
  /** Entries changed since the last call, then forgotten as changed. */
  takeChanges(): Map<string, unknown>;
  /** Every live entry, for a full snapshot. */
  entries(): Iterable<[string, unknown]>;
  /** Small values that are not entries (stream time), written with every commit. */
  scalars(): Record<string, number>;
  /** Restores from what the last commit left. Entries come in no particular order. */
  restore(entries: Iterable<[string, unknown]>, scalars: Record<string, number> | undefined): void;
  /** Entries held, and windows open where that applies. */
  size(): { entries: number; openWindows: number };
}

export interface Step {
  readonly kind: 'filter' | 'map' | 'window' | 'dedupe' | 'throttle';
  process(record: PipelineRecord, emit: Emit): void;
  readonly state?: StatefulStep;
}

/** Key of a record as a string that keeps every byte (latin1), '-' for a record without a key. */
export function keyIdOf(key: Buffer | null): string {
  return key === null ? '-' : `+${key.toString('latin1')}`;
}

export function keyOfId(keyId: string): Buffer | null {
  return keyId === '-' ? null : Buffer.from(keyId.slice(1), 'latin1');
}

/** A finite number of milliseconds from an expression's result, or undefined. */
export function eventTimeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

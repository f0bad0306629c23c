// What the supervisor and the fuzzing worker tell each other.
import type { CoverageFigures } from './coverage.ts';

export interface WorkerData {
  target: string;
  /** URL of the module whose default export is the FuzzTarget. */
  moduleUrl: string;
  /** Files and folders whose coverage guides the fuzzer, from the project root. */
  coverage: string[];
  inputBytesMax: number;
  seconds: number;
  /** Stop after this many inputs even if time is left (for repeatable runs). */
  executionsMax: number;
  seed: number;
  /** Folders of inputs to start from: the committed seeds, then what earlier runs found. */
  corpusDirectories: string[];
  /** Where inputs that reach new coverage are written. */
  discoveredDirectory: string;
  /** Tokens the mutator inserts (latin1 strings). */
  dictionary: string[];
  /** 8 bytes (inputs started, length of the current one, as int32s), then the input being run. */
  shared: SharedArrayBuffer;
}

export type FindingKind = 'crash' | 'allocation' | 'hang' | 'out-of-memory';

export type WorkerMessage =
  | { type: 'finding'; kind: 'crash' | 'allocation'; input: Uint8Array; message: string }
  | { type: 'stats' | 'done'; executions: number; corpus: number; seeds: number; coverage: CoverageFigures };

/** The message and the top of the stack of anything thrown. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return (error.stack ?? `${error.name}: ${error.message}`).split('\n').slice(0, 6).join('\n');
  return `non-Error thrown: ${String(error)}`;
}

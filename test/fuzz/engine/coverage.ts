// Coverage feedback for the fuzzer, in the process that runs the target: the sources under
// test are instrumented as Node.js loads them (istanbul-lib-instrument, the instrumenter of
// nyc and Jest, run from a module.registerHooks load hook after Node.js's own type
// stripping), and after every input the counters of statements, branch arms and functions
// are read, bucketed by hit count as AFL does (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+),
// and reset. An input that reaches a counter bucket no earlier input reached is kept.
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createInstrumenter } = require('istanbul-lib-instrument') as {
  createInstrumenter(options: object): { instrumentSync(code: string, filename: string): string };
};

/** The global object istanbul's counters live in; named so as not to meet any other tool's. */
const COVERAGE_VARIABLE = '__tributaryFuzzCoverage__';

interface FileCoverage {
  s: Record<number, number>;
  f: Record<number, number>;
  b: Record<number, number[]>;
}

/** Instruments, from now on, the files whose path (from `root`) starts with one of `prefixes`. */
export function instrumentSources(root: string, prefixes: readonly string[]): void {
  const instrumenter = createInstrumenter({ esModules: true, compact: true, coverageVariable: COVERAGE_VARIABLE, produceSourceMap: false });
  const scriptInstrumenter = createInstrumenter({ esModules: false, compact: true, coverageVariable: COVERAGE_VARIABLE, produceSourceMap: false });
  const wanted = (path: string): boolean => path.startsWith(root) && prefixes.some((prefix) => path.slice(root.length + 1).startsWith(prefix));
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.startsWith('file:') || result.source === undefined || result.source === null) return result;
      const path = fileURLToPath(url);
      if (!wanted(path)) return result;
      const text = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
      const typescript = result.format === 'module-typescript' || result.format === 'commonjs-typescript';
      const javascript = typescript ? stripTypeScriptTypes(text) : text;
      const format = result.format === 'module-typescript' ? 'module' : result.format === 'commonjs-typescript' ? 'commonjs' : result.format;
      const code = (format === 'module' ? instrumenter : scriptInstrumenter).instrumentSync(javascript, path);
      return { ...result, format, source: code };
    },
  });
}

/** Hit-count bucket of a counter, as a bit (0 for no hit). */
function bucketBit(count: number): number {
  if (count === 0) return 0;
  if (count <= 3) return 1 << (count - 1);
  if (count <= 7) return 8;
  if (count <= 15) return 16;
  if (count <= 31) return 32;
  if (count <= 127) return 64;
  return 128;
}

/** Marks the bucket of `count` as seen at `slot`; 1 if it had not been, else 0. */
function record(seen: Uint8Array, slot: number, count: number): number {
  const bit = bucketBit(count);
  if ((seen[slot]! & bit) !== 0) return 0;
  seen[slot] = seen[slot]! | bit;
  return 1;
}

export interface CoverageFigures {
  files: number;
  statements: { covered: number; total: number };
  branches: { covered: number; total: number };
  functions: { covered: number; total: number };
  /** Distinct (counter, hit-count bucket) pairs reached. */
  features: number;
}

/** The counters of the instrumented files, read and reset after each input. */
export class CoverageMap {
  #files: { path: string; coverage: FileCoverage; statements: number; functions: number; branches: number[]; seen: Uint8Array }[] = [];
  #known = 0;
  #features = 0;

  /** Picks up files loaded since the last call (a target may load a codec late). */
  refresh(): void {
    const all = (globalThis as Record<string, unknown>)[COVERAGE_VARIABLE] as Record<string, FileCoverage> | undefined;
    if (all === undefined) return;
    const paths = Object.keys(all);
    if (paths.length === this.#known) return;
    const have = new Set(this.#files.map((file) => file.path));
    for (const path of paths) {
      if (have.has(path)) continue;
      const coverage = all[path]!;
      const statements = Object.keys(coverage.s).length;
      const functions = Object.keys(coverage.f).length;
      const branches = Object.keys(coverage.b).map((key) => coverage.b[Number(key)]!.length);
      const slots = statements + functions + branches.reduce((sum, arms) => sum + arms, 0);
      this.#files.push({ path, coverage, statements, functions, branches, seen: new Uint8Array(slots) });
    }
    this.#known = paths.length;
  }

  /** Resets every counter without recording: what ran before the first input is not its coverage. */
  reset(): void {
    this.refresh();
    for (const file of this.#files) {
      const { s, f, b } = file.coverage;
      for (let index = 0; index < file.statements; index++) s[index] = 0;
      for (let index = 0; index < file.functions; index++) f[index] = 0;
      for (let index = 0; index < file.branches.length; index++) b[index]!.fill(0);
    }
  }

  /** Records the counters of the input just run, resets them, and returns how many new features it reached. */
  collect(): number {
    let found = 0;
    for (const file of this.#files) {
      const { s, f, b } = file.coverage;
      let slot = 0;
      for (let index = 0; index < file.statements; index++, slot++) {
        if (s[index] !== 0) { found += record(file.seen, slot, s[index]!); s[index] = 0; }
      }
      for (let index = 0; index < file.functions; index++, slot++) {
        if (f[index] !== 0) { found += record(file.seen, slot, f[index]!); f[index] = 0; }
      }
      for (let index = 0; index < file.branches.length; index++) {
        const arms = b[index]!;
        for (let arm = 0; arm < arms.length; arm++, slot++) {
          if (arms[arm] !== 0) { found += record(file.seen, slot, arms[arm]!); arms[arm] = 0; }
        }
      }
    }
    this.#features += found;
    return found;
  }

  figures(): CoverageFigures {
    const figures: CoverageFigures = { files: this.#files.length, statements: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 }, functions: { covered: 0, total: 0 }, features: this.#features };
    for (const file of this.#files) {
      let slot = 0;
      for (let index = 0; index < file.statements; index++, slot++) { figures.statements.total++; if (file.seen[slot]) figures.statements.covered++; }
      for (let index = 0; index < file.functions; index++, slot++) { figures.functions.total++; if (file.seen[slot]) figures.functions.covered++; }
      for (const arms of file.branches) {
        for (let arm = 0; arm < arms; arm++, slot++) { figures.branches.total++; if (file.seen[slot]) figures.branches.covered++; }
      }
    }
    return figures;
  }
}

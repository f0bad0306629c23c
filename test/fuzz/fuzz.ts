// `npm run fuzz -- [--seconds N] [--runs N] [--seed N] [--timeout-ms N] [target …]`: runs each
// fuzz target (all of them when none is named) for N seconds, one after the other, and
// prints what it did: inputs run, the corpus, the coverage reached, and any finding.
//
// Findings are written under ~/.cache/tributary/fuzz/findings/TARGET/ (or $XDG_CACHE_HOME)
// with a line saying how to make one a regression test; inputs that reached new coverage
// go to ~/.cache/tributary/fuzz/corpus/TARGET/ and seed the next run. The committed seeds
// are in test/fuzz/corpus/TARGET/. Exit status 1 when anything was found.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TARGETS } from './targets/index.ts';
import { DICTIONARIES } from './targets/dictionaries.ts';
import { runTarget, type RunOptions, type TargetReport } from './engine/supervisor.ts';

const HERE = import.meta.dirname;
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tributary', 'fuzz');
/** One input that runs longer than this is a hang (generous: the machine may be loaded). */
const INPUT_TIMEOUT_MS_DEFAULT = 10_000;

function runNamedTarget(target: string, options: Omit<RunOptions, 'findingsDirectory'>): Promise<TargetReport> {
  const entry = TARGETS[target]!;
  return runTarget({
    target,
    moduleUrl: new URL(`./targets/${entry.module}`, import.meta.url).href,
    coverage: entry.coverage,
    inputBytesMax: entry.inputBytesMax,
    corpusDirectories: [join(HERE, 'corpus', target), join(HERE, 'regressions', target), join(CACHE, 'corpus', target)],
    discoveredDirectory: join(CACHE, 'corpus', target),
    dictionary: DICTIONARIES[target] ?? [],
  }, { ...options, findingsDirectory: join(CACHE, 'findings') });
}

function percent(part: { covered: number; total: number }): string {
  return `${part.covered}/${part.total} (${part.total === 0 ? 0 : ((100 * part.covered) / part.total).toFixed(1)}%)`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      runs: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
      seed: { type: 'string' },
      'timeout-ms': { type: 'string', default: String(INPUT_TIMEOUT_MS_DEFAULT) },
      json: { type: 'boolean', default: false },
    },
  });
  const unknown = positionals.filter((name) => !(name in TARGETS));
  if (unknown.length > 0) {
    console.error(`fuzz: unknown target ${unknown.join(', ')}; targets: ${Object.keys(TARGETS).join(', ')}`);
    return 2;
  }
  const targets = positionals.length > 0 ? positionals : Object.keys(TARGETS);
  const options = { seconds: Number(values.seconds), runs: Number(values.runs), seed: Number(values.seed ?? Date.now() % 0xffffffff), timeoutMs: Number(values['timeout-ms']) };
  const reports: TargetReport[] = [];
  for (const target of targets) {
    console.log(`fuzzing ${target} for ${options.seconds} s (seed ${options.seed}): ${TARGETS[target]!.description}`);
    const report = await runNamedTarget(target, options);
    reports.push(report);
    const coverage = report.coverage;
    console.log(`  ${target}: ${report.executions} inputs in ${report.seconds.toFixed(1)} s (${report.executionsPerSecond}/s), corpus ${report.corpus} (${report.seeds} at start)`);
    if (coverage) console.log(`  coverage of ${coverage.files} files: statements ${percent(coverage.statements)}, branches ${percent(coverage.branches)}, functions ${percent(coverage.functions)}, ${coverage.features} features`);
    for (const finding of report.findings) {
      console.log(`  FINDING ${finding.kind}: ${finding.path}\n    ${finding.message.split('\n').join('\n    ')}`);
    }
  }
  if (values.json) console.log(JSON.stringify(reports.map(({ findings, ...rest }) => ({ ...rest, findings: findings.map(({ input: _input, ...finding }) => finding) }))));
  const found = reports.flatMap((report) => report.findings);
  if (found.length > 0) {
    console.log(`\n${found.length} finding(s). Once fixed, copy each input to test/fuzz/regressions/TARGET/ (a short name saying what it was): npm test replays them.`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();

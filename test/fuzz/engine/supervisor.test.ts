// The fuzzing engine catches each kind of finding and saves the input that caused it: an
// unexpected exception, an allocation past the target's bound, a hang, and a heap that
// runs out. Each fault is set off by a seed, so it is met on the first pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTarget, type TargetReport } from './supervisor.ts';

/** Long enough for the worker to load and run its seeds on a loaded machine. */
const SECONDS = 5;
/** The hang seed's bound: short, so that its test is quick. */
const HANG_TIMEOUT_MS = 2_000;
/**
 * The bound for every other seed: a heap filling up spends seconds in garbage collection
 * before it runs out, longer still on a loaded machine, and must not be taken for a hang.
 */
const TIMEOUT_MS = 60_000;

async function fuzzWithSeed(seed: string, runs = 10_000, timeoutMs = TIMEOUT_MS): Promise<{ report: TargetReport; directory: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-fuzz-'));
  mkdirSync(join(directory, 'corpus'));
  writeFileSync(join(directory, 'corpus', 'seed'), seed, 'latin1');
  const report = await runTarget({
    target: 'faulty',
    moduleUrl: new URL('./fixtures/faulty-target.ts', import.meta.url).href,
    coverage: ['test/fuzz/engine/fixtures/'],
    inputBytesMax: 64,
    corpusDirectories: [join(directory, 'corpus')],
    discoveredDirectory: join(directory, 'discovered'),
    dictionary: [],
  }, { seconds: SECONDS, runs, seed: 1, timeoutMs, findingsDirectory: join(directory, 'findings') });
  return { report, directory };
}

for (const [seed, kind, message] of [
  ['TE', 'crash', /TypeError: a bug/],
  ['AL', 'allocation', /allocated 1048576 bytes of Buffers for a 2-byte input; the bound is 65536/],
  ['HG', 'hang', /longer than 2000 ms/],
  ['OM', 'out-of-memory', /ERR_WORKER_OUT_OF_MEMORY/],
] as const) {
  test(`a seed that sets off ${kind} is reported with its input saved`, async () => {
    const { report, directory } = await fuzzWithSeed(seed, 10_000, kind === 'hang' ? HANG_TIMEOUT_MS : TIMEOUT_MS);
    try {
      const finding = report.findings.find((found) => found.kind === kind);
      assert.ok(finding, `a ${kind} finding among ${JSON.stringify(report.findings.map((found) => found.kind))}`);
      assert.match(finding!.message, message);
      assert.is(readFileSync(finding!.path, 'latin1').slice(0, 2), seed, 'the saved input is the one that set it off');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
}

test('an expected refusal is not a finding; the run reports its inputs and coverage', async () => {
  // One input, the seed: mutations of a two-byte seed would soon spell a fault.
  const { report, directory } = await fuzzWithSeed('ok', 1);
  try {
    assert.equal(report.findings, []);
    assert.is(report.executions, 1);
    assert.ok(report.coverage !== undefined && report.coverage.statements.covered > 0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();

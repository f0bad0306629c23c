// Runs every test file (`*.test.ts` under test/, or the files and folders named on the
// command line) in a process of its own, so that one file that crashes or hangs cannot
// take the others with it. Each file is a uvu suite that can also run alone:
// `node test/edge/storage/partition-log.test.ts`.
//
// Prints each file's output, then one closing line "N passed, N failed" counting tests.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

/** A test file that runs longer than this is killed and counted as failed. */
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 10 * 60_000);
/**
 * A file that has printed its summary gets this long to exit. Past it the process is
 * killed and its reported results stand, with a warning: Node.js has been seen spinning
 * in its exit-time handle cleanup after every test had passed and every server had
 * closed, and that must not cost the whole run its remaining time.
 */
const EXIT_AFTER_SUMMARY_MS = 30_000;
/** Files run at once; integration tests start daemons, so keep this near the core count. */
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? Math.max(1, Math.min(2, cpus().length)));
const INTEROP = process.env.TEST_INTEROP === '1';

function findTestFiles(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return [path];
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      // Interop tests need Debian packages; `npm run test:interop` runs them.
      if (entry.name === 'interop' && !INTEROP) continue;
      found.push(...findTestFiles(child));
    } else if (entry.name.endsWith('.test.ts')) {
      found.push(child);
    }
  }
  return found;
}

/** Process groups of the files running now: detached, they no longer get the terminal's Ctrl-C. */
const runningGroups = new Set<number>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const group of runningGroups) {
      try { process.kill(-group, 'SIGKILL'); } catch { /* already gone */ }
    }
    process.exit(1);
  });
}

interface FileResult { file: string; passed: number; failed: number; exitCode: number | null; output: string; durationMs: number }

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    // A process group of its own, so that killing the file also kills the daemons and
    // clients it started instead of leaving them running.
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' }, detached: true });
    runningGroups.add(child.pid!);
    const killGroup = (): void => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    };
    let output = '';
    let killedAfterSummary = false;
    let exitTimer: NodeJS.Timeout | undefined;
    const onOutput = (chunk: Buffer): void => {
      output += chunk;
      if (exitTimer === undefined && /Duration:\s/.test(output)) {
        exitTimer = setTimeout(() => {
          killedAfterSummary = true;
          output += `\n[test/run] WARNING: ${file} reported its results but did not exit within ${EXIT_AFTER_SUMMARY_MS} ms; killed\n`;
          killGroup();
        }, EXIT_AFTER_SUMMARY_MS);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const timer = setTimeout(() => {
      output += `\n[test/run] ${file} exceeded ${FILE_TIMEOUT_MS} ms and was killed\n`;
      killGroup();
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      runningGroups.delete(child.pid!);
      clearTimeout(timer);
      clearTimeout(exitTimer);
      const reportedClean = killedAfterSummary && !/FAIL/.test(output);
      const exitCode = reportedClean ? 0 : code;
      const total = sumOf(output, /Total:\s+(\d+)/g);
      const passed = sumOf(output, /Passed:\s+(\d+)/g);
      const failedTests = Math.max(0, total - passed - sumOf(output, /Skipped:\s+(\d+)/g));
      // A file that exits non-zero without reporting a failed test still failed.
      const failed = exitCode === 0 ? failedTests : Math.max(1, failedTests);
      // uvu 0.5 does not print an error thrown by a test.before or test.after hook: the
      // suite's tests are counted but neither pass nor say FAIL. Say so rather than nothing.
      if (failedTests > 0 && !/FAIL/.test(output)) {
        output += `\n[test/run] ${failedTests} test(s) of ${file} did not run and none reported a failure: a test.before or test.after hook threw, and uvu does not print hook errors (look above for a reason the hook wrote itself).\n`;
      }
      resolve({ file, passed, failed, exitCode, output, durationMs: Date.now() - started });
    });
  });
}

function sumOf(text: string, pattern: RegExp): number {
  let sum = 0;
  for (const match of text.matchAll(pattern)) sum += Number(match[1]);
  return sum;
}

async function main(): Promise<void> {
  const roots = process.argv.slice(2);
  const files = (roots.length > 0 ? roots : ['test']).flatMap(findTestFiles);
  if (files.length === 0) {
    console.error('no test files found');
    process.exit(1);
  }
  const queue = [...files];
  const results: FileResult[] = [];
  async function worker(): Promise<void> {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const result = await runFile(file);
      results.push(result);
      const status = result.exitCode === 0 && result.failed === 0 ? 'ok  ' : 'FAIL';
      console.log(`\n${status} ${relative('.', file)} (${result.passed} passed, ${result.failed} failed, ${(result.durationMs / 1000).toFixed(1)} s)`);
      console.log(result.output.trimEnd().split('\n').map((line) => `  | ${line}`).join('\n'));
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const failedFiles = results.filter((r) => r.exitCode !== 0 || r.failed > 0).map((r) => relative('.', r.file));
  if (failedFiles.length > 0) console.log(`\nfailed files:\n${failedFiles.map((f) => `  ${f}`).join('\n')}`);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

await main();

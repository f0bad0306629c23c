// Runs python/librdkafka_transactions.py (python3-confluent-kafka, librdkafka) against a
// daemon: a scenario to its end, or one left running to be killed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { requirePythonModule } from '../../../../helpers/system-programs.ts';

const SCRIPT = resolve(import.meta.dirname, '../python/librdkafka_transactions.py');
/** A scenario's longest run on a loaded machine. */
const SCENARIO_TIMEOUT_MS = 120_000;

/** Runs a scenario to its end and returns the JSON of its last line. */
export function runScenario<T = Record<string, unknown>>(bootstrap: string, scenario: string, ...args: string[]): Promise<T> {
  const python = requirePythonModule('confluent_kafka');
  return new Promise((resolvePromise, reject) => {
    execFile(python, [SCRIPT, bootstrap, scenario, ...args], { timeout: SCENARIO_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`librdkafka scenario ${scenario} failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      const lines = stdout.trim().split('\n');
      resolvePromise(JSON.parse(lines[lines.length - 1]!) as T);
    });
  });
}

/** A scenario left running: its JSON lines as they come, and a SIGKILL. */
export class RunningScenario {
  readonly child: ChildProcess;
  readonly #lines: Record<string, unknown>[] = [];
  readonly #waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  #stderr = '';

  constructor(bootstrap: string, scenario: string, args: string[]) {
    const python = requirePythonModule('confluent_kafka');
    this.child = spawn(python, [SCRIPT, bootstrap, scenario, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => { this.#stderr = (this.#stderr + chunk.toString()).slice(-4096); });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      this.#lines.push(line);
      for (const waiter of [...this.#waiters]) if (waiter.predicate(line)) waiter.resolve();
    });
  }

  /** Resolves at the first line (already seen or to come) that matches; rejects if the process ends first. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, what: string): Promise<void> {
    if (this.#lines.some(predicate)) return Promise.resolve();
    return new Promise((resolvePromise, reject) => {
      const onExit = (): void => reject(new Error(`the librdkafka scenario ended before ${what}\n${this.#stderr}`));
      this.child.once('exit', onExit);
      this.#waiters.push({ predicate, resolve: () => { this.child.off('exit', onExit); resolvePromise(); } });
    });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGKILL');
    await exited;
  }
}

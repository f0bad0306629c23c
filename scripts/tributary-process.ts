// One `tributary` process started by a script (the demo, the soak): its JSON output lines
// as events, everything it writes kept in a log file, the last lines kept for the message
// shown when it fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = resolve(import.meta.dirname, '../bin/tributary.js');

/** A part that has not said it is ready by then is stuck; start-up includes log recovery. */
const READY_TIMEOUT_MS = 60_000;
/** A part that has not stopped this long after SIGTERM is killed (the daemons give themselves 15 s). */
const STOP_TIMEOUT_MS = 20_000;
/** Lines kept per part for the message shown when it fails to start. */
const LOG_TAIL_LINES = 20;

export type Json = Record<string, unknown>;

export interface TributaryProcessOptions {
  /** Node.js flags, e.g. ['--max-old-space-size=96']. */
  nodeArguments?: string[];
  /** A script to run in place of the `tributary` CLI (a load generator of the script's own). */
  script?: string;
}

export class TributaryProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly logPath: string;
  readonly #log: WriteStream;
  readonly #listeners = new Set<(event: Json) => void>();
  readonly #tail: string[] = [];

  constructor(name: string, args: string[], logDirectory: string, options: TributaryProcessOptions = {}) {
    this.name = name;
    this.logPath = join(logDirectory, `${name}.log`);
    this.#log = createWriteStream(this.logPath);
    // Its own process group: a Ctrl-C in the terminal reaches the script only, which then
    // stops the parts in order instead of all at once.
    this.child = spawn(process.execPath, [...(options.nodeArguments ?? []), options.script ?? CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((resolveExit) => this.child.once('exit', (code, signal) => resolveExit(code ?? (signal ? 128 : null))));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.#log.write(`${line}\n`);
        this.#tail.push(line);
        if (this.#tail.length > LOG_TAIL_LINES) this.#tail.shift();
        let event: Json;
        try {
          event = JSON.parse(line) as Json;
        } catch {
          return;
        }
        for (const listener of this.#listeners) listener(event);
      });
    }
  }

  /** The process's last lines of output. */
  get tail(): string {
    return this.#tail.join('\n');
  }

  on(listener: (event: Json) => void): void {
    this.#listeners.add(listener);
  }

  /** The first event `match` accepts; fails when the part exits or takes too long. */
  waitFor(match: (event: Json) => boolean, what: string, timeoutMs = READY_TIMEOUT_MS): Promise<Json> {
    return new Promise((resolveEvent, reject) => {
      const timer = setTimeout(() => fail(`did not report ${what} within ${timeoutMs / 1000} s`), timeoutMs);
      const listener = (event: Json): void => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolveEvent(event);
      };
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        reject(new Error(`${this.name} ${why}; its last lines:\n${this.tail}`));
      };
      this.#listeners.add(listener);
      void this.exited.then((code) => fail(`exited (${code}) before it reported ${what}`));
    });
  }

  /** SIGTERM (SIGINT for the simulator, which reports on it), then SIGKILL if it hangs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    await new Promise<void>((resolveEnd) => this.#log.end(() => resolveEnd()));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

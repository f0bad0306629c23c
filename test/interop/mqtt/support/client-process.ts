// A client program (mosquitto_pub, mosquitto_sub, /usr/bin/python3 with paho) run by an
// interop test: its standard output as lines, awaitable one at a time, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

import { requirePythonModule } from '../../../helpers/system-programs.ts';

export const PAHO_CLIENT = resolve(import.meta.dirname, '../paho_client.py');
export const PAHO5_CLIENT = resolve(import.meta.dirname, '../paho5_client.py');
/** paho-mqtt 2.x (PyPI), in the environment scripts/paho-mqtt/fetch.sh makes. */
export const PAHO2_VERSION = '2.1.0';
export const PAHO2_PYTHON = join(process.env.TRIBUTARY_CACHE_DIR ?? join(homedir(), '.cache', 'tributary'), 'python', `paho-mqtt-${PAHO2_VERSION}`, 'bin', 'python');
/** A client still running after this is killed, so that a broken test ends. */
const CLIENT_TIMEOUT_MS = 90_000;

export class ClientProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  #read = 0;
  #waiters: Array<() => void> = [];
  #ended = false;

  constructor(command: string, args: string[], input?: string, interactive = false, timeoutMs = CLIENT_TIMEOUT_MS) {
    this.child = spawn(command, args, { stdio: [input === undefined && !interactive ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    this.child.stderr!.on('data', (chunk) => { this.stderr += chunk; });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.#wake();
    });
    this.exited = new Promise((resolveExit) => this.child.once('close', (code, signal) => {
      clearTimeout(timer);
      this.#ended = true;
      this.#wake();
      resolveExit({ code, signal });
    }));
    if (input !== undefined) this.child.stdin!.end(input);
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** The next line of output, or null after the program ended. */
  async nextLine(): Promise<string | null> {
    for (;;) {
      if (this.#read < this.lines.length) return this.lines[this.#read++]!;
      if (this.#ended) return null;
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  /** The next JSON event line (paho_client.py), or null after the program ended. */
  async nextEvent(): Promise<Record<string, unknown> | null> {
    const line = await this.nextLine();
    return line === null ? null : (JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits for the program to end and fails unless it exited 0. */
  async succeeded(): Promise<void> {
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`${this.child.spawnargs.join(' ')} exited ${code ?? signal}\n${this.stderr}\n${this.lines.join('\n')}`);
  }

  /** Writes one JSON command line to the program (paho5_client.py). */
  command(line: Record<string, unknown>): void {
    this.child.stdin!.write(JSON.stringify(line) + '\n');
  }

  /** The next event of a kind (others are skipped); fails if the program ended first. */
  async nextEventOf(event: string): Promise<Record<string, unknown>> {
    for (;;) {
      const line = await this.nextEvent();
      if (line === null) throw new Error(`${this.child.spawnargs.join(' ')} ended before a "${event}" event\n${this.stderr}`);
      if (line.event === event) return line;
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function paho(args: string[]): ClientProcess {
  return new ClientProcess(requirePythonModule('paho.mqtt.client'), [PAHO_CLIENT, ...args]);
}

/** paho-mqtt 2.x in MQTT 5 mode, driven line by line; fails naming the fetch script when it is not installed. */
export function paho5(args: string[]): ClientProcess {
  if (!existsSync(PAHO2_PYTHON)) throw new Error(`paho-mqtt ${PAHO2_VERSION} (PyPI) is not installed at ${PAHO2_PYTHON}: run bash scripts/paho-mqtt/fetch.sh (.ci/run does)`);
  return new ClientProcess(PAHO2_PYTHON, [PAHO5_CLIENT, ...args], undefined, true);
}

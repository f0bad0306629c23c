// A client program (mosquitto_pub, mosquitto_sub, /usr/bin/python3 with paho) run by an
// interop test: its standard output as lines, awaitable one at a time, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

import { requirePythonModule } from '../../../helpers/system-programs.ts';

export const PAHO_CLIENT = resolve(import.meta.dirname, '../paho_client.py');
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

  constructor(command: string, args: string[], input?: string) {
    this.child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
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

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function paho(args: string[]): ClientProcess {
  return new ClientProcess(requirePythonModule('paho.mqtt.client'), [PAHO_CLIENT, ...args]);
}

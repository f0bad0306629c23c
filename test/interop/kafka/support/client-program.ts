// A Kafka client program the interop tests drive: a Go program or a Python script that
// speaks the shared command line (go/scenario/scenario.go, python/scenario_cli.py):
// `features`, `produce`, `member` and `drain`, with events as JSON lines. This file runs
// them: one-shot commands, consumer-group members, and producers followed mid-stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GO_PROGRAMS, interopClientPaths, isPrepared, PREPARE_COMMAND, PYTHON_SCRIPTS, type GoProgram } from '../../../../scripts/interop-clients.ts';
import { MemberProcess, type MemberLine } from '../../../edge/kafka/clients/support/member-process.ts';
import type { KeyedRecord } from '../../../edge/kafka/clients/support/keyed-records.ts';
import { run, runOk, type CommandResult } from './processes.ts';
import { requirePythonModule, type PythonModule } from '../../../helpers/system-programs.ts';

/** Debian's Python Kafka modules load only in the system interpreter. */

export interface ClientFeatures {
  client: string;
  version: string;
  details?: string;
  codecs: string[];
  idempotent: boolean;
  tls: boolean;
  saslPlain: boolean;
}

/** How a program reaches the broker: plain, over TLS, with SASL (PLAIN unless a mechanism is named; the Python programs know SCRAM). */
export interface Connection {
  bootstrap: string;
  tlsCaFile?: string;
  sasl?: { username: string; password: string; mechanism?: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' };
}

export interface ProducedRecord { key?: string; value: string; headers?: Record<string, string>; partition?: number }

export type ConsumedKeyedRecord = KeyedRecord & { partition: number; offset: bigint };

export class ClientProgram {
  /** As named in test titles, e.g. "kafka-python (PyPI)". */
  readonly name: string;
  /** Where this copy of the client comes from, e.g. "Debian 12". */
  readonly distribution: string;
  readonly #command: string;
  readonly #prefix: string[];

  constructor(name: string, distribution: string, command: string, prefix: string[] = []) {
    this.name = name;
    this.distribution = distribution;
    this.#command = command;
    this.#prefix = prefix;
  }

  async features(): Promise<ClientFeatures> {
    return JSON.parse((await runOk(this.#command, [...this.#prefix, 'features'])).stdout) as ClientFeatures;
  }

  /** Produces the records and returns once every one is acknowledged; fails with the program's output otherwise. */
  async produce(connection: Connection, topic: string, records: ProducedRecord[], extra: string[] = []): Promise<void> {
    await runOk(this.#command, this.args('produce', connection, ['--topic', topic, ...extra]), jsonLines(records));
  }

  /** Like produce, with the exit status and output returned instead of a failure thrown. */
  tryProduce(connection: Connection, topic: string, records: ProducedRecord[], extra: string[] = []): Promise<CommandResult> {
    return run(this.#command, this.args('produce', connection, ['--topic', topic, ...extra]), jsonLines(records));
  }

  /** Reads the topic in a group from its committed offsets to the end, commits, and returns the records. */
  async drain(connection: Connection, groupId: string, topic: string): Promise<ConsumedKeyedRecord[]> {
    const result = await runOk(this.#command, this.args('drain', connection, ['--group', groupId, '--topic', topic]));
    return result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as MemberLine).filter((line) => line.event === 'record').map((line) => ({
      partition: line.partition!, offset: BigInt(line.offset!), key: line.key!, value: line.value!, headers: line.headers!,
    }));
  }

  /** A group member in a process of its own, printing its assignments and records. */
  member(label: string, connection: Connection, groupId: string, topic: string, sessionTimeoutMs: number): MemberProcess {
    return new MemberProcess(label, this.#command, this.args('member', connection, ['--group', groupId, '--topic', topic, '--session-timeout-ms', String(sessionTimeoutMs)]));
  }

  /** A producer whose acknowledgements the test follows while it runs. */
  startProducer(connection: Connection, topic: string, records: ProducedRecord[], extra: string[] = []): StreamingProducer {
    return new StreamingProducer(`${this.name} producer`, this.#command, this.args('produce', connection, ['--topic', topic, ...extra]), jsonLines(records));
  }

  private args(subcommand: string, connection: Connection, extra: string[]): string[] {
    const args = [...this.#prefix, subcommand, '--bootstrap', connection.bootstrap];
    if (connection.tlsCaFile !== undefined) args.push('--tls-ca', connection.tlsCaFile);
    if (connection.sasl !== undefined) args.push('--sasl-username', connection.sasl.username, '--sasl-password', connection.sasl.password);
    if (connection.sasl?.mechanism !== undefined) args.push('--sasl-mechanism', connection.sasl.mechanism);
    return [...args, ...extra];
  }
}

function jsonLines(records: ProducedRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

/** A produce run followed line by line: how many records were acknowledged so far, and its end. */
export class StreamingProducer {
  readonly name: string;
  readonly child: ChildProcess;
  acknowledged = 0;
  #output = '';
  #waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(name: string, command: string, args: string[], input: string) {
    this.name = name;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => { this.#wake(); resolve({ code, signal }); }));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: { event?: string; count?: number } | undefined;
      try { line = JSON.parse(text) as { event?: string; count?: number }; } catch { line = undefined; }
      if (line?.event === 'acknowledged') this.acknowledged = Math.max(this.acknowledged, line.count!);
      else this.#output += `${text}\n`;
      this.#wake();
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => { this.#output += `${text}\n`; });
    // A program that fails at once does not read its input; its exit status says so, not EPIPE.
    this.child.stdin!.on('error', () => {});
    this.child.stdin!.end(input);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once `count` records are acknowledged; rejects if the program exits first or the time is up. */
  async waitForAcknowledged(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged < count) {
      const remaining = deadline - Date.now();
      if (!this.running || remaining <= 0) throw new Error(`${this.name}: ${this.acknowledged} records acknowledged, not ${count}, ${this.running ? `within ${timeoutMs} ms` : 'before it exited'}\n${this.#output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining);
        const waiters = this.#waiters;
        function wake(): void { clearTimeout(timer); waiters.delete(wake); resolve(); }
        waiters.add(wake);
      });
    }
  }

  /** Waits for the program's end and fails with its output unless it exited 0. */
  async succeeded(): Promise<void> {
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`${this.name} exited ${code ?? signal} after ${this.acknowledged} acknowledgements\n${this.#output}`);
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** A client script run by Debian's interpreter with Debian's module (the old versions devices keep). */
export function debianPythonClient(name: string, module: PythonModule, script: string): ClientProgram {
  return new ClientProgram(name, 'Debian 12', requirePythonModule(module), [join(PYTHON_SCRIPTS, script)]);
}

/** A client script run in the virtual environment with the newest versions from PyPI (python/requirements.txt). */
export function pypiPythonClient(name: string, script: string): ClientProgram {
  const { python } = interopClientPaths();
  if (!isPrepared(python)) throw new Error(`the Python clients from PyPI are not installed for python/requirements.txt as it is: run \`${PREPARE_COMMAND}\` (needs Python 3 with venv, and PyPI)`);
  return new ClientProgram(name, 'PyPI', python, [join(PYTHON_SCRIPTS, script)]);
}

/** A Go program built from go/ with the module versions go.sum pins. */
export function goClient(program: GoProgram): ClientProgram {
  const { goPrograms } = interopClientPaths();
  if (!isPrepared(goPrograms)) throw new Error(`the Go client programs (${GO_PROGRAMS.join(', ')}) are not built for the sources as they are: run \`${PREPARE_COMMAND}\` (needs Go 1.26 and the Go module proxy)`);
  return new ClientProgram(program, 'Go module proxy', join(goPrograms, program));
}

// The test's side of java/EdgeStreams.java: the Kafka Streams application as a child process
// whose JSON lines a test can wait on, and the Java clients (producer, reader, admin) as
// runs to their end. The program is compiled once per test file (compileJava).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { compileJava, javaArguments, runJava } from '../../helpers/apache-kafka.ts';
import { requireProgram } from '../../helpers/system-programs.ts';

const PROGRAM = 'EdgeStreams';
const SOURCE = join(import.meta.dirname, 'java', `${PROGRAM}.java`);
/** A client run that has not finished by then is stuck; generous for a loaded 2-core machine. */
const CLIENT_RUN_TIMEOUT_MS = 180_000;
/** How much of a process's standard error a failure message carries: the end, where the cause is. */
const STDERR_SHOWN_CHARACTERS = 6_000;

export type Guarantee = 'at_least_once' | 'exactly_once_v2';
export type Isolation = 'read_committed' | 'read_uncommitted';

/** One JSON line of the program. */
export interface ProgramLine { event: string; [field: string]: unknown }

export class StreamsPrograms {
  readonly #classes: string;
  readonly remove: () => void;

  private constructor(classes: { directory: string; remove: () => void }) {
    this.#classes = classes.directory;
    this.remove = classes.remove;
  }

  static async compile(): Promise<StreamsPrograms> {
    return new StreamsPrograms(await compileJava([SOURCE]));
  }

  /** Starts a long-running mode (the application, or a paced producer reading `input`). */
  start(name: string, mode: string, args: readonly string[], input = ''): LineProcess {
    return new LineProcess(name, requireProgram('java'), javaArguments(PROGRAM, [mode, ...args], { classpath: [this.#classes] }), input);
  }

  /** Runs a mode to its end; a non-zero exit fails with its standard error. */
  async run(mode: string, args: readonly string[], input = ''): Promise<ProgramLine[]> {
    const result = await runJava(PROGRAM, [mode, ...args], { classpath: [this.#classes], input, timeoutMs: CLIENT_RUN_TIMEOUT_MS });
    if (result.code !== 0) throw new Error(`${PROGRAM} ${mode} ${args.join(' ')} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-STDERR_SHOWN_CHARACTERS)}`);
    return parseLines(result.stdout);
  }

  /** Every record of a topic, with each partition's log start offset, read with a consumer of the given isolation level. */
  async dump(bootstrap: string, topic: string, isolation: Isolation): Promise<TopicDump> {
    const lines = await this.run('dump', [bootstrap, topic, isolation]);
    return {
      logStartOffsets: lines.filter((line) => line.event === 'start').map((line) => Number(line.offset)),
      endOffsets: lines.filter((line) => line.event === 'start').map((line) => Number(line.end)),
      records: lines.filter((line) => line.event === 'record').map((line) => ({ partition: Number(line.partition), offset: Number(line.offset), key: line.key as string, value: line.value as string })),
    };
  }
}

export interface DumpedRecord { partition: number; offset: number; key: string; value: string }
/** A topic read to its end: per partition, its log start offset and the end the reader went to (the last stable offset under read_committed). */
export interface TopicDump { logStartOffsets: number[]; endOffsets: number[]; records: DumpedRecord[] }

/** Offsets between log start and end that hold no record the reader got: transaction markers, aborted records (read_committed) or compacted ones. */
export function offsetsWithoutRecords(dump: TopicDump): number {
  const spans = dump.endOffsets.reduce((sum, end, partition) => sum + end - dump.logStartOffsets[partition]!, 0);
  return spans - dump.records.length;
}

function parseLines(text: string): ProgramLine[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as ProgramLine);
}

/** A child process writing JSON lines, which a test waits on without sleeping. */
export class LineProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: ProgramLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #waiters = new Set<() => void>();

  constructor(name: string, command: string, args: string[], input: string) {
    this.name = name;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => { this.#wake(); resolve({ code, signal }); }));
    this.child.stdin!.on('error', () => { /* a process killed before it read all of its input */ });
    this.child.stdin!.end(input);
    createInterface({ input: this.child.stderr! }).on('line', (text) => { this.#stderr = `${this.#stderr}${text}\n`.slice(-STDERR_SHOWN_CHARACTERS); });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      if (text.startsWith('{')) this.lines.push(JSON.parse(text) as ProgramLine);
      this.#wake();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last line of an event, if any. */
  last(event: string): ProgramLine | undefined {
    return this.lines.findLast((line) => line.event === event);
  }

  /** Resolves when `condition` holds after some line; rejects if the process exits first, an `error` line comes, or the time is up. */
  async waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const failure = this.last('error');
      const remaining = deadline - Date.now();
      if (failure !== undefined || !this.running || remaining <= 0) {
        const why = failure !== undefined ? `it failed: ${String(failure.error)}` : !this.running ? 'it exited' : `not within ${timeoutMs} ms`;
        throw new Error(`${this.name}: no ${what}: ${why}\nlast lines: ${this.lines.slice(-5).map((line) => JSON.stringify(line)).join('\n')}\nstderr:\n${this.#stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining);
        const waiters = this.#waiters;
        function wake(): void { clearTimeout(timer); waiters.delete(wake); resolve(); }
        waiters.add(wake);
      });
    }
  }

  /** Resolves with the process's exit once it ends of itself (a producer at the end of its input). */
  async waitForExit(timeoutMs: number): Promise<void> {
    await this.waitFor(() => !this.running, 'exit', timeoutMs);
  }

  /** SIGTERM: a clean close. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: the process dies with whatever it had not committed. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  get stderr(): string {
    return this.#stderr;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

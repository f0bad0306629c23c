// The test's side of a consumer-group member running in a child process (group-member.ts,
// or a Python script speaking the same JSON lines): it follows the member's assignment and
// the records it consumed, and lets a test wait for a condition without sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** The member's assignment when the record arrived: a rebalance may change it later. */
  heldPartitions: number[];
}

/** One event of a member, as group-member.ts writes it. */
export interface MemberLine { event: string; partitions?: number[]; partition?: number; offset?: string | number; key?: string | null; value?: string | null; headers?: Record<string, string>; error?: string }

/** Turns a tool's own output lines into member events, for members that do not write MemberLines (kcat). */
export interface MemberOutputAdapter {
  stdout?(line: string): MemberLine | undefined;
  stderr?(line: string): MemberLine | undefined;
}

export class MemberProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The partitions of the newest assignment, sorted. */
  assignment: number[] = [];
  assignments = 0;
  readonly records: ConsumedRecord[] = [];
  /** Assignments and the partitions of records, in arrival order, for failure messages. */
  readonly history: string[] = [];
  readonly exited: Promise<void>;
  #stderr = '';
  #waiters = new Set<() => void>();

  constructor(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; adapter?: MemberOutputAdapter } = {}) {
    this.name = name;
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    this.exited = new Promise((resolve) => this.child.once('exit', () => { this.#wake(); resolve(); }));
    const adapter = options.adapter ?? {};
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      this.#stderr += `${text}\n`;
      const line = adapter.stderr?.(text);
      if (line) this.#apply(line);
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: MemberLine | undefined;
      if (adapter.stdout) {
        line = adapter.stdout(text);
      } else {
        try { line = JSON.parse(text) as MemberLine; } catch { line = undefined; }
      }
      if (line) this.#apply(line);
      else this.#stderr += `${text}\n`;
    });
  }

  #apply(line: MemberLine): void {
    if (line.event === 'assigned') {
      this.assignment = [...(line.partitions ?? [])].sort((a, b) => a - b);
      this.assignments++;
      this.history.push(`assigned [${this.assignment.join(',')}]`);
    } else if (line.event === 'record') {
      this.records.push({ partition: line.partition!, offset: BigInt(line.offset!), key: line.key ?? null, value: line.value ?? null, headers: line.headers ?? {}, heldPartitions: this.assignment });
      this.history.push(`p${line.partition}@${line.offset}`);
    } else if (line.event === 'crash') {
      this.#stderr += `crash: ${line.error}\n`;
    }
    this.#wake();
  }

  /** What the member wrote on standard error, for failure messages. */
  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves at this member's next event (a line, or its exit), or after `timeoutMs`. */
  nextEvent(timeoutMs: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiters = this.#waiters;
      const timer = setTimeout(wake, Math.max(timeoutMs, 0));
      function wake(): void { clearTimeout(timer); waiters.delete(wake); resolve(); }
      waiters.add(wake);
    });
  }

  /** Resolves when `condition` holds after some event; rejects if the process exits first or the time is up. */
  waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return waitForMembers([this], condition, what, timeoutMs);
  }

  /** SIGKILL: the member dies without leaving its group. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** Waits until a condition over several members holds, woken by any of their events. */
export async function waitForMembers(members: MemberProcess[], condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    const remaining = deadline - Date.now();
    const running = members.filter((member) => member.running);
    if (remaining <= 0 || running.length === 0) {
      const state = members.map((member) => `${member.name}: ${member.running ? 'running' : 'exited'}, assignment ${JSON.stringify(member.assignment)}, ${member.records.length} records${member.stderr ? `\n${member.stderr}` : ''}`).join('\n');
      throw new Error(`no ${what} ${remaining <= 0 ? `within ${timeoutMs} ms` : 'before every member exited'}\n${state}`);
    }
    await Promise.race(running.map((member) => member.nextEvent(remaining)));
  }
}

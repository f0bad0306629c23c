// Starts `tributary edge` the way a user does: a real child process with a YAML file,
// ephemeral ports and a temporary data directory. Tests read the bound ports from the
// daemon's "ready" log line and stop it with a real signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(PROJECT_ROOT, 'bin/tributary.js');
/** Start-up includes recovery of the data directory; generous for a loaded machine. */
const READY_TIMEOUT_MS = 60_000;
/** How long a test waits for a log line it expects; generous for a loaded machine. */
const LOG_LINE_TIMEOUT_MS = 10_000;
/** After a daemon exits, how long its stderr may take to reach the end. */
const STDERR_DRAIN_MS = 2_000;

/** A daemon that exited before it was ready: its exit code and what it wrote to stderr, for tests of refused starts. */
export class DaemonStartError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(message: string, exitCode: number | null, stderr: string) {
    super(message);
    this.name = 'DaemonStartError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface DaemonPorts { kafka?: number; kafkaTls?: number; mqtt?: number; mqttWs?: number; mqtts?: number; http: number }

export interface DaemonOptions {
  /** Config keys merged over the test defaults (ports 0, temp data dir, warn-level logs). */
  config?: Record<string, unknown>;
  /** Reuse a data directory (for restarts); a new temporary one otherwise. */
  dataDir?: string;
  subcommand?: string;
  /** Node.js flags, e.g. ['--max-old-space-size=96']. */
  nodeArguments?: string[];
  /** A command the daemon runs under, e.g. ['taskset', '-c', '0'] to pin it to one core. */
  wrapper?: string[];
  /**
   * How it is started: `node bin/tributary.js` (the default, as the systemd unit does), or
   * the way the README starts it inside the project, `npm start` (edge only) or `npx tributary`.
   * `process` is then npm's process; `pid` is the daemon's own.
   */
  via?: 'node' | 'npm start' | 'npx';
  /** Variables for the daemon's environment in place of this process's. */
  env?: NodeJS.ProcessEnv;
  /** Another checkout's root to start the daemon of (a benchmark's baseline, measured in the same run); this project's when not given. */
  projectRoot?: string;
  /** How long it may take to become ready (a start that recovers thousands of partitions takes longer); 60 s when not given. */
  readyTimeoutMs?: number;
}

export class Daemon {
  readonly dataDir: string;
  readonly configPath: string;
  readonly process: ChildProcess;
  readonly ports: DaemonPorts;
  /** Every log line the daemon wrote, parsed. */
  readonly logLines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #ownsDataDir: boolean;

  private constructor(fields: { dataDir: string; configPath: string; process: ChildProcess; ports: DaemonPorts; logLines: Record<string, unknown>[]; exited: Daemon['exited']; ownsDataDir: boolean }) {
    this.dataDir = fields.dataDir;
    this.configPath = fields.configPath;
    this.process = fields.process;
    this.ports = fields.ports;
    this.logLines = fields.logLines;
    this.exited = fields.exited;
    this.#ownsDataDir = fields.ownsDataDir;
  }

  /** The daemon's own process id, from its ready line: started through npm, `process` is npm's. */
  get pid(): number {
    return this.logLines.find((line) => line.event === 'ready')!.pid as number;
  }

  static async start(options: DaemonOptions = {}): Promise<Daemon> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-test-'));
    const configPath = join(dataDir, '..', `${dataDir.split('/').pop()}.yaml`);
    const config = mergeDeep({
      node: { id: 'test-edge', dataDir: join(dataDir, 'data') },
      listeners: {
        kafka: { host: '127.0.0.1', port: 0 },
        mqtt: { host: '127.0.0.1', port: 0 },
        mqttWs: { enabled: true, host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
      },
      log: { level: 'info' },
    }, options.config ?? {});
    writeFileSync(configPath, stringify(config));
    const subcommand = options.subcommand ?? 'edge';
    const launch = {
      node: [process.execPath, ...(options.nodeArguments ?? []), options.projectRoot === undefined ? CLI : resolve(options.projectRoot, 'bin/tributary.js'), subcommand],
      'npm start': ['npm', 'start', '--'],
      npx: ['npx', 'tributary', subcommand],
    }[options.via ?? 'node'];
    const command = [...(options.wrapper ?? []), ...launch, '--config', configPath];
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.projectRoot ?? PROJECT_ROOT, env: options.env ?? process.env });
    const logLines: Record<string, unknown>[] = [];
    let stderr = '';
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    const ready = new Promise<DaemonPorts>((resolveReady, rejectReady) => {
      const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
      const timer = setTimeout(() => { child.kill('SIGKILL'); rejectReady(new Error(`daemon not ready within ${readyTimeoutMs} ms\n${stderr}`)); }, readyTimeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let entry: Record<string, unknown>;
        try { entry = JSON.parse(line); } catch { entry = { msg: line }; }
        logLines.push(entry);
        if (entry.event === 'ready') { clearTimeout(timer); resolveReady(entry.ports as DaemonPorts); }
      });
      void exited.then(async ({ code, signal }) => {
        clearTimeout(timer);
        // 'exit' may come before the last of stderr is read; a grandchild may hold the pipe, so the wait is bounded.
        if (!child.stderr!.readableEnded) await Promise.race([once(child.stderr!, 'end'), new Promise((resolveWait) => setTimeout(resolveWait, STDERR_DRAIN_MS).unref())]);
        rejectReady(new DaemonStartError(`daemon exited (${code ?? signal}) before ready\n${stderr}\n${logLines.map((l) => JSON.stringify(l)).join('\n')}`, code, stderr));
      });
    });
    let ports: DaemonPorts;
    try {
      ports = await ready;
    } catch (error) {
      // A daemon that never became ready leaves nothing behind either.
      await exited;
      rmSync(configPath, { force: true });
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    return new Daemon({ dataDir, configPath, process: child, ports, logLines, exited, ownsDataDir });
  }

  /** SIGTERM, then the exit status. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a crash or a power cut, as far as the process can tell. */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
    // Under npm (or a wrapper) the daemon is a grandchild, and SIGKILL to its parent does
    // not reach it. Its pid is checked to still be a tributary process: it may have been reused.
    if (this.pid !== this.process.pid) {
      try {
        if (readFileSync(`/proc/${this.pid}/cmdline`, 'utf8').includes('tributary')) process.kill(this.pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
  }

  /** Starts a new daemon on the same data directory; the new one removes it at cleanup if this one would have. */
  async restart(options: Omit<DaemonOptions, 'dataDir'> = {}): Promise<Daemon> {
    const next = await Daemon.start({ ...options, dataDir: this.dataDir });
    next.#ownsDataDir = this.#ownsDataDir;
    this.#ownsDataDir = false;
    return next;
  }

  /** Stops the daemon if it runs and removes its files. */
  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.configPath, { force: true });
    if (this.#ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /**
   * The first log line matching `predicate`, waiting for it if need be: a line the daemon
   * wrote just before a socket closed may still be in the pipe when the test looks.
   */
  async logLine(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = LOG_LINE_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const found = this.logLines.find(predicate);
    if (found) return found;
    const stdout = this.process.stdout!;
    return new Promise((resolveLine, rejectLine) => {
      const check = (): void => {
        const line = this.logLines.find(predicate);
        if (line) { finish(); resolveLine(line); }
      };
      const timer = setTimeout(() => { finish(); rejectLine(new Error(`no log line within ${timeoutMs} ms: ${what}`)); }, timeoutMs);
      // readline parses a chunk after its 'data' event; look once that has run.
      const onData = (): void => { setImmediate(check); };
      const finish = (): void => { clearTimeout(timer); stdout.off('data', onData); };
      stdout.on('data', onData);
      check();
    });
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.ports.http}/metrics`);
    return response.text();
  }
}

/** The values of every sample of `name` whose labels include `labels`, in the order /metrics lists them. */
function metricSamples(metricsText: string, name: string, labels: Record<string, string>): number[] {
  const values: number[] = [];
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) values.push(Number(match[3]));
  }
  return values;
}

/** Value of a Prometheus sample, e.g. metricValue(text, 'tributary_storage_append_records_total'). */
export function metricValue(metricsText: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return metricSamples(metricsText, name, labels)[0];
}

/** The sum of every sample of `name` whose labels include `labels` (0 when there is none): a total over partitions, kinds or topics. */
export function metricTotal(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  return metricSamples(metricsText, name, labels).reduce((sum, value) => sum + value, 0);
}

function mergeDeep(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
